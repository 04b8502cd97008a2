"""EMR on EC2 operators: create a cluster, run a step, wait for steps, terminate.

Every operator reads as: look up what an earlier try already did, act, wait (defer), report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emr_dags import tags as tagmod
from emr_dags.aws.emr import iso_ts, step_result, step_summary_line
from emr_dags.aws.errors import EmrClusterFailed, EmrStepFailed
from emr_dags.aws.naming import check_step_name
from emr_dags.aws.states import (
    CLUSTER_ENDED,
    CLUSTER_NOT_ENDED,
    CLUSTER_READY,
    CLUSTER_STARTING,
    STEP_ACTIVE,
    STEP_FAILED,
    STEP_SUCCESS,
)
from emr_dags.errors import EmrConfigError
from emr_dags.links.diagnosis import ProbableCauseLink
from emr_dags.links.emr import (
    CLUSTER_KEY,
    STEP_KEY,
    EmrAppUiLink,
    EmrClusterLink,
    EmrClusterLogsLink,
    EmrStepAppUiLink,
    EmrStepClusterLink,
    EmrStepLink,
    EmrStepLogsLink,
)
from emr_dags.operators._base import EmrBaseOperator, aws_template_fields, diagnose

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.sdk import Context

    from emr_dags.aws.emr import EmrApi

READY = CLUSTER_READY
STARTING = CLUSTER_STARTING


def _cluster_reason(cluster: dict[str, Any]) -> str:
    reason = cluster.get("Status", {}).get("StateChangeReason", {})
    return f"{reason.get('Code', '')}: {reason.get('Message', '')}".strip(": ")


class _EmrOperator(EmrBaseOperator):
    def api(self) -> EmrApi:
        from emr_dags.aws.clients import client_for
        from emr_dags.aws.emr import EmrApi

        return EmrApi(client_for("emr", self.target()))

    def persist_link(self, context: Context, key: str, **ids: Any) -> None:
        from emr_dags.aws.clients import region_and_partition
        from emr_dags.links.base import link_payload

        try:
            region, partition = region_and_partition("emr", self.target())
            context["ti"].xcom_push(key=key, value=link_payload(region, partition, **ids))
        except Exception as exc:  # a link must never fail the task
            self.log.warning("Could not store link data: %s", exc)


class EmrCreateClusterOperator(_EmrOperator):
    """Create a cluster exactly once per (DAG run, task, map index, generation) and wait until it is ready.

    :param cluster: an ``emr_dags.specs.ClusterSpec`` (rendered with ``to_run_job_flow()``) or a
        RunJobFlow request dict. Strings inside are Jinja-templated.
    :param wait_for_ready: wait for RUNNING/WAITING (default). A cluster that ends before that is
        reported with its StateChangeReason.
    :param terminate_on_failure: terminate the cluster if this task fails, times out or is killed
        while waiting for it. (After this task succeeds, the group's teardown owns the cluster.)

    Returns ``{"cluster_id", "state", "reattached", "name", "log_uri", "key"}``; also pushes XCom key
    ``cluster_id`` so downstream tasks can use ``create.output["cluster_id"]``.
    """

    template_fields: Sequence[str] = aws_template_fields("job_flow", "generation")
    template_fields_renderers = {"job_flow": "json"}
    operator_extra_links = (EmrClusterLink(), EmrClusterLogsLink(), EmrAppUiLink())

    def __init__(
        self,
        *,
        cluster: Any,
        wait_for_ready: bool = True,
        terminate_on_failure: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.job_flow = self.request_from("job_flow", cluster, "to_run_job_flow")
        self.reject_reserved_tags(self.job_flow, "Tags", "cluster")
        self.wait_for_ready = wait_for_ready
        self.terminate_on_failure = terminate_on_failure
        self._cluster_id: str | None = None

    def execute(self, context: Context) -> dict[str, Any]:
        api = self.api()
        key, tags = self.ownership(context)

        existing = api.find_cluster(key, self.job_flow.get("Name"), tags[tagmod.DEPLOYMENT])
        if existing is not None:
            cluster_id, reattached = str(existing["Id"]), True
            self.log.info("Re-attached to cluster %s created by an earlier try (key %s)", cluster_id, key)
        else:
            cluster_id, reattached = api.create_cluster(self.job_flow, key, tags), False
            self.log.info("Created cluster %s (key %s)", cluster_id, key)
        self._cluster_id = cluster_id
        context["ti"].xcom_push(key="cluster_id", value=cluster_id)
        self.persist_link(context, CLUSTER_KEY, cluster_id=cluster_id, log_uri=self.job_flow.get("LogUri"))

        cluster = api.describe_cluster(cluster_id)
        state = cluster["Status"]["State"]
        if not self.wait_for_ready or state in READY:
            return self._result(cluster, reattached, key)
        if state not in STARTING:
            return self._fail(api, cluster)
        if self.deferrable:
            from emr_dags.triggers.emr import EmrClusterStateTrigger

            self.defer_to(
                EmrClusterStateTrigger(
                    cluster_id=cluster_id,
                    target_states=list(READY),
                    **self.aws_kwargs(),
                    poll_interval=self.poll_interval,
                    cancel_on_kill=self.cancel_on_kill and self.terminate_on_failure,
                ),
                "execute_complete",
                self.deadline(context),
            )
        outcome, _ = self.wait_sync(
            lambda: {cluster_id: api.describe_cluster(cluster_id)["Status"]["State"]},
            STARTING,
            self.deadline(context),
            "Cluster",
        )
        return self._finish(context, api, cluster_id, reattached, key, outcome)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        cluster_id = context["ti"].xcom_pull(
            task_ids=self.task_id, key="cluster_id", map_indexes=context["ti"].map_index
        )
        if not cluster_id:
            cluster_id = next(iter(event.get("resources", {})), None) or next(iter(event.get("states", {})))
        self._cluster_id = cluster_id
        key, _ = self.ownership(context)
        return self._finish(context, self.api(), cluster_id, False, key, event["status"])

    def _finish(
        self, context: Context, api: EmrApi, cluster_id: str, reattached: bool, key: str, outcome: str
    ) -> dict[str, Any]:
        cluster = api.describe_cluster(cluster_id)
        if outcome == "timeout":
            if self.terminate_on_failure:
                api.terminate(cluster_id)
            raise EmrClusterFailed(
                f"Cluster {cluster_id} not ready within the wait budget (state {cluster['Status']['State']})",
                resource_id=cluster_id,
                state=cluster["Status"]["State"],
            )
        if cluster["Status"]["State"] not in READY:
            return self._fail(api, cluster)
        return self._result(cluster, reattached, key)

    def _fail(self, api: EmrApi, cluster: dict[str, Any]) -> dict[str, Any]:
        reason = _cluster_reason(cluster)
        state = cluster["Status"]["State"]
        if self.terminate_on_failure and state not in CLUSTER_ENDED:
            api.terminate(cluster["Id"])
        raise EmrClusterFailed(
            f"Cluster {cluster['Id']} ended {state} before it was ready: {reason}",
            resource_id=cluster["Id"],
            state=state,
            reason=reason,
        )

    def _result(self, cluster: dict[str, Any], reattached: bool, key: str) -> dict[str, Any]:
        timeline = cluster.get("Status", {}).get("Timeline", {})
        result = {
            "cluster_id": cluster["Id"],
            "name": cluster.get("Name"),
            "state": cluster["Status"]["State"],
            "reattached": reattached,
            "key": key,
            "log_uri": cluster.get("LogUri"),
            "created_at": iso_ts(timeline.get("CreationDateTime")),
            "ready_at": iso_ts(timeline.get("ReadyDateTime")),
        }
        self.log.info(
            "Cluster %s %s (%s); created %s, ready %s",
            cluster["Id"],
            result["state"],
            "re-attached" if reattached else "new",
            result["created_at"],
            result["ready_at"],
        )
        return result

    def on_kill(self) -> None:
        if self._cluster_id and self.cancel_on_kill and self.terminate_on_failure:
            self.log.info("Killed: terminating cluster %s", self._cluster_id)
            self.api().terminate(self._cluster_id)


class EmrStepOperator(_EmrOperator):
    """Run one step on a cluster exactly once per (DAG run, task, map index, generation); wait for it.

    The step's name carries ``[emr-dags:<key>]``. A retry finds it with ListSteps and re-attaches if it
    is pending, running or completed; after a FAILED/CANCELLED/INTERRUPTED step a retry adds a fresh
    step (that is what a retry is for). Killing, marking or clearing the task cancels the step.

    :param cluster_id: the cluster (usually ``create.output["cluster_id"]``).
    :param step: an ``emr_dags.specs`` step (``to_step()``) or an AddJobFlowSteps step dict.
    :param wait_for_completion: wait for the step (default); otherwise return once it is added.
    :param end_from_trigger: deferrable only: when the step completes, the triggerer ends the task
        with its result (XCom ``return_value``) instead of resuming it on a worker, which saves a
        worker start (seconds of slot time and latency per step). A failed step always resumes on a
        worker, which diagnoses it. Default False (resume on a worker either way) until the chaos
        suite covers it.
    """

    template_fields: Sequence[str] = aws_template_fields("cluster_id", "step", "generation")
    template_fields_renderers = {"step": "json"}
    operator_extra_links = (
        EmrStepLink(),
        EmrStepLogsLink(),
        EmrStepClusterLink(),
        EmrStepAppUiLink(),
        ProbableCauseLink(),
    )

    def __init__(
        self,
        *,
        cluster_id: Any,
        step: Any,
        wait_for_completion: bool = True,
        end_from_trigger: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.cluster_id = cluster_id
        self.step = self.request_from("step", step, "to_step")
        check_step_name(str(self.step.get("Name") or ""), type(self).__name__)
        self.wait_for_completion = wait_for_completion
        self.end_from_trigger = end_from_trigger
        self._step_id: str | None = None

    def execute(self, context: Context) -> dict[str, Any]:
        if not self.cluster_id:
            raise EmrConfigError(
                f"{type(self).__name__}.cluster_id: empty; expected a cluster id like 'j-...'"
            )
        api = self.api()
        key, _ = self.ownership(context)

        from emr_dags.aws.emr import reusable_step, step_state

        existing = api.find_step(self.cluster_id, key)
        cluster = api.describe_cluster(self.cluster_id)
        if reusable_step(existing):
            step_id, reattached = str(existing["Id"]), True  # type: ignore[index]
            self.log.info("Re-attached to step %s (%s) from an earlier try", step_id, step_state(existing))  # type: ignore[arg-type]
        elif cluster["Status"]["State"] in CLUSTER_ENDED:
            # E.g. a bootstrap action failed while the step waited for a cluster that was not ready
            # (the pipeline adds steps as soon as RunJobFlow returns): say so, not "may not be modified".
            state = cluster["Status"]["State"]
            raise EmrClusterFailed(
                f"Cluster {self.cluster_id} is {state}, so step {self.task_id!r} cannot be added: "
                f"{_cluster_reason(cluster)}",
                resource_id=self.cluster_id,
                state=state,
                reason=_cluster_reason(cluster),
            )
        else:
            step_id, reattached = api.add_step(self.cluster_id, self.step, key), False
            self.log.info("Added step %s to cluster %s (key %s)", step_id, self.cluster_id, key)
        self._step_id = step_id
        context["ti"].xcom_push(key="step_id", value=step_id)
        log_uri = cluster.get("LogUri")
        self.persist_link(context, STEP_KEY, cluster_id=self.cluster_id, step_id=step_id, log_uri=log_uri)

        if not self.wait_for_completion:
            return {
                "cluster_id": self.cluster_id,
                "step_id": step_id,
                "state": "PENDING",
                "reattached": reattached,
            }
        if reattached and step_state(existing) in STEP_SUCCESS:  # type: ignore[arg-type]
            return self._result(existing, reattached)  # type: ignore[arg-type]
        if self.deferrable:
            from emr_dags.triggers.emr import EmrStepsTrigger

            self.defer_to(
                EmrStepsTrigger(
                    cluster_id=self.cluster_id,
                    step_ids=[step_id],
                    **self.aws_kwargs(),
                    poll_interval=self.poll_interval,
                    cancel_on_kill=self.cancel_on_kill,
                    end_task_on_success=self.end_from_trigger,
                    reattached=reattached,
                    diagnose=True,
                ),
                "execute_complete",
                self.deadline(context),
            )

        outcome, _ = self.wait_sync(
            lambda: {step_id: step_state(api.describe_step(self.cluster_id, step_id))},
            STEP_ACTIVE,
            self.deadline(context),
            "Step",
        )
        return self._finish(api, step_id, outcome, api.describe_step(self.cluster_id, step_id), reattached)

    def execute_complete(self, context: Context, event: Any) -> dict[str, Any]:
        ti = context["ti"]
        states = event.get("states") if isinstance(event, dict) else None
        step_id = next(iter(states or {}), None) or ti.xcom_pull(
            task_ids=self.task_id, key="step_id", map_indexes=ti.map_index
        )
        self._step_id = step_id
        api = self.api()
        if not isinstance(event, dict):
            # The trigger ended the task itself (TaskSuccessEvent) and the task was resumed anyway,
            # with only the event's state, as `airflow dags test` does: the step decides the outcome.
            return self._finish(api, step_id, "ended", api.describe_step(self.cluster_id, step_id), None)
        step = (event.get("resources") or {}).get(step_id) or {}
        if event["status"] == "error":
            raise EmrStepFailed(
                f"Waiting for step {step_id} failed: {event.get('message')}", resource_id=step_id
            )
        return self._finish(api, step_id, event["status"], step, None, event)

    def _finish(
        self,
        api: EmrApi,
        step_id: str,
        outcome: str,
        step: dict[str, Any],
        reattached: bool | None,
        event: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        from emr_dags.aws.emr import step_state

        if outcome == "timeout":
            if self.cancel_on_kill:
                api.cancel_steps(self.cluster_id, [step_id])
            raise EmrStepFailed(
                f"Step {step_id} on {self.cluster_id} did not finish within the wait budget; cancelled",
                resource_id=step_id,
                state=step_state(step),
            )
        if step_state(step) in STEP_SUCCESS:
            return self._result(step, reattached)
        failure = step.get("Status", {}).get("FailureDetails", {}) or {}
        reason = " ".join(str(failure.get(k, "")) for k in ("Reason", "Message", "LogFile")).strip()
        from emr_dags.aws.clients import client_for

        diagnosis = diagnose(
            "emr_step",
            event=event,
            emr_client=api.client,
            s3_client=client_for("s3", self.target()),
            cluster_id=self.cluster_id,
            step_id=step_id,
        )
        err = EmrStepFailed(
            f"Step {step_id} ({step.get('Name')}) on {self.cluster_id} ended {step_state(step)}: {reason or 'no reason given'}",
            resource_id=step_id,
            state=step_state(step),
            reason=reason,
        )
        err.diagnosis = diagnosis  # type: ignore[attr-defined]
        raise err

    def _result(self, step: dict[str, Any], reattached: bool | None) -> dict[str, Any]:
        result = step_result(self.cluster_id, step, reattached)
        self.log.info("%s", step_summary_line(result))
        return result

    def on_kill(self) -> None:
        if self._step_id and self.cancel_on_kill:
            self.log.info("Killed: cancelling step %s on %s", self._step_id, self.cluster_id)
            self.api().cancel_steps(self.cluster_id, [self._step_id])


class EmrTerminateClusterOperator(_EmrOperator):
    """Terminate a cluster emr-dags created (the pipeline's teardown).

    :param keep_cluster_on_failure: when a step on the cluster failed, leave the cluster up for
        debugging with an idle auto-termination policy (``idle_timeout_seconds``) as a safety net.
    :param require_managed: refuse to terminate a cluster without the ``emr-dags:managed`` tag.
    :param wait_for_termination: wait until TERMINATED (default: return once terminating).
    :param owner_task_id: the task that created the cluster. When ``cluster_id`` renders empty (that
        task failed, or was killed, before it could push the id), the cluster is found by that task's
        ownership key instead, so a create that failed half-way leaves nothing running.

    Returns ids, final state and ``normalized_instance_hours`` (the cost input).
    """

    template_fields: Sequence[str] = aws_template_fields("cluster_id", "generation")
    operator_extra_links = (EmrClusterLink(), EmrClusterLogsLink())

    def __init__(
        self,
        *,
        cluster_id: Any,
        keep_cluster_on_failure: bool = False,
        idle_timeout_seconds: int = 3600,
        require_managed: bool = True,
        wait_for_termination: bool = False,
        owner_task_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.cluster_id = cluster_id
        self.owner_task_id = owner_task_id
        self.keep_cluster_on_failure = keep_cluster_on_failure
        self.idle_timeout_seconds = idle_timeout_seconds
        self.require_managed = require_managed
        self.wait_for_termination = wait_for_termination

    def execute(self, context: Context) -> dict[str, Any]:
        from emr_dags.aws.emr import step_state
        from emr_dags.aws.naming import tag_dict

        api = self.api()
        if not self.cluster_id and self.owner_task_id:
            key, owner_tags = self.ownership(context, task_id=self.owner_task_id)
            found = api.find_cluster(key, deployment=owner_tags[tagmod.DEPLOYMENT])
            if found is not None:
                self.cluster_id = str(found["Id"])
                self.log.info(
                    "%s pushed no cluster id; found its cluster %s by key %s",
                    self.owner_task_id,
                    self.cluster_id,
                    key,
                )
        if not self.cluster_id:
            self.log.info("No cluster to terminate")
            return {"cluster_id": None, "state": None}
        cluster = api.describe_cluster(self.cluster_id)
        self.persist_link(context, CLUSTER_KEY, cluster_id=self.cluster_id, log_uri=cluster.get("LogUri"))
        state = cluster["Status"]["State"]
        if state not in CLUSTER_ENDED:
            if self.require_managed and tag_dict(cluster.get("Tags")).get(tagmod.MANAGED) != "true":
                raise EmrConfigError(
                    f"{type(self).__name__}: cluster {self.cluster_id} has no {tagmod.MANAGED}=true tag; "
                    "it was not created by emr-dags. Pass require_managed=False to terminate it anyway."
                )
            failed = [
                s["Id"] for s in api.list_steps(self.cluster_id).values() if step_state(s) in STEP_FAILED
            ]
            if failed and self.keep_cluster_on_failure:
                api.keep_alive_with_idle_timeout(self.cluster_id, self.idle_timeout_seconds)
                self.log.warning(
                    "Steps %s failed; keeping cluster %s for debugging (auto-terminates after %ss idle)",
                    failed,
                    self.cluster_id,
                    self.idle_timeout_seconds,
                )
                return self._result(api.describe_cluster(self.cluster_id), kept=True)
            api.terminate(self.cluster_id)
            self.log.info("Terminating cluster %s", self.cluster_id)
        cluster_id = self.cluster_id
        if self.wait_for_termination:
            self.wait_sync(
                lambda: {cluster_id: api.describe_cluster(cluster_id)["Status"]["State"]},
                CLUSTER_NOT_ENDED,
                self.deadline(context),
                "Cluster",
            )
        return self._result(api.describe_cluster(cluster_id), kept=False)

    def _result(self, cluster: dict[str, Any], kept: bool) -> dict[str, Any]:
        timeline = cluster.get("Status", {}).get("Timeline", {})
        result = {
            "cluster_id": cluster["Id"],
            "state": cluster["Status"]["State"],
            "kept_for_debugging": kept,
            "normalized_instance_hours": cluster.get("NormalizedInstanceHours"),
            "created_at": iso_ts(timeline.get("CreationDateTime")),
            "ready_at": iso_ts(timeline.get("ReadyDateTime")),
            "ended_at": iso_ts(timeline.get("EndDateTime")),
        }
        self.log.info(
            "Cluster %s %s; %s normalized instance hours",
            result["cluster_id"],
            result["state"],
            result["normalized_instance_hours"],
        )
        return result


class EmrFindClusterOperator(_EmrOperator):
    """Resolve an existing active cluster by id, exact name and/or tags; pushes ``cluster_id``."""

    template_fields: Sequence[str] = aws_template_fields("cluster_id", "cluster_name", "cluster_tags")
    operator_extra_links = (EmrClusterLink(), EmrClusterLogsLink(), EmrAppUiLink())

    def __init__(
        self,
        *,
        cluster_id: str | None = None,
        cluster_name: str | None = None,
        cluster_tags: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not (cluster_id or cluster_name or cluster_tags):
            raise EmrConfigError(
                f"{type(self).__name__}: give cluster_id, cluster_name or cluster_tags to find the cluster",
                spec=type(self).__name__,
                field="cluster_id",
            )
        self.cluster_id = cluster_id
        self.cluster_name = cluster_name
        self.cluster_tags = cluster_tags

    def execute(self, context: Context) -> dict[str, Any]:
        api = self.api()
        cluster_id = self.cluster_id or api.find_cluster_id(name=self.cluster_name, tags=self.cluster_tags)
        if not cluster_id:
            raise EmrClusterFailed(
                f"No active cluster (STARTING, BOOTSTRAPPING, RUNNING or WAITING) named exactly "
                f"{self.cluster_name!r} (names are matched as given, case-sensitive) with tags "
                f"{self.cluster_tags!r}; searched ListClusters in {self.region_name or 'the connection region'}",
                resource_id=str(self.cluster_name),
            )
        cluster = api.describe_cluster(cluster_id)
        if cluster["Status"]["State"] not in READY + STARTING:
            raise EmrClusterFailed(
                f"Cluster {cluster_id} is {cluster['Status']['State']}",
                resource_id=cluster_id,
                state=cluster["Status"]["State"],
            )
        context["ti"].xcom_push(key="cluster_id", value=cluster_id)
        self.persist_link(context, CLUSTER_KEY, cluster_id=cluster_id, log_uri=cluster.get("LogUri"))
        self.log.info("Using cluster %s (%s)", cluster_id, cluster["Status"]["State"])
        return {"cluster_id": cluster_id, "name": cluster.get("Name"), "state": cluster["Status"]["State"]}
