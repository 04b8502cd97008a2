from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any

import pytest

from emr_dags.triggers._poller import active_pollers
from emr_dags.triggers.emr import EmrStepsTrigger

if TYPE_CHECKING:
    from collections.abc import Hashable


class Throttled(Exception):
    response = {"Error": {"Code": "ThrottlingException"}, "ResponseMetadata": {"HTTPStatusCode": 400}}


class FakeCluster:
    """Steps complete after ``polls_to_finish`` listing calls; counts calls."""

    def __init__(self, polls_to_finish: int, throttle_first: int = 0) -> None:
        self.calls = 0
        self.polls_to_finish = polls_to_finish
        self.throttle_first = throttle_first
        self.lock = threading.Lock()

    def fetch(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        with self.lock:
            self.calls += 1
            if self.throttle_first:
                self.throttle_first -= 1
                raise Throttled()
            state = "COMPLETED" if self.calls >= self.polls_to_finish else "RUNNING"
        return {i: {"Id": i, "Status": {"State": "FAILED" if i == "bad" else state}} for i in ids}


def _trigger(fake: FakeCluster, step_id: str) -> EmrStepsTrigger:
    trigger = EmrStepsTrigger(cluster_id="j-1", step_ids=[step_id], poll_interval=0.01)
    trigger.make_fetch = lambda: fake.fetch  # type: ignore[method-assign]
    return trigger


async def _first_event(trigger: EmrStepsTrigger) -> dict[str, Any]:
    async for event in trigger.run():
        return dict(event.payload)
    raise AssertionError


def test_twenty_waiters_on_one_cluster_share_one_listing_per_interval() -> None:
    fake = FakeCluster(polls_to_finish=5)

    async def main() -> list[dict[str, Any]]:
        return await asyncio.gather(*(_first_event(_trigger(fake, f"s-{i}")) for i in range(20)))

    events = asyncio.run(main())
    assert {e["status"] for e in events} == {"success"}
    assert fake.calls <= 6  # not 20 x 5
    assert not active_pollers()  # the poller stops with its last subscriber


def test_throttling_backs_off_without_failing_the_wait(monkeypatch: Any) -> None:
    import emr_dags.triggers._poller as poller

    monkeypatch.setattr(poller, "backoff_delay", lambda attempt: 0.0)
    fake = FakeCluster(polls_to_finish=3, throttle_first=4)
    assert asyncio.run(_first_event(_trigger(fake, "s-1")))["status"] == "success"


def test_a_failed_step_is_reported_with_its_state() -> None:
    event = asyncio.run(_first_event(_trigger(FakeCluster(polls_to_finish=1), "bad")))
    assert event["status"] == "failed"
    assert event["states"] == {"bad": "FAILED"}


def test_deadline_fires_a_timeout_event() -> None:
    trigger = _trigger(FakeCluster(polls_to_finish=10**9), "s-1")
    trigger.deadline = "2000-01-01T00:00:00+00:00"
    assert asyncio.run(_first_event(trigger))["status"] == "timeout"


def test_a_client_error_ends_the_wait_with_an_error_event() -> None:
    trigger = EmrStepsTrigger(cluster_id="j-1", step_ids=["s-1"], poll_interval=0.01)

    def broken(ids: set[str]) -> dict[str, Any]:
        raise KeyError("AccessDenied")

    trigger.make_fetch = lambda: broken  # type: ignore[method-assign]
    assert asyncio.run(_first_event(trigger))["status"] == "error"


def test_cleanup_never_calls_aws_but_on_kill_cancels() -> None:
    cancelled: list[Hashable] = []
    trigger = EmrStepsTrigger(cluster_id="j-1", step_ids=["s-1"])
    trigger.cancel = lambda: cancelled.append("s-1")  # type: ignore[method-assign]
    asyncio.run(trigger.cleanup())
    assert cancelled == []
    asyncio.run(trigger.on_kill())
    assert cancelled == ["s-1"]
    quiet = EmrStepsTrigger(cluster_id="j-1", step_ids=["s-1"], cancel_on_kill=False)
    quiet.cancel = lambda: cancelled.append("again")  # type: ignore[method-assign]
    asyncio.run(quiet.on_kill())
    assert cancelled == ["s-1"]


@pytest.mark.parametrize(
    ("state", "cancels"),
    [
        ("failed", True),
        ("success", True),
        (None, True),
        ("scheduled", True),
        ("queued", False),
        ("running", False),
    ],
)
def test_on_kill_leaves_work_alone_when_the_task_was_resumed_elsewhere(
    monkeypatch: pytest.MonkeyPatch, state: str | None, cancels: bool
) -> None:
    # `airflow dags test` runs the trigger in line and queues the task itself; the live triggerer
    # then sees its copy removed and calls on_kill, though no user killed anything.
    from types import SimpleNamespace

    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    asked: list[dict[str, Any]] = []

    def states(**kwargs: Any) -> dict[str, Any]:
        asked.append(kwargs)
        return {"r1": {"g.step": state}} if state else {}

    monkeypatch.setattr(RuntimeTaskInstance, "get_task_states", staticmethod(states))
    cancelled: list[str] = []
    trigger = EmrStepsTrigger(cluster_id="j-1", step_ids=["s-1"])
    trigger.task_instance = SimpleNamespace(dag_id="d", task_id="g.step", run_id="r1", map_index=-1)  # type: ignore[assignment]
    trigger.cancel = lambda: cancelled.append("s-1")  # type: ignore[method-assign]
    asyncio.run(trigger.on_kill())
    assert cancelled == (["s-1"] if cancels else [])
    assert asked == [{"dag_id": "d", "task_ids": ["g.step"], "run_ids": ["r1"], "map_index": -1}]


def test_on_kill_reads_a_mapped_task_by_its_map_index_and_cancels_when_the_api_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from types import SimpleNamespace

    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    trigger = EmrStepsTrigger(cluster_id="j-1", step_ids=["s-1"])
    trigger.task_instance = SimpleNamespace(dag_id="d", task_id="g.step", run_id="r1", map_index=3)  # type: ignore[assignment]
    monkeypatch.setattr(
        RuntimeTaskInstance,
        "get_task_states",
        staticmethod(lambda **_: {"r1": {"g.step_3": "running", "g.step": "failed"}}),
    )
    assert trigger.current_task_state() == "running"

    def down(**_: Any) -> dict[str, Any]:
        raise ConnectionError("supervisor gone")

    monkeypatch.setattr(RuntimeTaskInstance, "get_task_states", staticmethod(down))
    cancelled: list[str] = []
    trigger.cancel = lambda: cancelled.append("s-1")  # type: ignore[method-assign]
    asyncio.run(trigger.on_kill())
    assert cancelled == ["s-1"]


def test_a_cluster_whose_create_task_is_now_success_is_not_terminated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from types import SimpleNamespace

    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    from emr_dags.triggers.emr import EmrClusterStateTrigger

    state = {"now": "success"}
    monkeypatch.setattr(
        RuntimeTaskInstance,
        "get_task_states",
        staticmethod(lambda **_: {"r1": {"g.create_cluster": state["now"]}}),
    )
    terminated: list[str] = []
    trigger = EmrClusterStateTrigger(cluster_id="j-1", target_states=["WAITING"])
    trigger.task_instance = SimpleNamespace(dag_id="d", task_id="g.create_cluster", run_id="r1", map_index=-1)  # type: ignore[assignment]
    trigger.cancel = lambda: terminated.append("j-1")  # type: ignore[method-assign]
    asyncio.run(trigger.on_kill())
    assert terminated == []
    state["now"] = "failed"  # a user marked the deferred create failed: the cluster goes
    asyncio.run(trigger.on_kill())
    assert terminated == ["j-1"]


def _ending_trigger(fake: FakeCluster, step_id: str) -> EmrStepsTrigger:
    trigger = EmrStepsTrigger(
        cluster_id="j-1", step_ids=[step_id], poll_interval=0.01, end_task_on_success=True, reattached=False
    )
    trigger.make_fetch = lambda: fake.fetch  # type: ignore[method-assign]
    return trigger


async def _raw_event(trigger: EmrStepsTrigger) -> Any:
    async for event in trigger.run():
        return event
    raise AssertionError


def test_a_completed_step_ends_the_task_from_the_triggerer_with_its_result() -> None:
    from airflow.triggers.base import TaskSuccessEvent

    fake = FakeCluster(polls_to_finish=2)
    timeline = {"StartDateTime": "2026-01-01T00:00:00+00:00", "EndDateTime": "2026-01-01T00:02:00+00:00"}
    fetch = fake.fetch
    fake.fetch = lambda ids: {  # type: ignore[method-assign]
        i: {**d, "Name": "etl", "Status": {**d["Status"], "Timeline": timeline}}
        for i, d in fetch(ids).items()
    }
    event = asyncio.run(_raw_event(_ending_trigger(fake, "s-1")))
    assert isinstance(event, TaskSuccessEvent)
    result = event.xcoms["return_value"]
    assert (result["cluster_id"], result["step_id"], result["state"]) == ("j-1", "s-1", "COMPLETED")
    assert (result["name"], result["reattached"], result["duration_seconds"]) == ("etl", False, 120.0)


def test_a_failed_step_still_resumes_the_task_on_a_worker_for_its_diagnosis() -> None:
    from airflow.triggers.base import BaseTaskEndEvent

    event = asyncio.run(_raw_event(_ending_trigger(FakeCluster(polls_to_finish=1), "bad")))
    assert not isinstance(event, BaseTaskEndEvent)
    assert event.payload["status"] == "failed"
