"""Wait for several steps on one cluster with one ListSteps per interval (not one DescribeStep each)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emr_dags.aws.errors import EmrStepFailed
from emr_dags.operators._base import EmrBaseOperator

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.sdk import Context


class EmrStepsSensor(EmrBaseOperator):
    """Succeeds when every step in ``step_ids`` COMPLETED; fails as soon as one fails (``fail_fast``).

    Use it for steps added elsewhere (e.g. by ``EmrStepOperator(wait_for_completion=False)``). The
    stock ``EmrStepSensor`` polls DescribeStep + DescribeCluster per step per poke; this sensor and
    every other emr-dags trigger on the same cluster share one ListSteps call per interval.
    """

    template_fields: Sequence[str] = ("cluster_id", "step_ids", "region_name")

    def __init__(
        self, *, cluster_id: str, step_ids: Sequence[str] | str, fail_fast: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.cluster_id = cluster_id
        self.step_ids = step_ids
        self.fail_fast = fail_fast

    def _ids(self) -> list[str]:
        return [self.step_ids] if isinstance(self.step_ids, str) else [str(s) for s in self.step_ids]

    def execute(self, context: Context) -> dict[str, str]:
        from emr_dags.aws.clients import client_for
        from emr_dags.aws.emr import ACTIVE_STEP_STATES, EmrApi, step_state

        ids = self._ids()
        if self.deferrable:
            from emr_dags.triggers.emr import EmrStepsTrigger

            self.defer_to(
                EmrStepsTrigger(
                    cluster_id=self.cluster_id,
                    step_ids=ids,
                    aws_conn_id=self.aws_conn_id,
                    region_name=self.region_name,
                    poll_interval=self.poll_interval,
                    cancel_on_kill=self.cancel_on_kill,
                    fail_fast=self.fail_fast,
                ),
                "execute_complete",
                self.deadline(context),
            )
        api = EmrApi(client_for("emr", self.target()))
        outcome, states = self.wait_sync(
            lambda: {i: step_state(s) for i, s in api.list_steps(self.cluster_id, ids).items()},
            ACTIVE_STEP_STATES,
            self.deadline(context),
            "Step",
        )
        return self.execute_complete(context, {"status": outcome, "states": states})

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, str]:
        states: dict[str, str] = dict(event.get("states") or {})
        bad = {i: s for i, s in states.items() if s != "COMPLETED"}
        if event["status"] != "success" or bad:
            raise EmrStepFailed(
                f"Steps on {self.cluster_id} did not all complete ({event['status']}): {bad or event.get('message')}",
                resource_id=",".join(bad),
                state=event["status"],
            )
        self.log.info("All %d steps on %s completed", len(states), self.cluster_id)
        return states
