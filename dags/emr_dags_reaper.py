"""Maintenance: stop EMR resources emr-dags launched whose DAG run is over (the orphan reaper).

Terminates clusters and cancels Serverless / EMR on EKS job runs tagged ``emr-dags:managed=true`` by
this deployment (``emr-dags:deployment``, consistent key tag) whose DAG run has finished, or is unknown
to Airflow and past its ``emr-dags:deadline``. Resources without our tags, other deployments' and ones
whose tags were copied or edited are never touched. Every action, and every orphan a dry run would act on, is logged one line each and
returned as the task's XCom.

Unscheduled by default: trigger it, e.g. ``airflow dags trigger emr_dags_reaper -c '{"dry_run": false}'``.
Set env ``EMR_DAGS_REAPER_SCHEDULE=@hourly`` (and ``EMR_DAGS_REAPER_DRY_RUN=false``) on the
dag-processor and scheduler to run it hourly. Same logic as ``emr-dags reap``.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import DAG, Param, task

SCHEDULE = os.environ.get("EMR_DAGS_REAPER_SCHEDULE") or None
DRY_RUN_DEFAULT = os.environ.get("EMR_DAGS_REAPER_DRY_RUN", "true").lower() not in ("false", "0", "no")

with DAG(
    dag_id="emr_dags_reaper",
    schedule=SCHEDULE,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["emr-dags", "maintenance"],
    params={
        "dry_run": Param(DRY_RUN_DEFAULT, type="boolean", description="only log what would be stopped"),
        "reap_missing": Param(False, type="boolean", description="also stop resources of runs Airflow lacks"),
        "aws_conn_id": Param("aws_default", type="string"),
        "region": Param(None, type=["null", "string"], description="default: the connection's region"),
    },
    doc_md=__doc__,
) as dag:

    @task
    def reap(params: dict | None = None) -> dict:
        # Imported here: DAG parsing must not import boto3 (see STYLE.md, start-up cost).
        from emr_dags.ops.clients import AwsClients
        from emr_dags.ops.reaper import Action
        from emr_dags.ops.reaper import reap as reap_pass
        from emr_dags.ops.run_state import TaskSdkRunStates

        params = params or {}
        clients = AwsClients(
            aws_conn_id=params.get("aws_conn_id") or "aws_default", region=params.get("region")
        )
        decisions, results, warnings = reap_pass(
            clients,
            TaskSdkRunStates(),  # Airflow 3 tasks ask the execution API, not the metadata DB
            dry_run=bool(params.get("dry_run", True)),
            reap_missing=bool(params.get("reap_missing", False)),
        )
        for w in warnings:
            print(f"warning: {w}")
        return {
            "dry_run": bool(params.get("dry_run", True)),
            "active": len(decisions),
            "orphans": sum(d.action is Action.REAP for d in decisions),
            "decisions": [d.to_dict() for d in decisions],
            "results": [r.to_dict() for r in results],
            "warnings": list(warnings),
        }

    reap()
