from __future__ import annotations

import pytest

from emr_dags.errors import EmrConfigError
from emr_dags.specs import Configuration, EksJobSpec, Monitoring, SparkResources, validate_request

ROLE = "arn:aws:iam::123456789012:role/emr-eks-job"


def _job(**changes: object) -> EksJobSpec:
    kwargs: dict[str, object] = {
        "virtual_cluster_id": "a1b2c3d4e5f6g7h8i9j0k1l2m",
        "name": "daily-etl",
        "release_label": "emr-7.5.0-latest",
        "execution_role_arn": ROLE,
        "entry_point": "s3://acme-code/jobs/etl.py",
    }
    kwargs.update(changes)
    return EksJobSpec(**kwargs)  # type: ignore[arg-type]


def test_minimal_job_passes_botocore_without_client_token() -> None:
    request = _job().to_start_job_run()
    validate_request("emr-containers", "StartJobRun", request)
    assert request["jobDriver"] == {"sparkSubmitJobDriver": {"entryPoint": "s3://acme-code/jobs/etl.py"}}
    assert "clientToken" not in request


def test_full_job_renders_overrides_monitoring_and_retries() -> None:
    request = _job(
        entry_point_args=["--date", "2024-06-01"],
        resources=SparkResources(executor_instances=4, executor_memory="8g"),
        conf={"spark.kubernetes.namespace": "analytics"},
        configuration_overrides=(
            Configuration.spark_defaults({"spark.kubernetes.container.image": "acme/spark:1"}),
        ),
        monitoring=Monitoring(
            s3_log_uri="s3://acme-logs/eks/",
            cloudwatch_log_group="/emr-eks/etl",
            cloudwatch_log_stream_prefix="daily",
        ),
        max_attempts=3,
        tags={"team": "data"},
    ).to_start_job_run()
    validate_request("emr-containers", "StartJobRun", request)
    monitoring = request["configurationOverrides"]["monitoringConfiguration"]
    assert monitoring["persistentAppUI"] == "ENABLED"
    assert monitoring["cloudWatchMonitoringConfiguration"] == {
        "logGroupName": "/emr-eks/etl",
        "logStreamNamePrefix": "daily",
    }
    assert request["retryPolicyConfiguration"] == {"maxAttempts": 3}
    params = request["jobDriver"]["sparkSubmitJobDriver"]["sparkSubmitParameters"]
    assert params.startswith("--conf spark.executor.memory=8g --conf spark.executor.instances=4")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("release_label", "emr-7.5.0"),
        ("virtual_cluster_id", "Bad_Id"),
        ("name", "has spaces"),
        ("execution_role_arn", "arn:aws:iam::12:role/x"),
        ("entry_point", "etl.py"),
        ("max_attempts", 0),
    ],
)
def test_bad_fields_name_the_field(field: str, value: object) -> None:
    with pytest.raises(EmrConfigError) as exc:
        _job(**{field: value})
    assert exc.value.field == field
    assert f"EksJobSpec.{field}" in str(exc.value)


@pytest.mark.parametrize("missing", [None, ""])
def test_the_virtual_cluster_id_may_be_left_to_the_operators_lookup_by_name(missing: object) -> None:
    job = _job(virtual_cluster_id=missing)
    assert job.virtual_cluster_id is None
    assert "virtualClusterId" not in job.to_start_job_run()


def test_an_eks_operator_given_only_a_virtual_cluster_name_builds_from_a_spec_without_an_id() -> None:
    from emr_dags.operators.eks import EmrEksJobOperator

    job = _job(virtual_cluster_id="{{ params.virtual_cluster_id }}")
    op = EmrEksJobOperator(task_id="eks", job=job, virtual_cluster_name="analytics")
    assert op.virtual_cluster_name == "analytics"
    with pytest.raises(EmrConfigError, match="virtual_cluster_id"):
        EmrEksJobOperator(task_id="eks2", job=_job(virtual_cluster_id=None))
