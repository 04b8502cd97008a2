"""EMR on EKS operator: start a job run exactly once and wait for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emr_dags.aws.errors import EmrJobRunFailed
from emr_dags.aws.states import EKS_JOB_ACTIVE, EKS_JOB_SUCCESS
from emr_dags.errors import EmrConfigError
from emr_dags.links.diagnosis import ProbableCauseLink
from emr_dags.links.eks import EKS_KEY, EmrEksJobLink
from emr_dags.operators._base import EmrBaseOperator, aws_template_fields, diagnose

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.sdk import Context

    from emr_dags.aws.eks import EksApi


class EmrEksJobOperator(EmrBaseOperator):
    """Start an EMR on EKS job run (clientToken + name marker + tags) and wait for it.

    :param job: ``EksJobSpec`` (``to_start_job_run()``) or a StartJobRun dict.
    :param virtual_cluster_id: overrides the request's ``virtualClusterId`` (templated).
    :param virtual_cluster_name: find the RUNNING virtual cluster by name instead (templated).
    """

    template_fields: Sequence[str] = aws_template_fields(
        "virtual_cluster_id", "virtual_cluster_name", "job_run_request", "generation"
    )
    template_fields_renderers = {"job_run_request": "json"}
    operator_extra_links = (EmrEksJobLink(), ProbableCauseLink())

    def __init__(
        self,
        *,
        job: Any,
        virtual_cluster_id: str | None = None,
        virtual_cluster_name: str | None = None,
        wait_for_completion: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.job_run_request = self.request_from("job_run_request", job, "to_start_job_run")
        self.reject_reserved_tags(self.job_run_request, "tags", "job")
        self.virtual_cluster_id = virtual_cluster_id or self.job_run_request.get("virtualClusterId")
        self.virtual_cluster_name = virtual_cluster_name
        if not (self.virtual_cluster_id or virtual_cluster_name):
            raise EmrConfigError(
                f"{type(self).__name__}.virtual_cluster_id: missing; pass virtual_cluster_id or "
                "virtual_cluster_name, or set it in the job spec",
                spec=type(self).__name__,
                field="virtual_cluster_id",
            )
        self.wait_for_completion = wait_for_completion
        self._job_id: str | None = None

    def api(self) -> EksApi:
        from emr_dags.aws.clients import client_for
        from emr_dags.aws.eks import EksApi

        return EksApi(client_for("emr-containers", self.target()))

    def execute(self, context: Context) -> dict[str, Any]:

        key, tags = self.ownership(context)
        api = self.api()
        if self.virtual_cluster_name and not self.virtual_cluster_id:
            self.virtual_cluster_id = api.find_virtual_cluster_id(self.virtual_cluster_name)
            if not self.virtual_cluster_id:
                raise EmrConfigError(
                    f"{type(self).__name__}.virtual_cluster_name: no RUNNING EMR on EKS virtual cluster "
                    f"named exactly {self.virtual_cluster_name!r} (names are matched as given, "
                    f"case-sensitive); searched ListVirtualClusters in "
                    f"{self.region_name or 'the connection region'}",
                    spec=type(self).__name__,
                    field="virtual_cluster_name",
                )
        request = {**self.job_run_request, "virtualClusterId": self.virtual_cluster_id}
        job_id, reattached = api.start_job_run(request, key, tags)
        self._job_id = job_id
        self.log.info(
            "%s EKS job run %s on %s",
            "Re-attached to" if reattached else "Started",
            job_id,
            self.virtual_cluster_id,
        )
        context["ti"].xcom_push(key="job_id", value=job_id)
        # A resumed (deferred) task is a new operator instance: keep the resolved id for it.
        context["ti"].xcom_push(key="virtual_cluster_id", value=self.virtual_cluster_id)
        self._persist_link(context, job_id)
        run = api.describe_job_run(self.virtual_cluster_id, job_id)  # type: ignore[arg-type]
        if not self.wait_for_completion or run["state"] in EKS_JOB_SUCCESS:
            return self._result(run, reattached)
        if self.deferrable:
            from emr_dags.triggers.eks import EmrEksJobTrigger

            self.defer_to(
                EmrEksJobTrigger(
                    virtual_cluster_id=self.virtual_cluster_id,  # type: ignore[arg-type]
                    job_ids=[job_id],
                    **self.aws_kwargs(),
                    poll_interval=self.poll_interval,
                    cancel_on_kill=self.cancel_on_kill,
                    diagnose=True,
                ),
                "execute_complete",
                self.deadline(context),
            )
        outcome, _ = self.wait_sync(
            lambda: {job_id: api.describe_job_run(self.virtual_cluster_id, job_id)["state"]},  # type: ignore[arg-type]
            EKS_JOB_ACTIVE,
            self.deadline(context),
            "EKS job run",
        )
        return self._finish(api, job_id, outcome, reattached)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        job_id = next(iter(event.get("states") or {}), None) or context["ti"].xcom_pull(
            task_ids=self.task_id, key="job_id", map_indexes=context["ti"].map_index
        )
        self._job_id = job_id
        if not self.virtual_cluster_id:  # found by name before deferring; not re-rendered into the template
            self.virtual_cluster_id = context["ti"].xcom_pull(
                task_ids=self.task_id, key="virtual_cluster_id", map_indexes=context["ti"].map_index
            )
        if event["status"] == "error":
            raise EmrJobRunFailed(
                f"Waiting for EKS job run {job_id} failed: {event.get('message')}", resource_id=job_id
            )
        return self._finish(self.api(), job_id, event["status"], None, event)

    def _finish(
        self,
        api: EksApi,
        job_id: str,
        outcome: str,
        reattached: bool | None,
        event: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if outcome == "timeout":
            if self.cancel_on_kill:
                api.cancel_job_run(self.virtual_cluster_id, job_id)  # type: ignore[arg-type]
            raise EmrJobRunFailed(
                f"EKS job run {job_id} did not finish within the wait budget; cancelled", resource_id=job_id
            )
        run = api.describe_job_run(self.virtual_cluster_id, job_id)  # type: ignore[arg-type]
        if run["state"] in EKS_JOB_SUCCESS:
            return self._result(run, reattached)
        from emr_dags.aws.clients import client_for

        diagnose(
            "eks_job",
            event=event,
            containers_client=api.client,
            s3_client=client_for("s3", self.target()),
            logs_client=client_for("logs", self.target()),
            virtual_cluster_id=self.virtual_cluster_id,
            job_id=job_id,
        )
        raise EmrJobRunFailed(
            f"EKS job run {job_id} ended {run['state']}: {run.get('stateDetails', '')} {run.get('failureReason', '')}",
            resource_id=job_id,
            state=str(run["state"]),
            reason=str(run.get("stateDetails", "")),
        )

    def _result(self, run: dict[str, Any], reattached: bool | None) -> dict[str, Any]:
        from emr_dags.aws.jsonable import jsonable

        result: dict[str, Any] = jsonable(
            {
                "virtual_cluster_id": self.virtual_cluster_id,
                "job_id": run.get("id"),
                "name": run.get("name"),
                "state": run.get("state"),
                "reattached": reattached,
                "created_at": run.get("createdAt"),
                "finished_at": run.get("finishedAt"),
            }
        )
        self.log.info(
            "EKS job run %s %s (finished %s)", result["job_id"], result["state"], result["finished_at"]
        )
        return result

    def _persist_link(self, context: Context, job_id: str) -> None:
        from emr_dags.aws.clients import region_and_partition
        from emr_dags.links.base import link_payload

        try:
            region, partition = region_and_partition("emr-containers", self.target())
            context["ti"].xcom_push(
                key=EKS_KEY,
                value=link_payload(
                    region, partition, virtual_cluster_id=self.virtual_cluster_id, job_id=job_id
                ),
            )
        except Exception as exc:
            self.log.warning("Could not store link data: %s", exc)

    def on_kill(self) -> None:
        if self._job_id and self.cancel_on_kill:
            self.log.info("Killed: cancelling EKS job run %s", self._job_id)
            self.api().cancel_job_run(self.virtual_cluster_id, self._job_id)  # type: ignore[arg-type]
