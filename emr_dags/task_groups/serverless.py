"""EMR Serverless task group: ensure application [setup] -> jobs -> stop/delete [teardown]."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import TaskGroup, XComArg, chain

from emr_dags.operators.serverless import (
    EmrServerlessApplicationOperator,
    EmrServerlessJobOperator,
    EmrServerlessStopApplicationOperator,
)
from emr_dags.task_groups._common import aws_kwargs, common_kwargs, named_items

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


def serverless_pipeline(
    group_id: str,
    *,
    application: Any,
    jobs: Sequence[Any] | Mapping[str, Any],
    chained: bool = False,
    delete_application: bool = True,
    job_retries: int | None = None,
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
    """One task per job run, in parallel (default) or ``chained``.

    The application is reused by name when it already exists (then it is left running). The teardown
    cancels this group's leftover runs (owner: deployment, DAG, run, group, map index; never the run
    id alone); if this group created the application and no other owner's job run is live on it, it
    stops it and (``delete_application``) deletes it. See docs/pipelines.md, "Sharing a Serverless
    application".
    """
    aws = aws_kwargs(aws_conn_id, region_name, verify, botocore_config)
    shared = common_kwargs(aws, deferrable, poll_interval, generation, wait_timeout)
    pairs = named_items(jobs, "job", "serverless_pipeline")
    with TaskGroup(group_id, tooltip=tooltip or "EMR Serverless pipeline") as group:
        ensure = EmrServerlessApplicationOperator(
            task_id="ensure_application", application=application, **shared
        )
        app_id = XComArg(ensure, key="application_id")
        extra: dict[str, Any] = {"retries": job_retries} if job_retries is not None else {}
        job_tasks = [
            EmrServerlessJobOperator(task_id=tid, application_id=app_id, job=job, **shared, **extra)
            for tid, job in pairs
        ]
        stop = EmrServerlessStopApplicationOperator(
            task_id="stop_application",
            application_id=app_id,
            owner_task_id=ensure.task_id,
            delete=delete_application,
            **aws,
            generation=generation,
        )
        if chained:
            chain(ensure, *job_tasks, stop)
        else:
            ensure >> job_tasks
            job_tasks >> stop
        stop.as_teardown(setups=ensure)
    return group
