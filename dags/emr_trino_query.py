"""A Trino query step on a transient Trino cluster reading the Glue Data Catalog."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from emr_dags.specs import TrinoStep
from emr_dags.specs.presets import trino_cluster
from emr_dags.task_groups.emr import transient_cluster_pipeline

BUCKET = "emr-dags-demo"

with DAG(
    dag_id="emr_trino_query",
    schedule="@daily",
    max_active_runs=3,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 2, "retry_delay": pendulum.duration(seconds=10)},
    tags=["demo", "example", "emr-dags", "trino"],
) as dag:
    transient_cluster_pipeline(
        "trino",
        cluster=trino_cluster(name="trino-{{ ds_nodash }}", workers=2, log_uri=f"s3://{BUCKET}/logs/"),
        steps=[
            TrinoStep(
                name="daily_rollup",
                query="INSERT INTO analytics.daily_rollup SELECT dt, count(*) FROM analytics.events "
                "WHERE dt = DATE '{{ ds }}' GROUP BY dt",
                catalog="hive",
                schema="analytics",
            )
        ],
        poll_interval=5,
    )
