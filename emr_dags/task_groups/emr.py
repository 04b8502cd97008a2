"""EMR on EC2 task groups: a transient cluster pipeline, and steps on an existing cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import TaskGroup, TriggerRule, XComArg, chain

from emr_dags.operators.emr import (
    EmrCreateClusterOperator,
    EmrFindClusterOperator,
    EmrStepOperator,
    EmrTerminateClusterOperator,
)
from emr_dags.task_groups._common import aws_kwargs, common_kwargs, named_items

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


def transient_cluster_pipeline(
    group_id: str,
    *,
    cluster: Any,
    steps: Sequence[Any] | Mapping[str, Any],
    parallel: bool = False,
    step_concurrency: int | None = None,
    keep_cluster_on_failure: bool = False,
    idle_timeout_seconds: int = 3600,
    step_retries: int | None = None,
    step_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
    wait_for_ready: bool = False,
    end_from_trigger: bool = False,
    aws_conn_id: str | None = "aws_default",
    region_name: str | None = None,
    verify: bool | str | None = None,
    botocore_config: Mapping[str, Any] | None = None,
    deferrable: bool | None = None,
    poll_interval: float = 30.0,
    generation: int | str = 0,
    wait_timeout: Any = None,
    tooltip: str = "",
) -> TaskGroup:
    """``create_cluster`` [setup] -> one task per step -> ``terminate_cluster`` [teardown].

    :param cluster: ``ClusterSpec`` or RunJobFlow dict.
    :param steps: step specs / step dicts; a mapping gives explicit task ids. Each step is one task
        in the grid (added, then waited for, exactly once per DAG run).
    :param parallel: all steps start together once the cluster is ready; default: chained in order.
    :param step_concurrency: the cluster's ``StepConcurrencyLevel`` (overrides the spec's); with
        ``parallel=True`` and no value, it defaults to the number of steps (max 256).
    :param keep_cluster_on_failure: when a step failed, the teardown leaves the cluster running for
        debugging with an idle auto-termination of ``idle_timeout_seconds`` as the safety net.
    :param step_retries: retries of each step task (a retry re-attaches to a running step and adds
        a fresh one only after a failed step). ``step_kwargs`` adds per-step operator kwargs by task id.
    :param wait_for_ready: ``create_cluster`` waits for the cluster to be ready before the first
        step is added. Default False: steps are added while it starts (EMR holds them PENDING), so
        the cluster's provisioning overlaps Airflow's scheduling and no cluster time is paid
        for the gap. A cluster that fails to start then fails the step tasks, whose error and
        probable cause name the cluster's reason (e.g. a failed bootstrap action).
    :param end_from_trigger: a completed step ends its task from the triggerer (no second worker
        start); see ``EmrStepOperator``.

    A failing step fails the DAG run; the teardown still runs (it is excluded from the run's outcome).
    """
    aws = aws_kwargs(aws_conn_id, region_name, verify, botocore_config)
    shared = common_kwargs(aws, deferrable, poll_interval, generation, wait_timeout)
    pairs = named_items(steps, "step", "transient_cluster_pipeline")
    with TaskGroup(group_id, tooltip=tooltip or "EMR transient cluster pipeline") as group:
        create = EmrCreateClusterOperator(
            task_id="create_cluster", cluster=cluster, wait_for_ready=wait_for_ready, **shared
        )
        level = step_concurrency or (min(len(pairs), 256) if parallel else None)
        if level is not None:
            create.job_flow["StepConcurrencyLevel"] = int(level)
        cluster_id = XComArg(create, key="cluster_id")
        step_tasks = []
        for task_id, step in pairs:
            extra = dict((step_kwargs or {}).get(task_id, {}))
            if step_retries is not None:
                extra.setdefault("retries", step_retries)
            extra.setdefault("end_from_trigger", end_from_trigger)
            step_tasks.append(
                EmrStepOperator(task_id=task_id, cluster_id=cluster_id, step=step, **shared, **extra)
            )
        terminate = EmrTerminateClusterOperator(
            task_id="terminate_cluster",
            # Not the XComArg: it raises when create_cluster failed before pushing the id, and the
            # teardown must still find (by key) and end a cluster that a failed create left behind.
            cluster_id=f"{{{{ ti.xcom_pull(task_ids='{create.task_id}', key='cluster_id') or '' }}}}",
            owner_task_id=create.task_id,
            generation=generation,
            keep_cluster_on_failure=keep_cluster_on_failure,
            idle_timeout_seconds=idle_timeout_seconds,
            **aws,
        )
        if parallel:
            create >> step_tasks
            step_tasks >> terminate
        else:
            chain(create, *step_tasks, terminate)
        terminate.as_teardown(setups=create)
        # A teardown's default rule skips it when its setup failed; but a create that failed after
        # RunJobFlow (retries spent, or Airflow failing a task that had resumed) leaves a cluster.
        terminate.trigger_rule = TriggerRule.ALL_DONE
    return group


def existing_cluster_steps(
    group_id: str,
    *,
    steps: Sequence[Any] | Mapping[str, Any],
    cluster_id: str | None = None,
    cluster_name: str | None = None,
    cluster_tags: Mapping[str, str] | None = None,
    parallel: bool = False,
    step_retries: int | None = None,
    end_from_trigger: bool = False,
    aws_conn_id: str | None = "aws_default",
    region_name: str | None = None,
    verify: bool | str | None = None,
    botocore_config: Mapping[str, Any] | None = None,
    deferrable: bool | None = None,
    poll_interval: float = 30.0,
    generation: int | str = 0,
    wait_timeout: Any = None,
    tooltip: str = "",
) -> TaskGroup:
    """``find_cluster`` (by id, exact name or tags) -> one task per step. The cluster is not terminated.

    ``end_from_trigger``: a completed step ends its task from the triggerer (see ``EmrStepOperator``).
    """
    aws = aws_kwargs(aws_conn_id, region_name, verify, botocore_config)
    shared = common_kwargs(aws, deferrable, poll_interval, generation, wait_timeout)
    pairs = named_items(steps, "step", "existing_cluster_steps")
    with TaskGroup(group_id, tooltip=tooltip or "Steps on an existing EMR cluster") as group:
        find = EmrFindClusterOperator(
            task_id="find_cluster",
            cluster_id=cluster_id,
            cluster_name=cluster_name,
            cluster_tags=dict(cluster_tags) if cluster_tags else None,
            **aws,
        )
        extra: dict[str, Any] = {"end_from_trigger": end_from_trigger}
        if step_retries is not None:
            extra["retries"] = step_retries
        step_tasks = [
            EmrStepOperator(
                task_id=tid, cluster_id=XComArg(find, key="cluster_id"), step=step, **shared, **extra
            )
            for tid, step in pairs
        ]
        if parallel:
            find >> step_tasks
        else:
            chain(find, *step_tasks)
    return group
