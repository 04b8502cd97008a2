"""Wait for EMR Serverless job runs started elsewhere (e.g. ``EmrServerlessJobOperator(wait_for_completion=False)``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emr_dags.aws.errors import EmrJobRunFailed
from emr_dags.operators._base import aws_template_fields
from emr_dags.sensors._base import BatchWaitSensor

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from emr_dags.triggers.base import EmrWaitTrigger


class EmrServerlessJobsSensor(BatchWaitSensor):
    """Succeeds when every job run is SUCCESS; one ListJobRuns per application per interval."""

    template_fields: Sequence[str] = aws_template_fields("application_id", "job_run_ids")
    parent_field, ids_field, done_state, noun, failure = (
        "application_id", "job_run_ids", "SUCCESS", "Job run", EmrJobRunFailed,
    )  # fmt: skip

    def __init__(self, *, application_id: Any, job_run_ids: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.application_id = application_id
        self.job_run_ids = job_run_ids

    def make_trigger(self, ids: list[str]) -> EmrWaitTrigger:
        from emr_dags.triggers.serverless import EmrServerlessJobTrigger

        return EmrServerlessJobTrigger(
            application_id=self.application_id, job_run_ids=ids, **self.trigger_kwargs()
        )

    def sync_poller(self, ids: list[str]) -> tuple[Callable[[], dict[str, str]], tuple[str, ...]]:
        from emr_dags.aws.clients import client_for
        from emr_dags.aws.serverless import ServerlessApi
        from emr_dags.aws.states import SERVERLESS_JOB_ACTIVE

        api = ServerlessApi(client_for("emr-serverless", self.target()))

        def fetch() -> dict[str, str]:
            return {i: str(r["state"]) for i, r in api.list_job_runs(self.application_id, set(ids)).items()}

        return fetch, SERVERLESS_JOB_ACTIVE
