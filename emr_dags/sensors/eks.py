"""Wait for EMR on EKS job runs started elsewhere (e.g. ``EmrEksJobOperator(wait_for_completion=False)``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emr_dags.aws.errors import EmrJobRunFailed
from emr_dags.operators._base import aws_template_fields
from emr_dags.sensors._base import BatchWaitSensor

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from emr_dags.triggers.base import EmrWaitTrigger


class EmrEksJobsSensor(BatchWaitSensor):
    """Succeeds when every job run is COMPLETED; one ListJobRuns per virtual cluster per interval."""

    template_fields: Sequence[str] = aws_template_fields("virtual_cluster_id", "job_ids")
    parent_field, ids_field, done_state, noun, failure = (
        "virtual_cluster_id", "job_ids", "COMPLETED", "EKS job run", EmrJobRunFailed,
    )  # fmt: skip

    def __init__(self, *, virtual_cluster_id: Any, job_ids: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.virtual_cluster_id = virtual_cluster_id
        self.job_ids = job_ids

    def make_trigger(self, ids: list[str]) -> EmrWaitTrigger:
        from emr_dags.triggers.eks import EmrEksJobTrigger

        return EmrEksJobTrigger(
            virtual_cluster_id=self.virtual_cluster_id, job_ids=ids, **self.trigger_kwargs()
        )

    def sync_poller(self, ids: list[str]) -> tuple[Callable[[], dict[str, str]], tuple[str, ...]]:
        from emr_dags.aws.clients import client_for
        from emr_dags.aws.eks import EksApi
        from emr_dags.aws.states import EKS_JOB_ACTIVE

        api = EksApi(client_for("emr-containers", self.target()))

        def fetch() -> dict[str, str]:
            return {
                i: str(r["state"]) for i, r in api.list_job_runs(self.virtual_cluster_id, set(ids)).items()
            }

        return fetch, EKS_JOB_ACTIVE
