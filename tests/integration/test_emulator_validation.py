"""AWS's own rules, enforced: model constraints (400 + AWS's message) and documented cross-field rules.

The clients here skip botocore's client-side parameter validation (``parameter_validation=False``)
where a test sends what botocore would refuse before sending (a missing member, a too-short value),
so the emulator, like AWS, is the one that refuses.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from emulator_helpers import run_cluster, step, unique, wait_cluster, wait_for

pytestmark = pytest.mark.integration
PROVOKES_VIOLATIONS = True  # these tests send invalid requests on purpose (see conftest)
ROLE = "arn:aws:iam::123456789012:role/emr-dags-job"
NO_CLIENT_CHECKS = Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"})


def refused(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as err:
        call(*args, **kwargs)
    response = err.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400, response
    return dict(response["Error"])


@pytest.fixture
def sl(aws: Any) -> Any:
    return aws("emr-serverless", config=NO_CLIENT_CHECKS)


@pytest.fixture
def eks(aws: Any) -> Any:
    return aws("emr-containers", config=NO_CLIENT_CHECKS)


@pytest.fixture
def emr_raw(aws: Any) -> Any:
    return aws("emr", config=NO_CLIENT_CHECKS)


@pytest.fixture
def virtual_cluster(eks: Any) -> str:
    return str(
        eks.create_virtual_cluster(
            name=unique("vc"),
            containerProvider={
                "id": "eks-1",
                "type": "EKS",
                "info": {"eksInfo": {"namespace": unique("ns")}},
            },
        )["id"]
    )


def spark_driver() -> dict[str, Any]:
    return {"sparkSubmit": {"entryPoint": "s3://code/job.py"}}


def eks_job(**extra: Any) -> dict[str, Any]:
    job = {
        "name": "etl.daily",
        "executionRoleArn": ROLE,
        "releaseLabel": "emr-7.5.0-latest",
        "jobDriver": {"sparkSubmitJobDriver": {"entryPoint": "s3://code/job.py"}},
    }
    job.update(extra)
    return job


def started_app(sl: Any, app_type: str = "SPARK", **extra: Any) -> str:
    app_id = sl.create_application(name=unique("app"), releaseLabel="emr-7.5.0", type=app_type, **extra)[
        "applicationId"
    ]
    wait_for(
        lambda: sl.get_application(applicationId=app_id)["application"]["state"], lambda s: s == "CREATED"
    )
    return str(app_id)


# -- model constraints, one per kind -----------------------------------------------------------------
def test_a_pattern_is_matched_in_full_an_eks_job_name_with_a_marker_is_refused(eks, virtual_cluster):
    error = refused(eks.start_job_run, virtualClusterId=virtual_cluster, **eks_job(name="etl [emr-dags:k1]"))
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "1 validation error detected: Value 'etl [emr-dags:k1]' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
    )


def test_a_uri_label_is_checked_too_an_application_id_with_capitals_is_refused(sl):
    error = refused(sl.get_application, applicationId="App-1")
    assert error["Code"] == "ValidationException"
    assert "Value 'App-1' at 'applicationId'" in error["Message"]
    assert "regular expression pattern: [0-9a-z]+" in error["Message"]


def test_a_string_over_its_max_length_is_refused(emr_raw):
    name = "c" * 257
    error = refused(
        emr_raw.run_job_flow,
        Name=name,
        ReleaseLabel="emr-7.5.0",
        Instances={"InstanceCount": 1, "MasterInstanceType": "m5.xlarge"},
    )
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith("1 validation error detected: Value 'ccc")
    assert error["Message"].endswith(
        "at 'name' failed to satisfy constraint: Member must have length less than or equal to 256"
    )


def test_a_string_under_its_min_length_is_refused(sl):
    error = refused(sl.create_application, name="", releaseLabel="emr-7.5.0", type="SPARK")
    assert (
        "Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1"
        in error["Message"]
    )


def test_a_client_token_outside_its_pattern_and_length_is_refused(sl):
    app_id = started_app(sl)
    error = refused(
        sl.start_job_run,
        applicationId=app_id,
        clientToken="x" * 65,
        executionRoleArn=ROLE,
        jobDriver=spark_driver(),
    )
    assert (
        "at 'clientToken' failed to satisfy constraint: Member must have length less than or equal to 64"
        in error["Message"]
    )
    error = refused(
        sl.start_job_run,
        applicationId=app_id,
        clientToken="a token",
        executionRoleArn=ROLE,
        jobDriver=spark_driver(),
    )
    assert "Value 'a token' at 'clientToken'" in error["Message"]


def test_a_number_out_of_its_range_is_refused(sl):
    app_id = started_app(sl)
    error = refused(
        sl.start_job_run,
        applicationId=app_id,
        clientToken="t-range",
        executionRoleArn=ROLE,
        jobDriver=spark_driver(),
        executionTimeoutMinutes=1_000_001,
    )
    assert error["Message"] == (
        "1 validation error detected: Value '1000001' at 'executionTimeoutMinutes' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000000"
    )


def test_a_value_outside_its_enum_is_refused(sl):
    error = refused(
        sl.create_application, name=unique("app"), releaseLabel="emr-7.5.0", type="SPARK", architecture="ARM"
    )
    assert (
        "Value 'ARM' at 'architecture' failed to satisfy constraint: Member must satisfy enum value set: [ARM64, X86_64]"
        in error["Message"]
    )


def test_a_missing_required_member_is_refused(sl):
    app_id = started_app(sl)
    error = refused(sl.start_job_run, applicationId=app_id, clientToken="t-req", jobDriver=spark_driver())
    assert error["Message"] == (
        "1 validation error detected: Value null at 'executionRoleArn' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_nested_members_are_checked_with_their_path(emr_raw):
    cluster_id = run_cluster(emr_raw)
    error = refused(
        emr_raw.add_job_flow_steps,
        JobFlowId=cluster_id,
        Steps=[step("fine"), step("x" * 300), {**step("bad-action"), "ActionOnFailure": "EXPLODE"}],
    )
    message = error["Message"]
    assert message.startswith("2 validation errors detected: ")
    assert (
        "at 'steps.2.member.name' failed to satisfy constraint: Member must have length less than or equal to 256"
        in message
    )
    assert (
        "Value 'EXPLODE' at 'steps.3.member.actionOnFailure' failed to satisfy constraint: Member must satisfy enum value set"
        in message
    )


def test_a_map_over_its_max_entries_and_a_list_over_its_max_items_are_refused(eks, virtual_cluster):
    tags = {f"k{i}": "v" for i in range(51)}
    error = refused(eks.start_job_run, virtualClusterId=virtual_cluster, **eks_job(tags=tags))
    assert (
        "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
        in error["Message"]
    )
    error = refused(eks.list_job_runs, virtualClusterId=virtual_cluster, states=["RUNNING"] * 11)
    assert (
        "at 'states' failed to satisfy constraint: Member must have length less than or equal to 10"
        in error["Message"]
    )


def test_query_protocol_requests_are_validated_with_the_query_error_shape(aws):
    sts = aws("sts")
    error = refused(sts.assume_role, RoleArn=ROLE, RoleSessionName="my session!")
    assert error["Code"] == "ValidationError"
    assert "Value 'my session!' at 'roleSessionName'" in error["Message"]


def test_cloudwatch_logs_requests_are_validated(aws):
    error = refused(aws("logs").create_log_group, logGroupName="emr dags")
    assert error["Code"] == "InvalidParameterException"
    assert "at 'logGroupName' failed to satisfy constraint" in error["Message"]


def test_violations_are_counted_and_lenient_mode_only_counts_them(admin, eks, virtual_cluster):
    before = admin.validation()
    refused(eks.start_job_run, virtualClusterId=virtual_cluster, **eks_job(name="a b"))
    after = admin.validation()
    assert after["strict"] is True
    assert after["validated"] > before["validated"]
    assert after["violations"] == before["violations"] + 1
    assert after["skipped_patterns"] == 0, after["skipped_pattern_list"]
    assert after["last_violations"][-1]["action"] == "StartJobRun"
    assert "Value 'a b' at 'name'" in after["last_violations"][-1]["message"]
    assert admin.calls()["validation"]["violations"] == after["violations"]
    assert admin.state()["validation"]["violations"] == after["violations"]
    admin.set_strict(False)
    try:
        run = eks.start_job_run(
            virtualClusterId=virtual_cluster, **eks_job(name="c d", clientToken=unique("t"))
        )
        assert run["id"]
        assert admin.validation()["violations"] == after["violations"] + 1
    finally:
        admin.set_strict(True)


# -- cross-field rules ------------------------------------------------------------------------------------
def test_a_hive_job_on_a_spark_application_is_refused(sl):
    app_id = started_app(sl, "SPARK")
    error = refused(
        sl.start_job_run,
        applicationId=app_id,
        clientToken="t-hive",
        executionRoleArn=ROLE,
        jobDriver={"hive": {"query": "s3://code/report.q"}},
    )
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        f"Job driver 'hive' is not supported for application {app_id} of type SPARK; "
        "a SPARK application runs 'sparkSubmit' job drivers only."
    )


def test_a_spark_job_on_a_hive_application_is_refused_and_a_hive_job_runs(sl):
    app_id = started_app(sl, "HIVE")
    error = refused(
        sl.start_job_run,
        applicationId=app_id,
        clientToken="t-spark",
        executionRoleArn=ROLE,
        jobDriver=spark_driver(),
    )
    assert "Job driver 'sparkSubmit' is not supported for application" in error["Message"]
    run = sl.start_job_run(
        applicationId=app_id,
        clientToken="t-hive-ok",
        executionRoleArn=ROLE,
        jobDriver={"hive": {"query": "SELECT 1"}},
    )
    assert run["jobRunId"]


@pytest.mark.parametrize("state", ["CREATED", "STOPPED"])
def test_a_job_on_a_created_or_stopped_application_auto_starts_it(sl, state):
    app_id = started_app(sl)
    if state == "STOPPED":
        sl.start_application(applicationId=app_id)
        wait_for(
            lambda: sl.get_application(applicationId=app_id)["application"]["state"], lambda s: s == "STARTED"
        )
        sl.stop_application(applicationId=app_id)
        wait_for(
            lambda: sl.get_application(applicationId=app_id)["application"]["state"], lambda s: s == "STOPPED"
        )
    run = sl.start_job_run(
        applicationId=app_id, clientToken=unique("t"), executionRoleArn=ROLE, jobDriver=spark_driver()
    )
    wait_for(
        lambda: sl.get_application(applicationId=app_id)["application"]["state"],
        lambda s: s in ("STARTING", "STARTED"),
    )
    state_of_run = sl.get_job_run(applicationId=app_id, jobRunId=run["jobRunId"])["jobRun"]["state"]
    assert state_of_run in ("SUBMITTED", "PENDING", "SCHEDULED", "RUNNING", "SUCCESS")


def test_a_job_on_a_stopped_application_without_auto_start_is_refused(sl):
    app_id = started_app(sl, autoStartConfiguration={"enabled": False})
    error = refused(
        sl.start_job_run,
        applicationId=app_id,
        clientToken=unique("t"),
        executionRoleArn=ROLE,
        jobDriver=spark_driver(),
    )
    assert error["Code"] == "ValidationException"
    assert "auto-start is disabled" in error["Message"]


def test_steps_cannot_be_added_to_a_terminating_or_terminated_cluster(emr_raw):
    cluster_id = run_cluster(emr_raw)
    emr_raw.terminate_job_flows(JobFlowIds=[cluster_id])
    error = refused(emr_raw.add_job_flow_steps, JobFlowId=cluster_id, Steps=[step("late")])
    assert error["Code"] == "ValidationException"
    assert (
        error["Message"] == "A job flow that is shutting down, terminated, or finished may not be modified."
    )
    wait_cluster(emr_raw, cluster_id, "TERMINATED")
    assert (
        refused(emr_raw.add_job_flow_steps, JobFlowId=cluster_id, Steps=[step("later")])["Message"]
        == error["Message"]
    )


@pytest.mark.parametrize("action", ["TERMINATE_CLUSTER", "CANCEL_AND_WAIT"])
def test_a_serial_only_action_on_failure_is_refused_on_a_concurrent_cluster(emr_raw, action):
    cluster_id = run_cluster(emr_raw, StepConcurrencyLevel=4)
    error = refused(
        emr_raw.add_job_flow_steps, JobFlowId=cluster_id, Steps=[{**step("p"), "ActionOnFailure": action}]
    )
    assert error["Code"] == "ValidationException"
    assert f"ActionOnFailure {action} is not valid" in error["Message"]
    assert emr_raw.add_job_flow_steps(
        JobFlowId=cluster_id, Steps=[{**step("ok"), "ActionOnFailure": "CONTINUE"}]
    )["StepIds"]
    emr_raw.terminate_job_flows(JobFlowIds=[cluster_id])


def test_more_than_256_active_steps_are_refused(emr_raw):
    cluster_id = run_cluster(emr_raw)
    error = refused(
        emr_raw.add_job_flow_steps, JobFlowId=cluster_id, Steps=[step(f"s{i}") for i in range(257)]
    )
    assert error["Message"].startswith(
        "Maximum number of active steps(State = 'Running', 'Pending' or 'Cancel_Pending')"
    )
    emr_raw.terminate_job_flows(JobFlowIds=[cluster_id])


def test_instance_groups_and_fleets_together_are_refused(emr_raw):
    error = refused(
        emr_raw.run_job_flow,
        Name=unique("both"),
        ReleaseLabel="emr-7.5.0",
        Instances={
            "InstanceGroups": [{"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}],
            "InstanceFleets": [{"InstanceFleetType": "MASTER", "TargetOnDemandCapacity": 1,
                                "InstanceTypeConfigs": [{"InstanceType": "m5.xlarge"}]}],
        },
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
    )  # fmt: skip
    assert "instance groups or instance fleets, not both" in error["Message"]


def test_an_eks_job_on_a_virtual_cluster_that_is_not_running_is_refused(eks, virtual_cluster):
    eks.delete_virtual_cluster(id=virtual_cluster)
    error = refused(eks.start_job_run, virtualClusterId=virtual_cluster, clientToken=unique("t"), **eks_job())
    assert error["Code"] == "ValidationException"
    assert (
        f"Virtual cluster {virtual_cluster} is in TERMINATED state; cannot start a job run."
        == error["Message"]
    )


# -- the admin surface ------------------------------------------------------------------------------------
def _get(
    url: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.mark.parametrize("route", ["state", "calls", "rules", "faults", "time", "timings", "validation", ""])
def test_admin_routes_need_the_token(endpoint_url, admin_token, route):
    status, _, body = _get(f"{endpoint_url}/emr-dags/{route}")
    assert status == 401, body
    assert "token" in json.loads(body)["error"]
    assert _get(f"{endpoint_url}/emr-dags/{route}", {"Authorization": "Bearer wrong"})[0] == 401
    assert _get(f"{endpoint_url}/emr-dags/{route}", {"Authorization": f"Bearer {admin_token}"})[0] == 200
    assert _get(f"{endpoint_url}/emr-dags/{route}", {"X-Emr-Dags-Token": admin_token})[0] == 200


def test_admin_writes_need_the_token(endpoint_url):
    assert _get(f"{endpoint_url}/emr-dags/reset", method="POST")[0] == 401
    assert _get(f"{endpoint_url}/emr-dags/rules", method="DELETE")[0] == 401


def test_health_needs_no_token(endpoint_url):
    status, _, body = _get(f"{endpoint_url}/emr-dags/health")
    assert status == 200
    assert json.loads(body)["strict_validation"] is True


@pytest.mark.parametrize(
    ("method", "path", "extra"),
    [
        ("OPTIONS", "/emr-dags/state", {"Access-Control-Request-Method": "POST"}),
        ("GET", "/emr-dags/health", {}),
        ("OPTIONS", "/", {"Access-Control-Request-Method": "PUT"}),
        ("GET", "/", {}),
        ("OPTIONS", "/some-bucket/key", {"Access-Control-Request-Method": "GET"}),
    ],
)
def test_no_origin_is_allowed_to_read_a_reply(endpoint_url, method, path, extra):
    _, headers, _ = _get(f"{endpoint_url}{path}", {"Origin": "http://evil.example", **extra}, method)
    assert not [h for h in headers if h.lower().startswith("access-control-")], headers
