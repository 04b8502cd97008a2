from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any

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
