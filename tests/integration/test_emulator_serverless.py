"""EMR Serverless lifecycles in the emulator, driven with boto3 over HTTP."""

from __future__ import annotations

import gzip

import pytest
from botocore.exceptions import ClientError
from emulator_helpers import unique, wait_for

pytestmark = pytest.mark.integration

ROLE = "arn:aws:iam::123456789012:role/emr-serverless-job"
DONE = {"SUCCESS", "FAILED", "CANCELLED"}


@pytest.fixture
def sl(aws):
    return aws("emr-serverless")


def create_app(sl, **extra):
    return sl.create_application(name=unique("app"), releaseLabel="emr-7.5.0", type="SPARK", **extra)[
        "applicationId"
    ]


def app_state(sl, app_id):
    return sl.get_application(applicationId=app_id)["application"]["state"]


def start_job(sl, app_id, name="job", **extra):
    driver = extra.pop(
        "jobDriver", {"sparkSubmit": {"entryPoint": "s3://code/job.py", "entryPointArguments": ["--day=1"]}}
    )
    return sl.start_job_run(
        applicationId=app_id, executionRoleArn=ROLE, name=name, jobDriver=driver, **extra
    )["jobRunId"]


def job(sl, app_id, run_id):
    return sl.get_job_run(applicationId=app_id, jobRunId=run_id)["jobRun"]


def wait_job(sl, app_id, run_id, states=DONE):
    return wait_for(lambda: job(sl, app_id, run_id), lambda r: r["state"] in states)


def test_application_is_created_before_it_can_start(sl, admin):
    app_id = create_app(sl)
    admin.set_time_scale(60)  # freeze-ish: a simulated minute lasts a real minute
    assert app_state(sl, app_id) in ("CREATING", "CREATED")
    admin.set_time_scale(0.1)
    assert wait_for(lambda: app_state(sl, app_id), lambda s: s == "CREATED") == "CREATED"
    sl.start_application(applicationId=app_id)
    seen = wait_for(lambda: app_state(sl, app_id), lambda s: s in ("STARTING", "STARTED"))
    assert seen in ("STARTING", "STARTED")
    assert wait_for(lambda: app_state(sl, app_id), lambda s: s == "STARTED") == "STARTED"
    sl.stop_application(applicationId=app_id)
    assert wait_for(lambda: app_state(sl, app_id), lambda s: s == "STOPPED") == "STOPPED"
    sl.delete_application(applicationId=app_id)
    assert app_state(sl, app_id) == "TERMINATED"


def test_job_run_walks_through_every_state_and_auto_starts_the_application(sl, admin):
    app_id = create_app(sl)
    wait_for(lambda: app_state(sl, app_id), lambda s: s == "CREATED")
    admin.set_time_scale(0.3)  # slow enough to observe each state
    run_id = start_job(sl, app_id)
    seen: list[str] = []

    def probe():
        state = job(sl, app_id, run_id)["state"]
        if not seen or seen[-1] != state:
            seen.append(state)
        return state

    wait_for(probe, lambda s: s in DONE)
    assert seen[0] == "SUBMITTED"
    assert seen[-1] == "SUCCESS"
    order = ["SUBMITTED", "PENDING", "SCHEDULED", "RUNNING", "SUCCESS"]
    assert [s for s in order if s in seen] == seen  # never out of order
    assert "RUNNING" in seen
    assert app_state(sl, app_id) == "STARTED"


def test_job_run_reports_duration_and_billed_utilisation_in_simulated_time(sl, admin):
    admin.add_rule(match={"job_name": "ten-minutes"}, duration_minutes=10)
    app_id = create_app(sl)
    run_id = start_job(sl, app_id, name="ten-minutes")
    run = wait_job(sl, app_id, run_id)
    assert run["state"] == "SUCCESS"
    assert run["totalExecutionDurationSeconds"] == 600
    # 4 workers (driver + 3 executors) x 4 vCPU x 1/6 h
    assert run["billedResourceUtilization"]["vCPUHour"] == pytest.approx(16 * 600 / 3600, rel=1e-3)
    assert run["startedAt"] <= run["endedAt"]


def test_same_client_token_returns_the_same_run(sl, admin):
    app_id = create_app(sl)
    first = start_job(sl, app_id, clientToken="token-1")
    again = start_job(sl, app_id, clientToken="token-1")
    other = start_job(sl, app_id, clientToken="token-2")
    assert first == again
    assert other != first
    runs = sl.list_job_runs(applicationId=app_id)["jobRuns"]
    assert sorted(r["id"] for r in runs) == sorted({first, other})


