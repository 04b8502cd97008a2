"""Trigger for EMR on EKS job runs: one ListJobRuns per virtual cluster per interval."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emr_dags.aws.states import EKS_JOB_ACTIVE, EKS_JOB_SUCCESS
from emr_dags.triggers.base import EmrWaitTrigger

if TYPE_CHECKING:
    from collections.abc import Hashable

    from emr_dags.aws.eks import EksApi
    from emr_dags.triggers._poller import Fetch


def _api(aws_conn_id: str | None, region_name: str | None) -> EksApi:
    from emr_dags.aws.clients import AwsTarget, client_for
    from emr_dags.aws.eks import EksApi

    return EksApi(client_for("emr-containers", AwsTarget(aws_conn_id, region_name)))


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
        return ("emr-eks", self.aws_conn_id, self.region_name, self.virtual_cluster_id)

    def make_fetch(self) -> Fetch:
        api = _api(self.aws_conn_id, self.region_name)
        vc = self.virtual_cluster_id
        return lambda ids: api.list_job_runs(vc, set(ids))

    def state_of(self, desc: dict[str, Any]) -> str:
        return str(desc.get("state", "UNKNOWN"))

    def cancel(self) -> None:
        api = _api(self.aws_conn_id, self.region_name)
        for job_id in self.job_ids:
            api.cancel_job_run(self.virtual_cluster_id, job_id)
