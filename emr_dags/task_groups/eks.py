"""EMR on EKS task group: one task per job run on a virtual cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import TaskGroup, chain

from emr_dags.operators.eks import EmrEksJobOperator
from emr_dags.task_groups._common import aws_kwargs, common_kwargs, named_items

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


def eks_jobs(
    group_id: str,
    *,
    jobs: Sequence[Any] | Mapping[str, Any],
    virtual_cluster_id: str | None = None,
    virtual_cluster_name: str | None = None,
    chained: bool = False,
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
    """Each job is its own task; ``virtual_cluster_id`` (or ``virtual_cluster_name``, resolved at run
    time) overrides the one in each job spec."""
    aws = aws_kwargs(aws_conn_id, region_name, verify, botocore_config)
    shared = common_kwargs(aws, deferrable, poll_interval, generation, wait_timeout)
    pairs = named_items(jobs, "job", "eks_jobs")
    with TaskGroup(group_id, tooltip=tooltip or "EMR on EKS jobs") as group:
        extra: dict[str, Any] = {"retries": job_retries} if job_retries is not None else {}
        tasks = [
            EmrEksJobOperator(
                task_id=tid,
                job=job,
                virtual_cluster_id=virtual_cluster_id,
                virtual_cluster_name=virtual_cluster_name,
                **shared,
                **extra,
            )
            for tid, job in pairs
        ]
        if chained:
            chain(*tasks)
    return group
