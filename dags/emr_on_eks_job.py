"""EMR on EKS: a Spark job on a virtual cluster found by name (or given by id) at run time."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param

from emr_dags.specs.eks import EksJobSpec
from emr_dags.task_groups.eks import eks_jobs

BUCKET = "emr-dags-demo"
ROLE = "arn:aws:iam::123456789012:role/emr-dags-eks-job"

with DAG(
    dag_id="emr_on_eks_job",
    schedule="@daily",
    max_active_runs=3,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 2, "retry_delay": pendulum.duration(seconds=10)},
    tags=["demo", "example", "emr-dags", "emr-on-eks"],
    params={
        "virtual_cluster_id": Param("", type="string", description="Leave empty to look it up by name"),
        "virtual_cluster_name": Param("emr-dags-demo", type="string"),
    },
) as dag:
    eks_jobs(
        "eks",
        jobs=[
            EksJobSpec(
                virtual_cluster_id="{{ params.virtual_cluster_id }}",
                name="eks_spark_pi",
                release_label="emr-7.5.0-latest",
                execution_role_arn=ROLE,
                entry_point=f"s3://{BUCKET}/code/pi.py",
                entry_point_args=("1000",),
            )
        ],
        virtual_cluster_name="{{ params.virtual_cluster_name }}",
        generation="{{ (dag_run.conf or {}).get('emr_generation', 0) }}",
        poll_interval=5,
    )
