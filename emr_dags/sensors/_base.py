"""What the three sensors share: wait for a set of ids under one parent with one listing call per check.

The sensors are Airflow sensors (``BaseSensorOperator``): ``mode="poke"`` (default) or
``"reschedule"``, ``poke_interval``, ``timeout``, ``soft_fail``, ``exponential_backoff`` behave as
documented by Airflow, and ``poke()`` makes exactly one listing call. ``deferrable=True`` checks once
and then waits in the triggerer instead, sharing one poller per cluster / application / virtual
cluster with every other emr-dags task waiting there.

A sensor only watches: it never cancels the steps or job runs it waits for, whether it is killed,
marked, cleared or times out (its triggers are built with ``cancel_on_kill=False``). Cancelling is
the job of the task that started the work (``EmrStepOperator`` and friends).

A subclass names its parent and ids attributes, its AWS layer and trigger; the verdict is here.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from emr_dags.operators._base import EmrTaskMixin

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from airflow.sdk import Context

    from emr_dags.aws.errors import EmrResourceFailed
    from emr_dags.triggers.base import EmrWaitTrigger


class BatchWaitSensor(EmrTaskMixin, BaseSensorOperator):
    """Base of the emr-dags sensors.

    :param fail_fast: fail as soon as one watched id ends badly (default), instead of waiting for all.
    :param poke_interval: seconds (or a timedelta) between checks; default 30. With ``deferrable``,
        the triggerer's poll interval (then fixed: ``exponential_backoff`` applies to pokes only).
    :param timeout: the wait budget (Airflow's sensor ``timeout``; default ``[sensors] default_timeout``).
        When spent, the sensor fails with ``AirflowSensorTimeout``, or is skipped with ``soft_fail``.
    :param soft_fail: skip the task instead of failing it when the wait times out or a watched id
        ends badly.

    Plus the AWS parameters and ``deferrable`` of every emr-dags operator (``emr_dags.operators._base``).
    """

    ui_color = "#e6f1f2"
    parent_field: ClassVar[str]  # attribute holding the cluster / application / virtual cluster id
    ids_field: ClassVar[str]  # attribute holding the step / job run ids (one id or a list)
    done_state: ClassVar[str]  # the one good terminal state
    noun: ClassVar[str]  # "Step", "Job run", "EKS job run"
    failure: ClassVar[type[EmrResourceFailed]]

    def __init__(
        self,
        *,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        verify: bool | str | None = None,
        botocore_config: Mapping[str, Any] | None = None,
        deferrable: bool | None = None,
        fail_fast: bool = True,
        poke_interval: dt.timedelta | float = 30.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, **kwargs)
        self._store_aws_params(aws_conn_id, region_name, verify, botocore_config, deferrable)
        self.fail_fast = fail_fast
        self._fetch: Callable[[], dict[str, str]] | None = None
        self._active: tuple[str, ...] = ()
        self._seen: dict[str, str] = {}

    @property
    def parent(self) -> str:
        return str(getattr(self, self.parent_field))

    def _ids(self) -> list[str]:
        ids = getattr(self, self.ids_field)
        return [ids] if isinstance(ids, str) else [str(i) for i in ids]

    # -- subclass API -----------------------------------------------------------------------
    def make_trigger(self, ids: list[str]) -> EmrWaitTrigger:
        raise NotImplementedError

    def sync_poller(self, ids: list[str]) -> tuple[Callable[[], dict[str, str]], tuple[str, ...]]:
        """A function returning {id: state} in one listing call, and the states that mean "still going"."""
        raise NotImplementedError

    def trigger_kwargs(self) -> dict[str, Any]:
        """The trigger arguments every sensor passes the same way."""
        return {
            **self.aws_kwargs(),
            "poll_interval": self.poke_interval,
            # Watching is not owning: a killed or cleared sensor leaves the work running.
            "cancel_on_kill": False,
            "fail_fast": self.fail_fast,
        }

    # -- Airflow ----------------------------------------------------------------------------
    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)  # Airflow's poke / reschedule loop around poke()
        done = self.poke(context)
        if done:
            return done.xcom_value if isinstance(done, PokeReturnValue) else None
        deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.timeout)
        self.defer_to(self.make_trigger(self._ids()), "execute_complete", deadline)
        return None  # not reached: defer_to raises TaskDeferred

    def poke(self, context: Context) -> bool | PokeReturnValue:
        """One listing call: True (with ``{id: state}`` as the XCom) when every id ended well."""
        ids = self._ids()
        if self._fetch is None:
            fetch, active = self.sync_poller(ids)
            self._fetch, self._active = fetch, active
        states = self._fetch()
        for rid, state in states.items():
            if self._seen.get(rid) != state:
                self.log.info("%s %s is %s", self.noun, rid, state)
                self._seen[rid] = state
        ended = {i: s for i, s in states.items() if s not in self._active}
        bad = {i: s for i, s in ended.items() if s != self.done_state}
        if bad and (self.fail_fast or len(ended) == len(ids)):
            self._fail("failed", bad, states)
        if len(ended) < len(ids):
            return False
        return PokeReturnValue(is_done=True, xcom_value=self._succeed(states))

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, str]:
        states: dict[str, str] = dict(event.get("states") or {})
        if event["status"] == "timeout":
            from emr_dags.compat import sensor_exceptions

            AirflowSensorTimeout, AirflowSkipException = sensor_exceptions()  # noqa: N806

            message = f"{self.noun}s on {self.parent} not all ended within {self.timeout:.0f} s: {states}"
            if self.soft_fail:
                raise AirflowSkipException(message)
            raise AirflowSensorTimeout(message)
        if event["status"] == "error":  # an AWS error or unknown ids: fails like a poke that raised
            raise self.failure(
                f"Waiting for {self.noun.lower()}s on {self.parent} failed: {event.get('message')}",
                resource_id=",".join(self._ids()),
                state="error",
            )
        bad = {i: s for i, s in states.items() if s != self.done_state}
        if event["status"] != "success" or bad:
            self._fail(event["status"], bad, states, event.get("message"))
        return self._succeed(states)

    def on_kill(self) -> None:
        # Deliberately nothing: the sensor only watches (see the module docstring).
        self.log.info("Sensor killed; %ss on %s are left running", self.noun.lower(), self.parent)

    # -- verdict ----------------------------------------------------------------------------
    def _succeed(self, states: dict[str, str]) -> dict[str, str]:
        self.log.info(
            "All %d %ss on %s ended %s", len(states), self.noun.lower(), self.parent, self.done_state
        )
        return states

    def _fail(
        self, status: str, bad: dict[str, str], states: dict[str, str], message: str | None = None
    ) -> None:
        text = (
            f"{self.noun}s on {self.parent} did not all end {self.done_state} ({status}): "
            f"{bad or message or states}"
        )
        if self.soft_fail:
            from emr_dags.compat import sensor_exceptions

            raise sensor_exceptions()[1](text)
        raise self.failure(text, resource_id=",".join(bad), state=status)
