"""Wait for EMR on EKS job runs started elsewhere (e.g. ``EmrEksJobOperator(wait_for_completion=False)``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emr_dags.aws.errors import EmrJobRunFailed
from emr_dags.operators._base import EmrBaseOperator

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.sdk import Context


class EmrEksJobsSensor(EmrBaseOperator):
    """Succeeds when every job run is COMPLETED; one ListJobRuns per virtual cluster per interval."""

    template_fields: Sequence[str] = ("virtual_cluster_id", "job_ids", "region_name")

    def __init__(
        self, *, virtual_cluster_id: Any, job_ids: Any, fail_fast: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.virtual_cluster_id = virtual_cluster_id
        self.job_ids = job_ids
        self.fail_fast = fail_fast

    def _ids(self) -> list[str]:
        return [self.job_ids] if isinstance(self.job_ids, str) else [str(i) for i in self.job_ids]

    def execute(self, context: Context) -> dict[str, str]:
        from emr_dags.aws.clients import client_for
        from emr_dags.aws.eks import ACTIVE_JOB_STATES, EksApi

        ids = self._ids()
        if self.deferrable:
            from emr_dags.triggers.eks import EmrEksJobTrigger

            self.defer_to(
                EmrEksJobTrigger(
                    virtual_cluster_id=self.virtual_cluster_id,
                    job_ids=ids,
                    aws_conn_id=self.aws_conn_id,
                    region_name=self.region_name,
                    poll_interval=self.poll_interval,
                    cancel_on_kill=self.cancel_on_kill,
                    fail_fast=self.fail_fast,
                ),
                "execute_complete",
                self.deadline(context),
            )
        api = EksApi(client_for("emr-containers", self.target()))
        outcome, states = self.wait_sync(
            lambda: {
                i: str(r["state"]) for i, r in api.list_job_runs(self.virtual_cluster_id, set(ids)).items()
            },
            ACTIVE_JOB_STATES,
            self.deadline(context),
            "EKS job run",
        )
        return self.execute_complete(context, {"status": outcome, "states": states})

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, str]:
        states: dict[str, str] = dict(event.get("states") or {})
        bad = {i: s for i, s in states.items() if s != "COMPLETED"}
        if event["status"] != "success" or bad:
            raise EmrJobRunFailed(
                f"EKS job runs on {self.virtual_cluster_id} did not all complete ({event['status']}): "
                f"{bad or event.get('message')}",
                resource_id=",".join(bad),
                state=event["status"],
            )
        self.log.info("All %d EKS job runs on %s completed", len(states), self.virtual_cluster_id)
        return states
