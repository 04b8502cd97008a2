"""The orphan reaper as a DAG: one line in a DAG folder.

```python
# dags/emr_dags_reaper.py
from emr_dags.ops.reaper_dag import reaper_dag

dag = reaper_dag()  # unscheduled, dry run by default; reaper_dag(schedule="@hourly", dry_run=False)
```

Terminates clusters and cancels Serverless / EMR on EKS job runs launched by emr-dags whose DAG run is
over. Resources without our tags are never touched. Every action, and every orphan a dry run would act
on, is logged one line each and returned as the task's XCom. Same logic as ``emr-dags reap``.

Building the DAG imports no boto3 (DAG files are parsed every few seconds); the task imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.sdk import DAG

DOC = __doc__


def reaper_dag(
    dag_id: str = "emr_dags_reaper",
    *,
    schedule: str | None = None,
    dry_run: bool = True,
    aws_conn_id: str = "aws_default",
    region: str | None = None,
    tags: list[str] | None = None,
) -> DAG:
    """A DAG with one ``reap`` task; ``dry_run``, ``reap_missing``, ``aws_conn_id`` and ``region`` are
    also ``Param``s, so a manual run can override them (``-c '{"dry_run": false}'``)."""
    import pendulum
    from airflow.sdk import DAG, Param, task

    with DAG(
        dag_id=dag_id,
        schedule=schedule,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        tags=tags if tags is not None else ["emr-dags", "maintenance"],
        params={
            "dry_run": Param(dry_run, type="boolean", description="only log what would be stopped"),
            "reap_missing": Param(
                False, type="boolean", description="also stop resources of runs Airflow lacks"
            ),
            "aws_conn_id": Param(aws_conn_id, type="string"),
            "region": Param(region, type=["null", "string"], description="default: the connection's region"),
        },
        doc_md=DOC,
    ) as dag:

        @task
        def reap(params: dict[str, Any] | None = None) -> dict[str, Any]:
            return run_reap(params or {})

        reap()
    return dag


def run_reap(params: dict[str, Any]) -> dict[str, Any]:
    """The task's body: one reap pass with the run's params."""
    from emr_dags.aws.clients import AwsClients, AwsTarget
    from emr_dags.ops.reaper import Action
    from emr_dags.ops.reaper import reap as reap_pass
    from emr_dags.ops.run_state import TaskSdkRunStates

    dry_run = bool(params.get("dry_run", True))
    clients = AwsClients(
        AwsTarget(aws_conn_id=params.get("aws_conn_id") or "aws_default", region_name=params.get("region"))
    )
    decisions, results, warnings = reap_pass(
        clients,
        TaskSdkRunStates(),  # Airflow 3 tasks ask the execution API, not the metadata DB
        dry_run=dry_run,
        reap_missing=bool(params.get("reap_missing", False)),
    )
    for w in warnings:
        print(f"warning: {w}")
    return {
        "dry_run": dry_run,
        "active": len(decisions),
        "orphans": sum(d.action is Action.REAP for d in decisions),
        "decisions": [d.to_dict() for d in decisions],
        "results": [r.to_dict() for r in results],
        "warnings": list(warnings),
    }