def test_scripted_failure_sets_failed_state_and_driver_logs(sl, s3, admin, log_bucket):
    admin.add_rule(
        match={"service": "serverless", "arg": "*bad-input*"},
        outcome="fail",
        message="Job failed: java.io.FileNotFoundException",
        stderr="java.io.FileNotFoundException: s3://data/bad-input\n",
    )
    app_id = create_app(sl)
    monitoring = {
        "monitoringConfiguration": {"s3MonitoringConfiguration": {"logUri": f"s3://{log_bucket}/serverless/"}}
    }
    driver = {
        "sparkSubmit": {"entryPoint": "s3://code/job.py", "entryPointArguments": ["s3://data/bad-input"]}
    }
    run_id = start_job(sl, app_id, jobDriver=driver, configurationOverrides=monitoring)
    run = wait_job(sl, app_id, run_id)
    assert run["state"] == "FAILED"
    assert run["stateDetails"] == "Job failed: java.io.FileNotFoundException"
    key = f"serverless/applications/{app_id}/jobs/{run_id}/SPARK_DRIVER/stderr.gz"

    def keys():
        return [o["Key"] for o in s3.list_objects_v2(Bucket=log_bucket).get("Contents", [])]

    wait_for(keys, lambda k: key in k)
    text = gzip.decompress(s3.get_object(Bucket=log_bucket, Key=key)["Body"].read()).decode()
    assert "FileNotFoundException" in text


def test_cloudwatch_logging_writes_driver_streams(sl, aws, admin):
    logs = aws("logs")
    app_id = create_app(sl)
    group = f"/emr-dags/{unique('grp')}"
    overrides = {
        "monitoringConfiguration": {
            "cloudWatchLoggingConfiguration": {"enabled": True, "logGroupName": group}
        }
    }
    run_id = start_job(sl, app_id, configurationOverrides=overrides)
    wait_job(sl, app_id, run_id)
    stream = f"applications/{app_id}/jobs/{run_id}/SPARK_DRIVER/stderr"

    def streams():
        try:
            return [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]]
        except ClientError:
            return []

    assert stream in wait_for(streams, lambda names: stream in names)


def test_cancel_job_run_goes_through_cancelling(sl, admin):
    admin.add_rule(match={"job_name": "stuck"}, outcome="hang")
    app_id = create_app(sl)
    run_id = start_job(sl, app_id, name="stuck")
    wait_job(sl, app_id, run_id, {"RUNNING"})
    sl.cancel_job_run(applicationId=app_id, jobRunId=run_id)
    assert job(sl, app_id, run_id)["state"] in ("CANCELLING", "CANCELLED")
    assert wait_job(sl, app_id, run_id)["state"] == "CANCELLED"
    with pytest.raises(ClientError) as err:
        sl.cancel_job_run(applicationId=app_id, jobRunId=run_id)
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_execution_timeout_cancels_a_long_run(sl, admin):
    admin.add_rule(match={"job_name": "too-long"}, duration_minutes=60)
    app_id = create_app(sl)
    run_id = start_job(sl, app_id, name="too-long", executionTimeoutMinutes=5)
    wait_job(sl, app_id, run_id, {"RUNNING"})
    admin.advance(6)
    run = wait_job(sl, app_id, run_id)
    assert run["state"] == "CANCELLED"
    assert "timeout" in run["stateDetails"]
    assert run["totalExecutionDurationSeconds"] == 300


def test_application_auto_stops_after_idle_timeout(sl, admin):
    app_id = create_app(sl, autoStopConfiguration={"enabled": True, "idleTimeoutMinutes": 15})
    run_id = start_job(sl, app_id)
    wait_job(sl, app_id, run_id)
    assert app_state(sl, app_id) == "STARTED"
    admin.advance(16)
    assert wait_for(lambda: app_state(sl, app_id), lambda s: s == "STOPPED") == "STOPPED"


def test_dashboard_url_for_a_job_run(sl, admin):
    app_id = create_app(sl)
    run_id = start_job(sl, app_id)
    url = sl.get_dashboard_for_job_run(applicationId=app_id, jobRunId=run_id)["url"]
    assert url.startswith(f"https://{app_id}.dashboard.emr-serverless.")


def test_bad_serverless_requests_get_aws_errors(sl, admin):
    with pytest.raises(ClientError) as label:
        sl.create_application(name="x", releaseLabel="emr-seven", type="SPARK")
    assert label.value.response["Error"]["Code"] == "ValidationException"
    app_id = create_app(sl)
    run_id = start_job(sl, app_id, name="keeps-app-busy")
    wait_for(lambda: app_state(sl, app_id), lambda s: s == "STARTED")
    with pytest.raises(ClientError) as busy:
        sl.delete_application(applicationId=app_id)
    assert busy.value.response["Error"]["Code"] == "ValidationException"
    wait_job(sl, app_id, run_id)
    sl.stop_application(applicationId=app_id)
    wait_for(lambda: app_state(sl, app_id), lambda s: s == "STOPPED")
    sl.delete_application(applicationId=app_id)
    with pytest.raises(ClientError) as gone:
        start_job(sl, app_id)
    assert gone.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as missing:
        sl.get_job_run(applicationId=app_id, jobRunId="nope")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
