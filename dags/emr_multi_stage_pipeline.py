"""Extract -> transform -> load on one transient cluster, each stage its own task.

extract: S3DistCp raw S3 files into HDFS; transform: Spark; load: S3DistCp the result to the
warehouse prefix (gzip, ~256 MiB files). Stages are chained; each has its own retries, and a retry
re-attaches to the running step instead of adding a second copy. ``end_from_trigger=True``: a stage
whose step completed is ended by the triggerer, so the next stage starts without waiting for a
worker to resume the finished one (a failed step still resumes on a worker, which diagnoses it).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from emr_dags.specs import S3DistCpCodec, S3DistCpStep, SparkStep
from emr_dags.specs.presets import dev_cluster
from emr_dags.task_groups.emr import transient_cluster_pipeline

BUCKET = "emr-dags-demo"

with DAG(
    dag_id="emr_multi_stage_pipeline",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 2, "retry_delay": pendulum.duration(seconds=10)},
    max_active_runs=3,
    tags=["demo", "example", "emr-dags", "emr-on-ec2"],
) as dag:
    transient_cluster_pipeline(
        "etl",
        cluster=dev_cluster(name="etl-{{ ds_nodash }}", core_count=2, log_uri=f"s3://{BUCKET}/logs/"),
        steps={
            "extract": S3DistCpStep(
                name="extract",
                src=f"s3://{BUCKET}/raw/{{{{ ds }}}}/",
                dest="hdfs:///staging/{{ ds_nodash }}/",
            ),
            "transform": SparkStep(
                name="transform",
                entry_point=f"s3://{BUCKET}/code/transform.py",
                args=(
                    "--in",
                    "hdfs:///staging/{{ ds_nodash }}/",
                    "--out",
                    "hdfs:///curated/{{ ds_nodash }}/",
                ),
            ),
            "load": S3DistCpStep(
                name="load",
                src="hdfs:///curated/{{ ds_nodash }}/",
                dest=f"s3://{BUCKET}/warehouse/dt={{{{ ds }}}}/",
                output_codec=S3DistCpCodec.GZIP,
                target_size_mib=256,
            ),
        },
        step_retries=2,
        end_from_trigger=True,
        generation="{{ (dag_run.conf or {}).get('emr_generation', 0) }}",
        poll_interval=5,
    )
