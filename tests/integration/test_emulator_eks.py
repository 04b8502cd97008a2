"""EMR on EKS (emr-containers) job runs in the emulator."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from emulator_helpers import unique, wait_for

pytestmark = pytest.mark.integration

ROLE = "arn:aws:iam::123456789012:role/emr-eks-job"
DONE = {"COMPLETED", "FAILED", "CANCELLED"}


@pytest.fixture
def eks(aws):
    return aws("emr-containers")


@pytest.fixture
def vc(eks):
    provider = {"type": "EKS", "id": "eks-cluster", "info": {"eksInfo": {"namespace": unique("ns")}}}
    return eks.create_virtual_cluster(name=unique("vc"), containerProvider=provider)["id"]


def start(eks, vc, name="job", label="emr-7.5.0-latest", **extra):
    return eks.start_job_run(
        virtualClusterId=vc,
        name=name,
        executionRoleArn=ROLE,
        releaseLabel=label,
        jobDriver={
            "sparkSubmitJobDriver": {"entryPoint": "s3://code/job.py", "entryPointArguments": ["--x"]}
        },
        **extra,
    )["id"]


def describe(eks, vc, run_id):
    return eks.describe_job_run(virtualClusterId=vc, id=run_id)["jobRun"]


def wait_run(eks, vc, run_id, states=DONE):
    return wait_for(lambda: describe(eks, vc, run_id), lambda r: r["state"] in states)


@pytest.mark.parametrize("label", ["emr-7.5.0-latest", "emr-6.15.0-20240105", "emr-7.10.0-latest"])
def test_job_run_completes_with_real_release_labels(eks, vc, admin, label):
    run_id = start(eks, vc, label=label)
    assert describe(eks, vc, run_id)["state"] in ("PENDING", "SUBMITTED", "RUNNING")
    run = wait_run(eks, vc, run_id)
    assert run["state"] == "COMPLETED"
    assert run["finishedAt"] >= run["createdAt"]


def test_same_client_token_returns_the_same_job_run(eks, vc, admin):
    first = start(eks, vc, clientToken="abc")
    again = start(eks, vc, clientToken="abc")
    other = start(eks, vc, clientToken="def")
    assert first == again != other
    assert len(eks.list_job_runs(virtualClusterId=vc)["jobRuns"]) == 2


def test_scripted_failure_reports_failure_reason(eks, vc, admin):
    admin.add_rule(
        match={"service": "eks", "job_name": "broken"},
        outcome="fail",
        reason="USER_ERROR",
        message="exit code 1",
    )
    run = wait_run(eks, vc, start(eks, vc, name="broken"))
    assert run["state"] == "FAILED"
    assert run["failureReason"] == "USER_ERROR"
    assert run["stateDetails"] == "exit code 1"


def test_cancel_job_run(eks, vc, admin):
    admin.add_rule(match={"job_name": "endless"}, outcome="hang")
    run_id = start(eks, vc, name="endless")
    wait_run(eks, vc, run_id, {"RUNNING"})
    eks.cancel_job_run(virtualClusterId=vc, id=run_id)
    assert describe(eks, vc, run_id)["state"] in ("CANCEL_PENDING", "CANCELLED")
    assert wait_run(eks, vc, run_id)["state"] == "CANCELLED"
    with pytest.raises(ClientError) as err:
        eks.cancel_job_run(virtualClusterId=vc, id=run_id)
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_bad_release_label_and_unknown_cluster_are_rejected(eks, vc, admin):
    with pytest.raises(ClientError) as label:
        start(eks, vc, label="emr-7")
    assert label.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as unknown:
        start(eks, "doesnotexist00000000000000")
    assert unknown.value.response["Error"]["Code"] == "ResourceNotFoundException"
