"""Wait for EMR Serverless job runs started elsewhere (e.g. ``EmrServerlessJobOperator(wait_for_completion=False)``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emr_dags.aws.errors import EmrJobRunFailed
from emr_dags.operators._base import EmrBaseOperator

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.sdk import Context


class EmrServerlessJobsSensor(EmrBaseOperator):
    """Succeeds when every job run is SUCCESS; one ListJobRuns per application per interval."""

    template_fields: Sequence[str] = ("application_id", "job_run_ids", "region_name")

    def __init__(
        self, *, application_id: Any, job_run_ids: Any, fail_fast: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.application_id = application_id
        self.job_run_ids = job_run_ids
        self.fail_fast = fail_fast

    def _ids(self) -> list[str]:
        return [self.job_run_ids] if isinstance(self.job_run_ids, str) else [str(i) for i in self.job_run_ids]

    def execute(self, context: Context) -> dict[str, str]:
        from emr_dags.aws.clients import client_for
        from emr_dags.aws.serverless import ACTIVE_JOB_STATES, ServerlessApi

        ids = self._ids()
        if self.deferrable:
            from emr_dags.triggers.serverless import EmrServerlessJobTrigger

            self.defer_to(
                EmrServerlessJobTrigger(
                    application_id=self.application_id,
                    job_run_ids=ids,
                    aws_conn_id=self.aws_conn_id,
                    region_name=self.region_name,
                    poll_interval=self.poll_interval,
                    cancel_on_kill=self.cancel_on_kill,
                    fail_fast=self.fail_fast,
                ),
                "execute_complete",
                self.deadline(context),
            )
        api = ServerlessApi(client_for("emr-serverless", self.target()))
        outcome, states = self.wait_sync(
            lambda: {i: str(r["state"]) for i, r in api.list_job_runs(self.application_id, set(ids)).items()},
            ACTIVE_JOB_STATES,
            self.deadline(context),
            "Job run",
        )
        return self.execute_complete(context, {"status": outcome, "states": states})

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, str]:
        states: dict[str, str] = dict(event.get("states") or {})
        bad = {i: s for i, s in states.items() if s != "SUCCESS"}
        if event["status"] != "success" or bad:
            raise EmrJobRunFailed(
                f"Job runs on {self.application_id} did not all succeed ({event['status']}): {bad or event.get('message')}",
                resource_id=",".join(bad),
                state=event["status"],
            )
        self.log.info("All %d job runs on %s succeeded", len(states), self.application_id)
        return states
