"""Wait for several steps on one cluster with one ListSteps per interval (not one DescribeStep each)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emr_dags.aws.errors import EmrStepFailed
from emr_dags.operators._base import aws_template_fields
from emr_dags.sensors._base import BatchWaitSensor

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from emr_dags.triggers.base import EmrWaitTrigger


class EmrStepsSensor(BatchWaitSensor):
    """Succeeds when every step in ``step_ids`` COMPLETED; fails as soon as one fails (``fail_fast``).

    Use it for steps added elsewhere (e.g. by ``EmrStepOperator(wait_for_completion=False)``). The
    stock ``EmrStepSensor`` polls DescribeStep + DescribeCluster per step per poke; this sensor and
    every other emr-dags trigger on the same cluster share one ListSteps call per interval.
    """

    template_fields: Sequence[str] = aws_template_fields("cluster_id", "step_ids")
    parent_field, ids_field, done_state, noun, failure = (
        "cluster_id",
        "step_ids",
        "COMPLETED",
        "Step",
        EmrStepFailed,
    )

    def __init__(self, *, cluster_id: str, step_ids: Sequence[str] | str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cluster_id = cluster_id
        self.step_ids = step_ids

    def make_trigger(self, ids: list[str]) -> EmrWaitTrigger:
        from emr_dags.triggers.emr import EmrStepsTrigger

        return EmrStepsTrigger(cluster_id=self.cluster_id, step_ids=ids, **self.trigger_kwargs())

    def sync_poller(self, ids: list[str]) -> tuple[Callable[[], dict[str, str]], tuple[str, ...]]:
        from emr_dags.aws.clients import client_for
        from emr_dags.aws.emr import EmrApi, step_state
        from emr_dags.aws.states import STEP_ACTIVE

        api = EmrApi(client_for("emr", self.target()))

        def fetch() -> dict[str, str]:
            return {i: step_state(s) for i, s in api.list_steps(self.cluster_id, ids).items()}

        return fetch, STEP_ACTIVE
