"""Trigger for EMR Serverless job runs: one ListJobRuns per application per interval."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emr_dags.aws.states import SERVERLESS_JOB_ACTIVE, SERVERLESS_JOB_SUCCESS
from emr_dags.triggers.base import EmrWaitTrigger

if TYPE_CHECKING:
    from collections.abc import Hashable

    from emr_dags.aws.clients import AwsTarget
    from emr_dags.aws.serverless import ServerlessApi
    from emr_dags.triggers._poller import Fetch


def _api(target: AwsTarget) -> ServerlessApi:
    from emr_dags.aws.clients import client_for
    from emr_dags.aws.serverless import ServerlessApi

    return ServerlessApi(client_for("emr-serverless", target))


class EmrServerlessJobTrigger(EmrWaitTrigger):
    ACTIVE = SERVERLESS_JOB_ACTIVE
    SUCCESS = SERVERLESS_JOB_SUCCESS

    def __init__(self, *, application_id: str, job_run_ids: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.application_id = application_id
        self.job_run_ids = list(job_run_ids)

    def _own_kwargs(self) -> dict[str, Any]:
        return {"application_id": self.application_id, "job_run_ids": list(self.job_run_ids)}

    def watched_ids(self) -> list[str]:
        return list(self.job_run_ids)

    def poll_key(self) -> Hashable:
        return ("emr-serverless", *self.target_key(), self.application_id)

    def make_fetch(self) -> Fetch:
        api = _api(self.target())
        app = self.application_id
        return lambda ids: api.list_job_runs(app, set(ids))

    def state_of(self, desc: dict[str, Any]) -> str:
        return str(desc.get("state", "UNKNOWN"))

    def diagnosis_request(self, resource_id: str) -> tuple[str, dict[str, Any]] | None:
        return "serverless_job", {
            "serverless_client": self.client("emr-serverless"),
            "s3_client": self.client("s3"),
            "logs_client": self.client("logs"),
            "application_id": self.application_id,
            "job_run_id": resource_id,
        }

    def cancel(self) -> None:
        api = _api(self.target())
        for run_id in self.job_run_ids:
            api.cancel_job_run(self.application_id, run_id)
