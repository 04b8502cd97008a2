"""The benchmark and chaos DAG shapes: an emr-dags pipeline and its stock amazon-provider twin.

Both run N steps concurrently on one transient cluster, poll at the same interval and tag their
cluster with the DAG id and run id (so the audit can find it). Step arguments carry the run id, so an
emulator rule like ``{"match": {"arg": "*chaos-fail*"}, "outcome": "fail"}`` fails exactly the runs
whose id contains ``chaos-fail``.

Nothing here imports boto3 or provider operator modules at import time: the stock twin imports the
amazon provider inside its builder, as a stock DAG file would at parse time.
"""

from __future__ import annotations

from typing import Any

import pendulum

BUCKET = "emr-dags-bench"
START = pendulum.datetime(2026, 1, 1, tz="UTC")
# The backfill DAGs run @daily but only up to this date: no scheduled run of today's date ever joins
# the backfill's runs (backfilled dates stay within START..BACKFILL_END).
BACKFILL_END = pendulum.datetime(2026, 2, 28, tz="UTC")


def step_names(n_steps: int) -> list[str]:
    return [f"step_{i:02d}" for i in range(1, n_steps + 1)]


def step_request(name: str) -> dict[str, Any]:
    """An emulated Spark step (spark-submit of an S3 script: never run locally) tagged with the run id."""
    return {
        "Name": name,
        "ActionOnFailure": "CONTINUE",
        "HadoopJarStep": {
            "Jar": "command-runner.jar",
            "Args": ["spark-submit", f"s3://{BUCKET}/code/job.py", "--step", name, "--run", "{{ run_id }}"],
        },
    }


