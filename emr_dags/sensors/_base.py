"""What the three sensors share: wait for a set of ids under one parent with one listing call per interval.

A subclass names its parent and ids attributes, its AWS layer and trigger; the waiting (deferred by
default, or synchronous) and the verdict are here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from emr_dags.operators._base import EmrBaseOperator

if TYPE_CHECKING:
    from collections.abc import Callable

    from airflow.sdk import Context

    from emr_dags.aws.errors import EmrResourceFailed
    from emr_dags.triggers.base import EmrWaitTrigger


class BatchWaitSensor(EmrBaseOperator):
    parent_field: ClassVar[str]  # attribute holding the cluster / application / virtual cluster id
    ids_field: ClassVar[str]  # attribute holding the step / job run ids (one id or a list)
    done_state: ClassVar[str]  # the one good terminal state
    noun: ClassVar[str]  # "Step", "Job run", "EKS job run"
    failure: ClassVar[type[EmrResourceFailed]]

    def __init__(self, *, fail_fast: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fail_fast = fail_fast

    @property
    def parent(self) -> str:
        return str(getattr(self, self.parent_field))

    def _ids(self) -> list[str]:
        ids = getattr(self, self.ids_field)
        return [ids] if isinstance(ids, str) else [str(i) for i in ids]

    def make_trigger(self, ids: list[str]) -> EmrWaitTrigger:
        raise NotImplementedError

    def sync_poller(self, ids: list[str]) -> tuple[Callable[[], dict[str, str]], tuple[str, ...]]:
        """A function returning {id: state} in one listing call, and the states that mean "still going"."""
        raise NotImplementedError

    def execute(self, context: Context) -> dict[str, str]:
        ids = self._ids()
        if self.deferrable:
            self.defer_to(self.make_trigger(ids), "execute_complete", self.deadline(context))
        fetch, active = self.sync_poller(ids)
        outcome, states = self.wait_sync(fetch, active, self.deadline(context), self.noun)
        return self.execute_complete(context, {"status": outcome, "states": states})

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, str]:
        states: dict[str, str] = dict(event.get("states") or {})
        bad = {i: s for i, s in states.items() if s != self.done_state}
        if event["status"] != "success" or bad:
            raise self.failure(
                f"{self.noun}s on {self.parent} did not all end {self.done_state} ({event['status']}): "
                f"{bad or event.get('message')}",
                resource_id=",".join(bad),
                state=event["status"],
            )
        self.log.info(
            "All %d %ss on %s ended %s", len(states), self.noun.lower(), self.parent, self.done_state
        )
        return states

    def trigger_kwargs(self) -> dict[str, Any]:
        """The trigger arguments every sensor passes the same way."""
        return {
            "aws_conn_id": self.aws_conn_id,
            "region_name": self.region_name,
            "poll_interval": self.poll_interval,
            "cancel_on_kill": self.cancel_on_kill,
            "fail_fast": self.fail_fast,
        }
