"""EMR Serverless operators: ensure an application, run a job, stop/delete the application.

No hidden time caps: the job runs as long as its own ``executionTimeoutMinutes`` (if the spec sets
one) and the task's wait budget allow. The stock operator's 25-minute default is not copied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emr_dags.aws.errors import EmrJobRunFailed
from emr_dags.aws.states import (
    SERVERLESS_APP_IDLE,
    SERVERLESS_APP_READY,
    SERVERLESS_APP_STARTING,
    SERVERLESS_APP_STOPPING,
    SERVERLESS_JOB_ACTIVE,
    SERVERLESS_JOB_SUCCESS,
)
from emr_dags.errors import EmrConfigError
from emr_dags.links.diagnosis import ProbableCauseLink
from emr_dags.links.serverless import SERVERLESS_KEY, EmrServerlessJobLink, EmrServerlessLogsLink
from emr_dags.operators._base import EmrBaseOperator, aws_template_fields, diagnose

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.sdk import Context

    from emr_dags.aws.serverless import ServerlessApi

# Placeholder while the application id is still an XCom at parse time; replaced in execute.
APP_PLACEHOLDER = "00000000000000000"


def _s3_log_uri(request: dict[str, Any]) -> str | None:
    monitoring = (request.get("configurationOverrides") or {}).get("monitoringConfiguration") or {}
    return (monitoring.get("s3MonitoringConfiguration") or {}).get("logUri")


class _ServerlessOperator(EmrBaseOperator):
    def api(self) -> ServerlessApi:
        from emr_dags.aws.clients import client_for
        from emr_dags.aws.serverless import ServerlessApi

        return ServerlessApi(client_for("emr-serverless", self.target()))


class EmrServerlessApplicationOperator(_ServerlessOperator):
    """Reuse the live application with the spec's name, or create it (tagged with this task's key).

    Pushes XCom ``application_id`` and ``owned`` (True when this task instance created it, in this
    or an earlier try): the group's teardown stops/deletes only owned applications.

    :param application: ``ServerlessApplicationSpec`` (``to_create_application()``) or a CreateApplication dict.
    """

    template_fields: Sequence[str] = aws_template_fields("application_request", "generation")
    template_fields_renderers = {"application_request": "json"}

    def __init__(self, *, application: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.application_request = self.request_from(
            "application_request", application, "to_create_application"
        )
        if not self.application_request.get("name"):
            raise EmrConfigError(f"{type(self).__name__}.application: needs a name (reuse is by name)")
        self.reject_reserved_tags(self.application_request, "tags", "application")

    def execute(self, context: Context) -> dict[str, Any]:

        key, tags = self.ownership(context)
        api = self.api()
        app_id, owned = api.ensure_application(self.application_request, key, tags)
        self.log.info("Application %s (%s)", app_id, "owned by this pipeline" if owned else "shared, reused")
        outcome, states = self.wait_sync(
            lambda: {app_id: api.get_application(app_id)["state"]},
            ("CREATING",),
            self.deadline(context),
            "Application",
        )
        state = states.get(app_id)
        if outcome == "timeout" or state not in SERVERLESS_APP_READY + SERVERLESS_APP_STARTING:
            raise EmrJobRunFailed(f"Application {app_id} is {state}", resource_id=app_id, state=str(state))
        context["ti"].xcom_push(key="application_id", value=app_id)
        context["ti"].xcom_push(key="owned", value=owned)
        return {
            "application_id": app_id,
            "owned": owned,
            "state": state,
            "name": self.application_request["name"],
        }


class EmrServerlessJobOperator(_ServerlessOperator):
    """Start a job run exactly once (clientToken + name marker + tags) and wait for it.

    :param application_id: usually ``ensure.output["application_id"]``.
    :param job: ``ServerlessSparkJob`` / ``ServerlessHiveJob`` (``to_start_job_run(app_id)``) or a StartJobRun dict.

    Returns ids, state, timings and ``billed_resource_utilization`` (the cost input).
    """

    template_fields: Sequence[str] = aws_template_fields("application_id", "job_run_request", "generation")
    template_fields_renderers = {"job_run_request": "json"}
    operator_extra_links = (EmrServerlessJobLink(), EmrServerlessLogsLink(), ProbableCauseLink())

    def __init__(
        self, *, application_id: Any, job: Any, wait_for_completion: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.application_id = application_id
        self.job_run_request = self.request_from("job_run_request", job, "to_start_job_run", APP_PLACEHOLDER)
        self.reject_reserved_tags(self.job_run_request, "tags", "job")
        self.wait_for_completion = wait_for_completion
        self._job_run_id: str | None = None

    def execute(self, context: Context) -> dict[str, Any]:

        key, tags = self.ownership(context)
        request = {**self.job_run_request, "applicationId": self.application_id}
        api = self.api()
        run_id, reattached = api.start_job_run(self.application_id, request, key, tags)
        self._job_run_id = run_id
        self.log.info(
            "%s job run %s on %s", "Re-attached to" if reattached else "Started", run_id, self.application_id
        )
        context["ti"].xcom_push(key="job_run_id", value=run_id)
        self._persist_link(context, run_id, _s3_log_uri(request))

        run = api.get_job_run(self.application_id, run_id)
        if not self.wait_for_completion or run["state"] in SERVERLESS_JOB_SUCCESS:
            return self._result(run, reattached)
        if self.deferrable:
            from emr_dags.triggers.serverless import EmrServerlessJobTrigger

            self.defer_to(
                EmrServerlessJobTrigger(
                    application_id=self.application_id,
                    job_run_ids=[run_id],
                    **self.aws_kwargs(),
                    poll_interval=self.poll_interval,
                    cancel_on_kill=self.cancel_on_kill,
                    diagnose=True,
                ),
                "execute_complete",
                self.deadline(context),
            )

        outcome, _ = self.wait_sync(
            lambda: {run_id: api.get_job_run(self.application_id, run_id)["state"]},
            SERVERLESS_JOB_ACTIVE,
            self.deadline(context),
            "Job run",
        )
        return self._finish(api, run_id, outcome, reattached)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        run_id = next(iter(event.get("states") or {}), None) or context["ti"].xcom_pull(
            task_ids=self.task_id, key="job_run_id", map_indexes=context["ti"].map_index
        )
        self._job_run_id = run_id
        if event["status"] == "error":
            raise EmrJobRunFailed(
                f"Waiting for job run {run_id} failed: {event.get('message')}", resource_id=run_id
            )
        return self._finish(self.api(), run_id, event["status"], None, event)

    def _finish(
        self,
        api: ServerlessApi,
        run_id: str,
        outcome: str,
        reattached: bool | None,
        event: dict[str, Any] | None = None,
    ) -> dict[str, Any]:

        if outcome == "timeout":
            if self.cancel_on_kill:
                api.cancel_job_run(self.application_id, run_id)
            raise EmrJobRunFailed(
                f"Job run {run_id} did not finish within the wait budget; cancelled", resource_id=run_id
            )
        run = api.get_job_run(self.application_id, run_id)
        if run["state"] in SERVERLESS_JOB_SUCCESS:
            return self._result(run, reattached)
        from emr_dags.aws.clients import client_for

        diagnose(
            "serverless_job",
            event=event,
            serverless_client=api.client,
            s3_client=client_for("s3", self.target()),
            logs_client=client_for("logs", self.target()),
            application_id=self.application_id,
            job_run_id=run_id,
        )
        raise EmrJobRunFailed(
            f"Job run {run_id} on {self.application_id} ended {run['state']}: {run.get('stateDetails', '')}",
            resource_id=run_id,
            state=str(run["state"]),
            reason=str(run.get("stateDetails", "")),
        )

    def _result(self, run: dict[str, Any], reattached: bool | None) -> dict[str, Any]:
        from emr_dags.aws.jsonable import jsonable

        result: dict[str, Any] = jsonable(
            {
                "application_id": self.application_id,
                "job_run_id": run.get("jobRunId"),
                "name": run.get("name"),
                "state": run.get("state"),
                "reattached": reattached,
                "created_at": run.get("createdAt"),
                "updated_at": run.get("updatedAt"),
                "total_execution_duration_seconds": run.get("totalExecutionDurationSeconds"),
                "billed_resource_utilization": run.get("billedResourceUtilization"),
            }
        )
        self.log.info(
            "Job run %s %s; billed %s",
            result["job_run_id"],
            result["state"],
            result["billed_resource_utilization"],
        )
        return result

    def _persist_link(self, context: Context, run_id: str, log_uri: str | None) -> None:
        from emr_dags.aws.clients import region_and_partition
        from emr_dags.links.base import link_payload

        try:
            region, partition = region_and_partition("emr-serverless", self.target())
            context["ti"].xcom_push(
                key=SERVERLESS_KEY,
                value=link_payload(
                    region, partition, application_id=self.application_id, job_run_id=run_id, log_uri=log_uri
                ),
            )
        except Exception as exc:
            self.log.warning("Could not store link data: %s", exc)

    def on_kill(self) -> None:
        if self._job_run_id and self.cancel_on_kill:
            self.log.info("Killed: cancelling job run %s", self._job_run_id)
            self.api().cancel_job_run(self.application_id, self._job_run_id)


class EmrServerlessStopApplicationOperator(_ServerlessOperator):
    """Teardown: cancel this pipeline's live runs; stop and (optionally) delete the application only
    if this pipeline created it and no other owner's job run is live on it.

    The owner is the whole key: deployment, DAG, DAG run, task group and map index (a teardown at map
    index -1 owns its group's runs of every map index). The run id alone is not an owner: two DAGs
    on one schedule share ``scheduled__...`` run ids. See docs/pipelines.md, "Sharing a Serverless
    application".

    :param owner_task_id: the task id of the ensure task; the application is stopped/deleted only when
        its ``emr-dags:key`` tag is that task instance's key (i.e. the pipeline created it).
    """

    template_fields: Sequence[str] = aws_template_fields("application_id", "generation")

    def __init__(
        self,
        *,
        application_id: Any,
        owner_task_id: str | None = None,
        delete: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.application_id = application_id
        self.owner_task_id = owner_task_id
        self.delete = delete

    def execute(self, context: Context) -> dict[str, Any]:
        from emr_dags import tags as tagmod

        if not self.application_id:
            return {"application_id": None, "action": "none"}
        api = self.api()
        app = api.get_application(self.application_id)
        created_here = True
        if self.owner_task_id is not None:
            key, owner_tags = self.ownership(context, task_id=self.owner_task_id)
            created_here = tagmod.is_keyed(app.get("tags"), key, owner_tags[tagmod.DEPLOYMENT])
        ours, others = self._live_runs(api, context)
        for run_id in ours:
            api.cancel_job_run(self.application_id, run_id)
        if ours:
            self.log.info("Cancelled %d live job run(s) of this pipeline: %s", len(ours), ", ".join(ours))
        if not created_here:
            self.log.info(
                "Application %s is shared (not created by this pipeline); leaving it. Live job runs of "
                "other owners: %s",
                self.application_id,
                "; ".join(others) or "none",
            )
            return {
                "application_id": self.application_id,
                "action": "left-running",
                "cancelled_runs": ours,
                "other_owners_live_runs": others,
            }
        if others:
            self.log.warning(
                "Application %s was created by this pipeline but still runs %d job run(s) of other owners; "
                "leaving it running: %s",
                self.application_id,
                len(others),
                "; ".join(others),
            )
            return {
                "application_id": self.application_id,
                "action": "left-running",
                "cancelled_runs": ours,
                "other_owners_live_runs": others,
            }
        self.log.info("Application %s: no live job run of another owner", self.application_id)
        if app["state"] not in SERVERLESS_APP_IDLE:
            api.stop_application(self.application_id)
            deadline = self.deadline(context)
            app_id = self.application_id
            self.wait_sync(
                lambda: {app_id: api.get_application(app_id)["state"]},
                SERVERLESS_APP_STOPPING,
                deadline,
                "Application",
            )
        if self.delete:
            api.delete_application(self.application_id)
        action = "deleted" if self.delete else "stopped"
        self.log.info("Application %s %s (cancelled %d live runs)", self.application_id, action, len(ours))
        return {"application_id": self.application_id, "action": action, "cancelled_runs": ours}

    def _live_runs(self, api: ServerlessApi, context: Context) -> tuple[list[str], list[str]]:
        """(ids of this pipeline's live runs, "id (dag/run/task)" of every other owner's live run)."""
        from emr_dags import tags as tagmod

        ti = context["ti"]
        deployment = tagmod.deployment_id()
        ours: list[str] = []
        others: list[str] = []
        for run_id in api.live_job_run_ids(self.application_id):
            run_tags = api.get_job_run(self.application_id, run_id).get("tags") or {}
            if tagmod.same_owner_group(
                run_tags,
                deployment=deployment,
                dag_id=ti.dag_id,
                run_id=ti.run_id,
                group_id=self.group_id(),
                map_index=self.map_index(context),
            ):
                ours.append(run_id)
            else:
                others.append(
                    f"{run_id} (dag {run_tags.get(tagmod.DAG_ID, '?')}, run {run_tags.get(tagmod.RUN_ID, '?')}, "
                    f"task {run_tags.get(tagmod.TASK_ID, '?')}, deployment {run_tags.get(tagmod.DEPLOYMENT, '?')})"
                )
        return ours, others
