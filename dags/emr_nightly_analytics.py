"""Nightly analytics: a Spark job and a Hive report on a transient Spot-fleet cluster.

create_cluster [setup] -> spark_sessionize -> hive_daily_report -> terminate_cluster [teardown].
A retry of any task re-attaches to the cluster/step an earlier try started (exactly-once); a
failing step fails the DAG run while the teardown still terminates the cluster.

Force a brand-new cluster and steps for a run: trigger with conf ``{"emr_generation": 1}``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from emr_dags.specs import Application, HiveStep, SparkStep
from emr_dags.specs.presets import spot_spark_cluster
from emr_dags.task_groups.emr import transient_cluster_pipeline

BUCKET = "emr-dags-demo"

with DAG(
    dag_id="emr_nightly_analytics",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=3,
    tags=["demo", "example", "emr-dags", "emr-on-ec2"],
    default_args={"retries": 2, "retry_delay": pendulum.duration(seconds=10)},
) as dag:
    transient_cluster_pipeline(
        "analytics",
        cluster=spot_spark_cluster(
            name="nightly-analytics-{{ ds_nodash }}",
            applications=(Application.SPARK, Application.HADOOP, Application.HIVE),
            log_uri=f"s3://{BUCKET}/logs/",
        ),
        steps=[
            SparkStep(
                name="spark_sessionize",
                entry_point=f"s3://{BUCKET}/code/sessionize.py",
                args=("--date", "{{ ds }}", "--out", f"s3://{BUCKET}/sessions/{{{{ ds }}}}/"),
                conf={"spark.sql.shuffle.partitions": "200"},
            ),
            HiveStep(
                name="hive_daily_report",
                script=f"s3://{BUCKET}/code/daily_report.q",
                variables={"DT": "{{ ds }}", "INPUT": f"s3://{BUCKET}/sessions/{{{{ ds }}}}/"},
            ),
        ],
        generation="{{ (dag_run.conf or {}).get('emr_generation', 0) }}",
        poll_interval=5,
    )
