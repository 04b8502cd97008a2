from __future__ import annotations

import pytest

from emr_dags.errors import EmrConfigError
from emr_dags.specs import ClusterSpec, InstanceGroup, validate_request


def _request(**changes: object) -> dict[str, object]:
    spec = ClusterSpec(
        name="x",
        release_label="{{ params.release }}",
        log_bucket="acme-logs",
        instance_groups=(InstanceGroup(role="MASTER", instance_type="m5.xlarge"),),
    )
    return {**spec.to_run_job_flow(), **changes}


def test_every_problem_is_listed_in_one_error() -> None:
    bad = _request(ReleaseLabel="emr-7.5.0", Name="n" * 300, VisibleToAllUsers="yes", Bogus=1)
    with pytest.raises(EmrConfigError) as exc:
        validate_request("emr", "RunJobFlow", bad)
    message = str(exc.value)
    assert "3 problem(s)" in message
    for needle in ("Bogus", "VisibleToAllUsers", "valid max length: 256", "Name"):
        assert needle in message
    assert exc.value.spec == "emr.RunJobFlow"


def test_a_rendered_release_label_is_checked_like_a_literal_one() -> None:
    with pytest.raises(EmrConfigError, match="expected a release label like 'emr-7.5.0'") as exc:
        validate_request("emr", "RunJobFlow", _request(ReleaseLabel="emr-6"))
    assert exc.value.field == "ReleaseLabel"
    validate_request("emr", "RunJobFlow", _request(ReleaseLabel="emr-7.5.0"))


def test_enums_and_missing_required_parameters_are_reported() -> None:
    with pytest.raises(EmrConfigError, match="valid values: .*CONTINUE"):
        validate_request(
            "emr",
            "AddJobFlowSteps",
            {
                "JobFlowId": "j-1",
                "Steps": [{"Name": "s", "ActionOnFailure": "EXPLODE", "HadoopJarStep": {"Jar": "x"}}],
            },
        )
    with pytest.raises(EmrConfigError, match='Missing required parameter in input: "Instances"'):
        validate_request("emr", "RunJobFlow", {"Name": "x"})


def test_idempotency_tokens_may_be_left_to_the_operator() -> None:
    validate_request(
        "emr-serverless",
        "StartJobRun",
        {"applicationId": "00f", "executionRoleArn": "arn:aws:iam::123456789012:role/r"},
    )


def test_unknown_service_or_operation_is_a_config_error() -> None:
    with pytest.raises(EmrConfigError) as exc:
        validate_request("s3", "PutObject", {})
    assert exc.value.field == "service"
    with pytest.raises(EmrConfigError, match="RunJobFlow") as exc:
        validate_request("emr", "RunJobFlows", {})
    assert exc.value.field == "operation"
