"""Importing emr_dags and building specs must stay cheap: DAG files are parsed every few seconds.

Runs in a fresh interpreter so modules imported by other tests cannot hide a regression.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

BANNED_PREFIXES = ("boto3", "botocore", "aiobotocore", "airflow.providers.amazon.aws.operators")

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import emr_dags, emr_dags.specs
    from emr_dags.specs import (
        ClusterSpec, InstanceGroup, SparkStep, HiveStep, CommandStep, EksJobSpec, ServerlessSparkJob,
        ServerlessApplicationSpec, spot_spark_cluster, add_job_flow_steps_request,
    )
    from emr_dags.errors import EmrConfigError

    spec = ClusterSpec(
        name="nightly-{{ ds }}",
        release_label="emr-7.5.0",
        log_bucket="acme-emr-logs",
        instance_groups=(InstanceGroup(role="MASTER", instance_type="m5.xlarge"),),
        steps=(SparkStep(name="etl", entry_point="s3://acme-code/etl.py", args=["--date", "{{ ds }}"]),),
    )
    spec.to_run_job_flow()
    spot_spark_cluster(name="n", log_bucket="acme-emr-logs", core_units=4).to_run_job_flow()
    add_job_flow_steps_request("j-1", [HiveStep(name="h", query="select 1"), CommandStep(name="c", argv=["ls"])])
    role = "arn:aws:iam::123456789012:role/r"
    ServerlessApplicationSpec(name="a", release_label="emr-7.5.0").to_create_application()
    ServerlessSparkJob(name="j", execution_role_arn=role, entry_point="s3://acme-code/a.py").to_start_job_run("00f")
    EksJobSpec(virtual_cluster_id="abc", name="j", release_label="emr-7.5.0-latest", execution_role_arn=role,
               entry_point="s3://acme-code/a.py").to_start_job_run()
    try:
        ClusterSpec(name="x", release_label="emr-6", log_bucket="acme-emr-logs", instance_groups=())
    except EmrConfigError:
        pass
    print(json.dumps(sorted(sys.modules)))
    """
)


def test_importing_specs_and_building_requests_loads_no_aws_sdk_or_provider_operators() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout.strip().splitlines()[-1])
    loaded = [m for m in modules if m.startswith(BANNED_PREFIXES)]
    assert loaded == []
