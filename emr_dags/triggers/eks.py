"""Trigger for EMR on EKS job runs: one ListJobRuns per virtual cluster per interval."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emr_dags.aws.states import EKS_JOB_ACTIVE, EKS_JOB_SUCCESS
from emr_dags.triggers.base import EmrWaitTrigger

if TYPE_CHECKING:
    from collections.abc import Hashable

    from emr_dags.aws.clients import AwsTarget
    from emr_dags.aws.eks import EksApi
    from emr_dags.triggers._poller import Fetch


def _api(target: AwsTarget) -> EksApi:
    from emr_dags.aws.clients import client_for
    from emr_dags.aws.eks import EksApi

    return EksApi(client_for("emr-containers", target))


class EmrEksJobTrigger(EmrWaitTrigger):
    ACTIVE = EKS_JOB_ACTIVE
    SUCCESS = EKS_JOB_SUCCESS

    def __init__(self, *, virtual_cluster_id: str, job_ids: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.virtual_cluster_id = virtual_cluster_id
        self.job_ids = list(job_ids)

    def _own_kwargs(self) -> dict[str, Any]:
        return {"virtual_cluster_id": self.virtual_cluster_id, "job_ids": list(self.job_ids)}

    def watched_ids(self) -> list[str]:
        return list(self.job_ids)

    def poll_key(self) -> Hashable:
        return ("emr-eks", *self.target_key(), self.virtual_cluster_id)

    def make_fetch(self) -> Fetch:
        api = _api(self.target())
        vc = self.virtual_cluster_id
        return lambda ids: api.list_job_runs(vc, set(ids))

    def state_of(self, desc: dict[str, Any]) -> str:
        return str(desc.get("state", "UNKNOWN"))

    def diagnosis_request(self, resource_id: str) -> tuple[str, dict[str, Any]] | None:
        return "eks_job", {
            "containers_client": self.client("emr-containers"),
            "s3_client": self.client("s3"),
            "logs_client": self.client("logs"),
            "virtual_cluster_id": self.virtual_cluster_id,
            "job_id": resource_id,
        }

    def cancel(self) -> None:
        api = _api(self.target())
        for job_id in self.job_ids:
            api.cancel_job_run(self.virtual_cluster_id, job_id)
