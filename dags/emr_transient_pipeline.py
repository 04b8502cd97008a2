"""Word count on a transient EMR cluster: upload input -> create [setup] -> count -> terminate [teardown].

The foundation example, built with emr-dags' ``transient_cluster_pipeline``: the cluster and the
step are created exactly once per DAG run (a retry re-attaches), the wait is deferred and batched,
killing or clearing the count task cancels the step, and a failed count fails the DAG run while the
teardown still terminates the cluster.

It runs on the local stack against the emulator (whose local mode really runs the count), and on
AWS by pointing `aws_default` at your account and the script at S3.
Backfill it from the CLI:  airflow backfill create --dag-id emr_transient_pipeline \
    --from-date 2026-01-01 --to-date 2026-01-03
"""

from __future__ import annotations

from pathlib import Path

import pendulum
from airflow.sdk import DAG, task

from emr_dags.specs import CommandStep
from emr_dags.specs.presets import dev_cluster
from emr_dags.task_groups.emr import transient_cluster_pipeline

SCRIPT = str(Path(__file__).parent / "scripts" / "wordcount.py")
BUCKET = "emr-dags-demo"
TEXT = (
    "the quick brown fox jumps over the lazy dog\n"
    "the dog sleeps and the fox runs\n"
    "emr runs spark and the scheduler runs airflow\n"
)

with DAG(
    dag_id="emr_transient_pipeline",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=3,
    tags=["demo", "emr-dags"],
    default_args={"retries": 2, "retry_delay": pendulum.duration(seconds=5)},
) as dag:

    @task
    def upload_input(run_id: str | None = None) -> str:
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        hook = S3Hook(aws_conn_id="aws_default")
        if not hook.check_for_bucket(BUCKET):
            hook.create_bucket(BUCKET)
        key = f"input/{run_id}/text.txt"
        hook.load_string(TEXT, key=key, bucket_name=BUCKET, replace=True)
        return f"s3://{BUCKET}/{key}"

    pipeline = transient_cluster_pipeline(
        "wordcount",
        cluster=dev_cluster(name="wordcount-{{ ds_nodash }}", core_count=2, log_uri=f"s3://{BUCKET}/logs/"),
        steps=[
            CommandStep(
                name="wordcount",
                argv=(
                    "python3",
                    SCRIPT,
                    "{{ ti.xcom_pull(task_ids='upload_input') }}",
                    f"s3://{BUCKET}/results/{{{{ run_id }}}}/wordcount.tsv",
                ),
            )
        ],
        poll_interval=2,
    )
    upload_input() >> pipeline
