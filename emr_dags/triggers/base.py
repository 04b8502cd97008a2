"""Shared shape of every emr-dags wait trigger.

A trigger is a declaration (JSON-serialisable kwargs only). ``run`` subscribes to the shared poller
for its resource, logs one line per state change and fires one event when every watched id is
terminal, when one failed (``fail_fast``), or when the wait budget (``deadline``) is spent.

Cancellation: ``on_kill`` (Airflow 3.3) runs when a user marks the task failed/success or clears it
while deferred; it cancels the AWS work. Airflow also calls it when the task left the deferred state
some other way, e.g. ``airflow dags test`` running the same trigger in line and queueing the task
itself, and it calls it late (seconds after a clear, when a new try may already have re-attached):
so before cancelling, ``on_kill`` asks the execution API for the task's current state and leaves
the work alone when the task is queued, running or deferred again (it was resumed, not killed). ``cleanup``
runs on every exit including a triggerer restart, so it deliberately never touches AWS.

Diagnosis (``diagnose=True``, set by the step/job operators): when the wait ends in a failure, the
trigger diagnoses the failed resource here, while the task is safely deferred, before it fires the
event: a first diagnosis at once, pushed to the task's XCom ``diagnosis`` and logged (the triggerer's
lines are part of the task's log), then, if logs were missing, one refined by waiting for them, pushed
again. The event carries the result, so the resumed task only logs and pushes it: a task Airflow kills
right after it resumes (apache/airflow#66374 family) still has its Probable cause.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from emr_dags.aws.jsonable import jsonable
from emr_dags.triggers._poller import Fetch, subscribe

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Hashable

    from emr_dags.aws.clients import AwsTarget

MISSING_POLLS_BEFORE_ERROR = 5
#: A task in one of these states when its trigger is removed was resumed, not killed: by another
#: process (``dags test`` in line: queued/running), or by a newer try that already re-attached to the
#: same work (a clear noticed late by the triggerer: queued/running/deferred). Cancelling then would
#: pull the work from under the task that now owns it.
RESUMED_STATES = frozenset({"queued", "running", "deferred"})
#: Diagnoses wait for late logs (up to minutes, blocking boto3 calls): their own few threads, so many
#: failures at once never starve the default executor the shared pollers run their AWS calls in.
_DIAGNOSIS_THREADS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="emr-dags-diagnosis")


class EmrWaitTrigger(BaseTrigger):
    """Base class; subclasses say what to poll, how to read a state and how to cancel."""

    #: task states in which a removed trigger's work is left alone (see the module docstring).
    KEEP_WORK_WHEN: frozenset[str] = RESUMED_STATES
    #: states meaning "still going" / "finished well"; anything else terminal is a failure.
    ACTIVE: tuple[str, ...] = ()
    SUCCESS: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        verify: bool | str | None = None,
        botocore_config: dict[str, Any] | None = None,
        poll_interval: float = 30.0,
        deadline: str | None = None,
        cancel_on_kill: bool = True,
        fail_fast: bool = False,
        diagnose: bool = False,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.diagnose = diagnose
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.verify = verify
        self.botocore_config = dict(botocore_config) if botocore_config else None
        self.poll_interval = float(poll_interval)
        self.deadline = deadline
        self.cancel_on_kill = cancel_on_kill
        self.fail_fast = fail_fast

    def target(self) -> AwsTarget:
        from emr_dags.aws.clients import AwsTarget

        return AwsTarget(self.aws_conn_id, self.region_name, self.verify, self.botocore_config)

    def target_key(self) -> tuple[Any, ...]:
        """The client identity in every poller key: triggers share a poller only when they would
        build the same client (same connection, region, TLS verification and botocore config)."""
        return self.target().key()

    # -- subclass API ---------------------------------------------------------------------
    def _own_kwargs(self) -> dict[str, Any]:
        raise NotImplementedError

    def watched_ids(self) -> list[str]:
        raise NotImplementedError

    def poll_key(self) -> Hashable:
        raise NotImplementedError

    def make_fetch(self) -> Fetch:
        raise NotImplementedError

    def state_of(self, desc: dict[str, Any]) -> str:
        raise NotImplementedError

    def cancel(self) -> None:
        """Blocking AWS cancellation; runs in a worker thread from ``on_kill``."""

    def _noun(self) -> str:
        """What the watched ids are, for the one-line-per-state-change log ("Step s-1 is RUNNING")."""
        return {
            "EmrStepsTrigger": "Step",
            "EmrClusterStateTrigger": "Cluster",
            "EmrServerlessJobTrigger": "Job run",
            "EmrEksJobTrigger": "EKS job run",
        }.get(type(self).__name__, "Resource")

    # -- BaseTrigger ----------------------------------------------------------------------
    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                **self._own_kwargs(),
                "aws_conn_id": self.aws_conn_id,
                "region_name": self.region_name,
                "verify": self.verify,
                "botocore_config": self.botocore_config,
                "poll_interval": self.poll_interval,
                "deadline": self.deadline,
                "cancel_on_kill": self.cancel_on_kill,
                "fail_fast": self.fail_fast,
                "diagnose": self.diagnose,
            },
        )

    def _remaining(self) -> float | None:
        if not self.deadline:
            return None
        end = dt.datetime.fromisoformat(self.deadline)
        return max(0.0, (end - dt.datetime.now(dt.UTC)).total_seconds())

    async def run(self) -> AsyncIterator[TriggerEvent]:
        ids = self.watched_ids()
        states: dict[str, str] = {}
        latest: dict[str, Any] = {}
        misses = 0
        async with subscribe(self.poll_key(), self.make_fetch, set(ids), self.poll_interval) as sub:
            while True:
                try:
                    item = await asyncio.wait_for(sub.queue.get(), self._remaining())
                except TimeoutError:
                    yield TriggerEvent(self._event("timeout", states, latest))  # type: ignore[no-untyped-call]
                    return
                if isinstance(item, BaseException):
                    yield TriggerEvent({**self._event("error", states, latest), "message": str(item)})  # type: ignore[no-untyped-call]
                    return
                for rid, desc in item.items():
                    state = self.state_of(desc)
                    if states.get(rid) != state:
                        self.log.info("%s %s is %s", self._noun(), rid, state)
                        states[rid] = state
                    latest[rid] = jsonable(desc)
                misses = misses + 1 if len(item) < len(ids) else 0
                if misses >= MISSING_POLLS_BEFORE_ERROR:
                    missing = sorted(set(ids) - item.keys())
                    yield TriggerEvent(  # type: ignore[no-untyped-call]
                        {
                            **self._event("error", states, latest),
                            "message": f"{self._noun()} id(s) {missing} not found in {misses} consecutive "
                            f"polls of {self.poll_key()!r} (looked up by id, not by name)",
                        }
                    )
                    return
                outcome = self._outcome(ids, states)
                if outcome is not None:
                    event = self.final_event(outcome, states, latest)
                    if outcome == "failed" and self.diagnose:
                        event.payload.update(await self._diagnosis(ids, states))
                    yield event
                    return

    def _outcome(self, ids: list[str], states: dict[str, str]) -> str | None:
        failed = [i for i in ids if i in states and states[i] not in self.ACTIVE + self.SUCCESS]
        if failed and self.fail_fast:
            return "failed"
        if all(i in states and states[i] not in self.ACTIVE for i in ids):
            return "failed" if failed else "success"
        return None

    def _event(self, status: str, states: dict[str, str], latest: dict[str, Any]) -> dict[str, Any]:
        return {"status": status, "states": dict(states), "resources": latest}

    def final_event(self, outcome: str, states: dict[str, str], latest: dict[str, Any]) -> TriggerEvent:
        """The event for a finished wait: by default it resumes the task on a worker."""
        return TriggerEvent(self._event(outcome, states, latest))  # type: ignore[no-untyped-call]

    # -- diagnosis of a failure -----------------------------------------------------------
    def diagnosis_request(self, resource_id: str) -> tuple[str, dict[str, Any]] | None:
        """(kind, kwargs) for ``emr_dags.diagnostics.diagnose_<kind>`` of a failed resource; None: none."""
        return None

    def client(self, service: str) -> Any:
        from emr_dags.aws.clients import AwsTarget, client_for

        return client_for(service, AwsTarget(self.aws_conn_id, self.region_name))

    async def _diagnosis(self, ids: list[str], states: dict[str, str]) -> dict[str, Any]:
        """The event keys carrying the first failed resource's diagnosis ({} when none could be made)."""
        failed = [i for i in ids if states.get(i) not in self.ACTIVE + self.SUCCESS]
        if not failed:
            return {}
        loop = asyncio.get_running_loop()
        # The triggerer routes a trigger's log lines to its task's log by contextvars (structlog's
        # trigger_id, ...); run_in_executor does not carry them to the thread, so they are copied.
        context = contextvars.copy_context()
        try:
            return await loop.run_in_executor(
                _DIAGNOSIS_THREADS, context.run, self.diagnose_failure, failed[0]
            )
        except Exception as exc:  # noqa: BLE001 - the task diagnoses again when resumed
            self.log.warning("Could not diagnose %s in the triggerer: %s", failed[0], exc)
            return {}

    def diagnose_failure(self, resource_id: str) -> dict[str, Any]:
        """Blocking: diagnose in two steps (first at once, then refined), pushing each to XCom."""
        from emr_dags.operators._base import (
            DIAGNOSIS_WAIT_SECONDS,
            EVENT_DIAGNOSIS,
            EVENT_DIAGNOSIS_BLOCK,
            needs_refining,
            run_diagnosis,
        )

        request = self.diagnosis_request(resource_id)
        if request is None:
            return {}
        kind, kwargs = request
        result = run_diagnosis(kind, logger=self.log, **kwargs, wait_seconds=0)
        if result is not None:
            self.push_diagnosis(result[0])
            if needs_refining(result[0]):
                self.log.info(
                    "First diagnosis above; refining it while EMR uploads the missing logs (up to %.0fs)",
                    DIAGNOSIS_WAIT_SECONDS,
                )
                result = run_diagnosis(kind, logger=self.log, **kwargs) or result
                self.push_diagnosis(result[0])
        if result is None:
            return {}
        return {EVENT_DIAGNOSIS: result[0], EVENT_DIAGNOSIS_BLOCK: result[1]}

    def push_diagnosis(self, payload: dict[str, Any]) -> None:
        """XCom ``diagnosis`` of the deferred task, from the triggerer (it survives a kill of the task)."""
        ti = getattr(self, "task_instance", None)
        if ti is None:
            return
        try:
            from airflow.sdk.execution_time.xcom import XCom

            map_index = -1 if ti.map_index is None else int(ti.map_index)
            XCom.set(
                key="diagnosis",
                value=payload,
                dag_id=ti.dag_id,
                task_id=ti.task_id,
                run_id=ti.run_id,
                map_index=map_index,
            )
        except Exception as exc:  # noqa: BLE001 - the resumed task pushes it too
            self.log.warning("Could not push the diagnosis to XCom from the triggerer: %s", exc)

    async def on_kill(self) -> None:
        if not self.cancel_on_kill:
            return
        state = await asyncio.to_thread(self.current_task_state)
        if state in self.KEEP_WORK_WHEN:
            self.log.info(
                "Trigger removed while its task is %s (resumed by another process, e.g. `airflow dags test`), "
                "not killed: leaving %s alone",
                state,
                self.watched_ids(),
            )
            return
        self.log.info(
            "Task killed by a user while deferred (now %s); cancelling %s", state, self.watched_ids()
        )
        await asyncio.to_thread(self.cancel)

    def current_task_state(self) -> str | None:
        """The deferred task's state now, from the execution API; None when unknown (then on_kill cancels)."""
        ti = getattr(self, "task_instance", None)
        if ti is None:
            return None
        try:
            from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

            found = RuntimeTaskInstance.get_task_states(
                dag_id=ti.dag_id, task_ids=[ti.task_id], run_ids=[ti.run_id], map_index=ti.map_index
            )
        except Exception as exc:  # noqa: BLE001 - no answer: fall back to cancelling, the safe side
            self.log.warning("Could not read the task's state (%s); treating the removal as a kill", exc)
            return None
        key = ti.task_id if ti.map_index is None or ti.map_index < 0 else f"{ti.task_id}_{ti.map_index}"
        state = (found.get(ti.run_id) or {}).get(key)
        return None if state is None else str(getattr(state, "value", state))

    async def cleanup(self) -> None:
        # Runs on triggerer restarts and redistribution too: never cancel AWS work here.
        return None
