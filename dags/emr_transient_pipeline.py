"""Word count on a transient EMR cluster: create -> upload input -> count -> terminate (teardown).

The foundation example. It runs on the local stack against the emulator (whose local mode really runs
the count), and on AWS by pointing `aws_default` at your account and the script at S3.
Backfill it from the CLI:  airflow backfill create --dag-id emr_transient_pipeline \
    --from-date 2026-01-01 --to-date 2026-01-03
"""

from __future__ import annotations

from pathlib import Path

import pendulum
from airflow.sdk import DAG, task

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
    from airflow.providers.amazon.aws.operators.emr import (
        EmrAddStepsOperator,
        EmrCreateJobFlowOperator,
        EmrTerminateJobFlowOperator,
    )
    from airflow.providers.amazon.aws.sensors.emr import EmrStepSensor

    @task
    def upload_input(run_id: str | None = None) -> str:
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        hook = S3Hook(aws_conn_id="aws_default")
        if not hook.check_for_bucket(BUCKET):
            hook.create_bucket(BUCKET)
        key = f"input/{run_id}/text.txt"
        hook.load_string(TEXT, key=key, bucket_name=BUCKET, replace=True)
        return f"s3://{BUCKET}/{key}"

    create = EmrCreateJobFlowOperator(
        task_id="create_cluster",
        job_flow_overrides={
            "Name": "wordcount-{{ dag_run.run_after | ds_nodash }}",
            "ReleaseLabel": "emr-7.5.0",
            "Applications": [{"Name": "Spark"}],
            "LogUri": f"s3://{BUCKET}/logs/",
            "Instances": {
                "InstanceGroups": [
                    {"Name": "primary", "InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1},
                    {"Name": "core", "InstanceRole": "CORE", "InstanceType": "m5.xlarge", "InstanceCount": 2},
                ],
                "KeepJobFlowAliveWhenNoSteps": True,
            },
            "AutoTerminationPolicy": {"IdleTimeout": 3600},
            "JobFlowRole": "EMR_EC2_DefaultRole",
            "ServiceRole": "EMR_DefaultRole",
            "Tags": [
                {"Key": "emr-dags:managed", "Value": "true"},
                {"Key": "emr-dags:dag-id", "Value": "{{ dag.dag_id }}"},
                {"Key": "emr-dags:run-id", "Value": "{{ run_id }}"},
            ],
        },
        wait_policy=None,
    )
    source = upload_input()
    add = EmrAddStepsOperator(
        task_id="add_wordcount_step",
        job_flow_id=create.output,
        steps=[
            {
                "Name": "wordcount",
                "ActionOnFailure": "CONTINUE",
                "HadoopJarStep": {
                    "Jar": "command-runner.jar",
                    "Args": [
                        "python3",
                        SCRIPT,
                        "{{ ti.xcom_pull(task_ids='upload_input') }}",
                        f"s3://{BUCKET}/results/{{{{ run_id }}}}/wordcount.tsv",
                    ],
                },
            }
        ],
    )
    wait = EmrStepSensor(
        task_id="wait_for_wordcount",
        job_flow_id=create.output,
        step_id="{{ ti.xcom_pull(task_ids='add_wordcount_step')[0] }}",
        poke_interval=2,
        mode="poke",
    )
    terminate = EmrTerminateJobFlowOperator(task_id="terminate_cluster", job_flow_id=create.output)
    create >> source >> add >> wait >> terminate.as_teardown(setups=create)
