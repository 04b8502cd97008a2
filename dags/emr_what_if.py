"""What-if runs: try a Spark job on a different instance type, release or Spark setting from the UI.

Trigger with the form (Params) to change the cluster shape and job settings for one run, without
editing code. ``emr_generation`` forces a brand-new cluster and step instead of re-attaching.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param

from emr_dags.specs import SparkStep
from emr_dags.specs.presets import dev_cluster
from emr_dags.task_groups.emr import transient_cluster_pipeline

BUCKET = "emr-dags-demo"

with DAG(
    dag_id="emr_what_if",
    schedule="@daily",
    max_active_runs=3,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 2, "retry_delay": pendulum.duration(seconds=10)},
    tags=["demo", "example", "emr-dags", "what-if"],
    params={
        "instance_type": Param(
            "m5.xlarge", type="string", enum=["m5.xlarge", "m5.2xlarge", "r5.xlarge", "c5.2xlarge"]
        ),
        "release_label": Param("emr-7.5.0", type="string", pattern=r"^emr-\d+\.\d+\.\d+$"),
        "shuffle_partitions": Param(200, type="integer", minimum=1, maximum=10000),
        "executor_memory": Param("4g", type="string", pattern=r"^\d+[gm]$"),
        "input_date": Param("2026-01-01", type="string", format="date"),
        "keep_cluster_on_failure": Param(False, type="boolean"),
        "emr_generation": Param(0, type="integer", minimum=0),
    },
) as dag:
    transient_cluster_pipeline(
        "what_if",
        cluster=dev_cluster(
            name="what-if-{{ params.instance_type }}-{{ run_id | replace(':', '-') | truncate(60, True, '') }}",
            instance_type="{{ params.instance_type }}",
            release_label="{{ params.release_label }}",
            log_uri=f"s3://{BUCKET}/logs/",
        ),
        steps=[
            SparkStep(
                name="job_under_test",
                entry_point=f"s3://{BUCKET}/code/sessionize.py",
                args=("--date", "{{ params.input_date }}"),
                conf={
                    "spark.sql.shuffle.partitions": "{{ params.shuffle_partitions }}",
                    "spark.executor.memory": "{{ params.executor_memory }}",
                },
            )
        ],
        generation="{{ params.emr_generation }}",
        poll_interval=5,
    )