def cluster_request(n_steps: int, *, tags: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {
        "Name": "bench-{{ dag.dag_id }}",
        "ReleaseLabel": "emr-7.5.0",
        "Applications": [{"Name": "Spark"}],
        "LogUri": f"s3://{BUCKET}/logs/",
        "Instances": {
            "InstanceGroups": [
                {
                    "Name": "primary",
                    "InstanceRole": "MASTER",
                    "InstanceType": "m5.xlarge",
                    "InstanceCount": 1,
                },
                {"Name": "core", "InstanceRole": "CORE", "InstanceType": "m5.xlarge", "InstanceCount": 2},
            ],
            "KeepJobFlowAliveWhenNoSteps": True,
        },
        "StepConcurrencyLevel": max(1, min(n_steps, 256)),
        "JobFlowRole": "EMR_EC2_DefaultRole",
        "ServiceRole": "EMR_DefaultRole",
        **({"Tags": tags} if tags else {}),
    }


def default_args(retries: int) -> dict[str, Any]:
    return {"retries": retries, "retry_delay": pendulum.duration(seconds=2)}


def _schedule(schedule: str | None) -> dict[str, Any]:
    return {"schedule": schedule, "end_date": BACKFILL_END} if schedule else {"schedule": None}


def emr_dags_pipeline(
    dag_id: str,
    *,
    n_steps: int,
    poll_interval: float,
    tags: list[str],
    retries: int = 0,
    max_active_runs: int = 4,
    schedule: str | None = None,
    end_from_trigger: bool = False,
) -> Any:
    """create_cluster [setup] -> N parallel EmrStepOperator (deferrable) -> terminate_cluster [teardown].

    ``schedule`` (e.g. ``"@daily"``, for a backfill) also ends the schedule at ``BACKFILL_END``, so
    unpausing the DAG never starts a run of its own; without one the DAG only runs when triggered.
    """
    from airflow.sdk import DAG

    from emr_dags.task_groups.emr import transient_cluster_pipeline

    with DAG(
        dag_id=dag_id,
        start_date=START,
        catchup=False,
        max_active_runs=max_active_runs,
        tags=tags,
        default_args=default_args(retries),
        **_schedule(schedule),
    ) as dag:
        transient_cluster_pipeline(
            "pipeline",
            cluster=cluster_request(n_steps),
            steps={name: step_request(name) for name in step_names(n_steps)},
            parallel=True,
            poll_interval=poll_interval,
            end_from_trigger=end_from_trigger,
        )
    return dag


def stock_pipeline(
    dag_id: str,
    *,
    n_steps: int,
    poll_interval: float,
    tags: list[str],
    retries: int = 0,
    max_active_runs: int = 4,
    deferrable: bool = False,
    schedule: str | None = None,
) -> Any:
    """The stock twin: EmrCreateJobFlowOperator -> N x (EmrAddStepsOperator -> EmrStepSensor) ->
    EmrTerminateJobFlowOperator [teardown]. Stock defaults (sensor in ``poke`` mode, not deferrable)
    except the sensor's poke interval, set to ``poll_interval`` so both sides poll equally often.
    ``schedule``: as for ``emr_dags_pipeline``."""
    from airflow.providers.amazon.aws.operators.emr import (
        EmrAddStepsOperator,
        EmrCreateJobFlowOperator,
        EmrTerminateJobFlowOperator,
    )
    from airflow.providers.amazon.aws.sensors.emr import EmrStepSensor
    from airflow.sdk import DAG

    ownership = [
        {"Key": "emr-dags:dag-id", "Value": "{{ dag.dag_id }}"},
        {"Key": "emr-dags:run-id", "Value": "{{ run_id }}"},
    ]
    with DAG(
        dag_id=dag_id,
        start_date=START,
        catchup=False,
        max_active_runs=max_active_runs,
        tags=tags,
        default_args=default_args(retries),
        **_schedule(schedule),
    ) as dag:
        create = EmrCreateJobFlowOperator(
            task_id="create_cluster",
            job_flow_overrides=cluster_request(n_steps, tags=ownership),
            wait_policy=None,
        )
        cluster_id: Any = create.output  # an XComArg; the stock signatures say str
        # Pinned: the bench stack sets [operators] default_deferrable=true (for emr-dags), which would
        # make this stock teardown wait for TERMINATED in the triggerer, unlike a stock deployment.
        terminate = EmrTerminateJobFlowOperator(
            task_id="terminate_cluster", job_flow_id=cluster_id, deferrable=False
        )
        for name in step_names(n_steps):
            add = EmrAddStepsOperator(
                task_id=f"add_{name}", job_flow_id=cluster_id, steps=[step_request(name)]
            )
            wait = EmrStepSensor(
                task_id=f"wait_{name}",
                job_flow_id=cluster_id,
                step_id=f"{{{{ ti.xcom_pull(task_ids='add_{name}')[0] }}}}",
                poke_interval=poll_interval,
                deferrable=deferrable,
            )
            create >> add >> wait >> terminate
        terminate.as_teardown(setups=create)
    return dag


def empty_pipeline(dag_id: str, *, n_steps: int, tags: list[str]) -> Any:
    """The same graph as the stock twin, all EmptyOperator: the parse-time floor."""
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG

    with DAG(dag_id=dag_id, schedule=None, start_date=START, catchup=False, tags=tags) as dag:
        create = EmptyOperator(task_id="create_cluster")
        terminate = EmptyOperator(task_id="terminate_cluster")
        for name in step_names(n_steps):
            (
                create
                >> EmptyOperator(task_id=f"add_{name}")
                >> EmptyOperator(task_id=f"wait_{name}")
                >> terminate
            )
    return dag


# The EMR Serverless / EMR on EKS chaos fixtures: one job each, its arguments carrying the run id.
JOB_ROLE = "arn:aws:iam::123456789012:role/emr-dags-chaos-job"
EKS_VIRTUAL_CLUSTER = "emr-dags-demo"  # seeded by the local stack (emr_dags_devkit.stack.seed)


def _job_args() -> tuple[str, ...]:
    return ("--job", "spark_job", "--run", "{{ run_id }}")


def serverless_pipeline_dag(
    dag_id: str, *, poll_interval: float, tags: list[str], retries: int = 0, max_active_runs: int = 4
) -> Any:
    """ensure_application [setup] -> one Spark job run -> stop/delete application [teardown].

    The application is named after the run, so each run creates (and its teardown deletes) its own.
    """
    from airflow.sdk import DAG

    from emr_dags.specs.serverless import ServerlessApplicationSpec, ServerlessSparkJob
    from emr_dags.task_groups.serverless import serverless_pipeline

    with DAG(
        dag_id=dag_id,
        schedule=None,
        start_date=START,
        catchup=False,
        max_active_runs=max_active_runs,
        tags=tags,
        default_args=default_args(retries),
    ) as dag:
        serverless_pipeline(
            "serverless",
            # 1-64 of A-Z a-z 0-9 . _ / # -: a manual run id's ':' and '+' are replaced
            application=ServerlessApplicationSpec(
                name="chaos-{{ run_id[-50:] | replace(':', '.') | replace('+', '.') }}",
                release_label="emr-7.5.0",
            ),
            jobs={
                "spark_job": ServerlessSparkJob(
                    name="spark_job",
                    execution_role_arn=JOB_ROLE,
                    entry_point=f"s3://{BUCKET}/code/job.py",
                    entry_point_args=_job_args(),
                )
            },
            poll_interval=poll_interval,
        )
    return dag


def eks_job_dag(
    dag_id: str, *, poll_interval: float, tags: list[str], retries: int = 0, max_active_runs: int = 4
) -> Any:
    """One EMR on EKS Spark job run on the virtual cluster named ``EKS_VIRTUAL_CLUSTER`` (found at run time)."""
    from airflow.sdk import DAG, Param

    from emr_dags.specs.eks import EksJobSpec
    from emr_dags.task_groups.eks import eks_jobs

    with DAG(
        dag_id=dag_id,
        schedule=None,
        start_date=START,
        catchup=False,
        max_active_runs=max_active_runs,
        tags=tags,
        default_args=default_args(retries),
        params={"virtual_cluster_id": Param("", type="string", description="empty: found by name")},
    ) as dag:
        eks_jobs(
            "eks",
            jobs=[
                EksJobSpec(
                    virtual_cluster_id="{{ params.virtual_cluster_id }}",
                    name="spark_job",
                    release_label="emr-7.5.0-latest",
                    execution_role_arn=JOB_ROLE,
                    entry_point=f"s3://{BUCKET}/code/job.py",
                    entry_point_args=_job_args(),
                )
            ],
            virtual_cluster_name=EKS_VIRTUAL_CLUSTER,
            poll_interval=poll_interval,
        )
    return dag


def tenant_dag(dag_id: str, *, job_name: str, step_name: str) -> Any:
    """One of two DAGs a shared deployment might hold: same schedule, the same Serverless application
    name and the same cluster name as its twin, its own job and step (the multi-tenant e2e test)."""
    from airflow.sdk import DAG

    from emr_dags.specs.serverless import ServerlessApplicationSpec, ServerlessSparkJob
    from emr_dags.task_groups.emr import transient_cluster_pipeline
    from emr_dags.task_groups.serverless import serverless_pipeline

    with DAG(
        dag_id=dag_id,
        schedule="@daily",
        start_date=START,
        end_date=BACKFILL_END,
        catchup=False,
        max_active_runs=2,
        tags=["tenant", "emr-dags"],
        default_args=default_args(1),
    ) as dag:
        serverless_pipeline(
            "serverless",
            # Auto-stop after a minute idle: a shared application that neither teardown may stop (its
            # creator left it to the other owner's live job) still ends soon after the last job.
            application=ServerlessApplicationSpec(
                name="shared-analytics", release_label="emr-7.5.0", idle_timeout_minutes=1
            ),
            jobs={
                job_name: ServerlessSparkJob(
                    name=job_name,
                    execution_role_arn=JOB_ROLE,
                    entry_point=f"s3://{BUCKET}/code/{job_name}.py",
                    entry_point_args=["--date", "{{ ds }}"],
                )
            },
            poll_interval=2.0,
        )
        transient_cluster_pipeline(
            "cluster",
            cluster={**cluster_request(1), "Name": "bi-shared-{{ ds_nodash }}"},
            steps=[{**step_request(step_name), "Name": step_name}],
            poll_interval=2.0,
        )
    return dag
