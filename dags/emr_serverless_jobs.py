"""EMR Serverless: a Spark job and a Hive query, in parallel, each on an application of its type.

An EMR Serverless application runs one engine: a Spark application takes ``sparkSubmit`` job drivers
only, a Hive application ``hive`` ones only (StartJobRun answers ValidationException otherwise). So
the Spark job and the Hive query get one application each. ensure_application [setup] reuses an
application by name or creates it; if it created it, the teardown cancels leftover runs, stops and
deletes it. No 25-minute cap: a job runs until its own ``execution_timeout_minutes``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from emr_dags.specs.serverless import (
    ApplicationType,
    ServerlessApplicationSpec,
    ServerlessHiveJob,
    ServerlessSparkJob,
)
from emr_dags.task_groups.serverless import serverless_pipeline

BUCKET = "emr-dags-demo"
ROLE = "arn:aws:iam::123456789012:role/emr-dags-serverless-job"

with DAG(
    dag_id="emr_serverless_jobs",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 2, "retry_delay": pendulum.duration(seconds=10)},
    max_active_runs=3,
    tags=["demo", "example", "emr-dags", "emr-serverless"],
) as dag:
    serverless_pipeline(
        "serverless",
        application=ServerlessApplicationSpec(
            name="emr-dags-serverless-{{ ds_nodash }}", release_label="emr-7.5.0"
        ),
        jobs={
            "spark_aggregate": ServerlessSparkJob(
                name="spark_aggregate",
                execution_role_arn=ROLE,
                entry_point=f"s3://{BUCKET}/code/aggregate.py",
                entry_point_args=("--date", "{{ ds }}"),
            ),
        },
        generation="{{ (dag_run.conf or {}).get('emr_generation', 0) }}",
        poll_interval=5,
    )
    serverless_pipeline(
        "serverless_hive",
        application=ServerlessApplicationSpec(
            name="emr-dags-serverless-hive-{{ ds_nodash }}",
            release_label="emr-7.5.0",
            type=ApplicationType.HIVE,
        ),
        jobs={
            "hive_report": ServerlessHiveJob(
                name="hive_report",
                execution_role_arn=ROLE,
                query=f"s3://{BUCKET}/code/report.q",
                hivevar={"DT": "{{ ds }}"},
            ),
        },
        generation="{{ (dag_run.conf or {}).get('emr_generation', 0) }}",
        poll_interval=5,
    )
