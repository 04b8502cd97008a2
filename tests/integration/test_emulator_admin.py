"""Admin API, call accounting, fault injection, time scale and local execution."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from emulator_helpers import run_cluster, step, wait_cluster, wait_for, wait_steps_done

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def test_health_reports_healthy(endpoint_url, admin):
    with urllib.request.urlopen(f"{endpoint_url}/emr-dags/health") as response:
        assert response.status == 200
        body = json.loads(response.read())
    assert body["status"] == "healthy"
    assert admin.health()["status"] == "healthy"


def test_calls_are_counted_per_service_and_action(emr, aws, admin):
    sl = aws("emr-serverless")
    admin.reset_calls()
    cluster_id = run_cluster(emr)
    emr.describe_cluster(ClusterId=cluster_id)
    emr.describe_cluster(ClusterId=cluster_id)
    emr.list_steps(ClusterId=cluster_id)
    app_id = sl.create_application(name="counted", releaseLabel="emr-7.5.0", type="SPARK")["applicationId"]
    sl.get_application(applicationId=app_id)
    with pytest.raises(ClientError):
        sl.get_job_run(applicationId=app_id, jobRunId="missing")
    calls = admin.calls()
    assert calls["services"]["emr"] == {"RunJobFlow": 1, "DescribeCluster": 2, "ListSteps": 1}
    assert calls["services"]["emr-serverless"] == {
        "CreateApplication": 1,
        "GetApplication": 1,
        "GetJobRun": 1,
    }
    assert calls["errors"]["emr-serverless"] == {"GetJobRun": 1}
    assert calls["total"] == 7
    admin.reset_calls()
    assert admin.calls()["total"] == 0
    request = urllib.request.Request(
        f"{admin.endpoint_url}/emr-dags/calls",
        method="DELETE",
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    urllib.request.urlopen(request).close()


def test_throttling_is_injected_with_aws_shape_and_seed(emr, aws, admin):
    admin.set_faults(
        [{"service": "emr", "action": "GetBlockPublicAccessConfiguration", "throttle": 1.0}], seed=3
    )
    with pytest.raises(ClientError) as err:
        emr.get_block_public_access_configuration()
    assert err.value.response["Error"]["Code"] == "ThrottlingException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    emr.describe_job_flows()  # other actions unaffected
    sl = aws("emr-serverless")
    admin.set_faults([{"service": "emr-serverless", "throttle": 1.0}], seed=3)
    with pytest.raises(ClientError) as rest:
        sl.list_applications()
    assert rest.value.response["Error"]["Code"] == "ThrottlingException"


def test_botocore_retries_through_partial_throttling(aws, admin):
    admin.set_faults(
        [{"service": "emr", "action": "GetBlockPublicAccessConfiguration", "throttle": 0.5}], seed=11
    )
    admin.reset_calls()
    emr = aws("emr", config=Config(retries={"max_attempts": 10, "mode": "standard"}))
    for _ in range(5):
        emr.get_block_public_access_configuration()
    calls = admin.calls()["services"]["emr"]["GetBlockPublicAccessConfiguration"]
    assert calls > 5  # some were throttled and retried


def test_same_seed_gives_the_same_fault_sequence(emr, admin):
    def run_sequence():
        admin.set_faults(
            [{"service": "emr", "action": "GetBlockPublicAccessConfiguration", "throttle": 0.5}], seed=99
        )
        outcomes = []
        for _ in range(8):
            try:
                emr.get_block_public_access_configuration()
                outcomes.append("ok")
            except ClientError:
                outcomes.append("throttled")
        return outcomes

    first = run_sequence()
    assert "ok" in first
    assert "throttled" in first
    assert run_sequence() == first


def test_server_errors_and_latency_are_injected(emr, admin):
    admin.set_faults([{"service": "emr", "action": "GetBlockPublicAccessConfiguration", "error_5xx": 1.0}])
    with pytest.raises(ClientError) as err:
        emr.get_block_public_access_configuration()
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    admin.set_faults([{"service": "emr", "action": "GetBlockPublicAccessConfiguration", "latency_ms": 300}])
    begin = time.monotonic()
    emr.get_block_public_access_configuration()
    assert time.monotonic() - begin >= 0.3
    assert admin.faults()["injected"] == {"throttle": 0, "5xx": 0, "latency": 1}


def test_time_scale_changes_how_long_a_step_takes_in_real_time(emr, admin):
    cluster_id = run_cluster(emr)
    wait_cluster(emr, cluster_id, "WAITING")
    admin.set_time_scale(1000)  # a simulated minute now lasts 1000 s: the step cannot finish
    ids = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step("scaled")])["StepIds"]
    assert (
        wait_for(
            lambda: emr.describe_step(ClusterId=cluster_id, StepId=ids[0])["Step"]["Status"]["State"],
            lambda s: s == "RUNNING",
        )
        == "RUNNING"
    )
    time.sleep(0.3)
    assert emr.describe_step(ClusterId=cluster_id, StepId=ids[0])["Step"]["Status"]["State"] == "RUNNING"
    admin.set_time_scale(0.05)
    assert wait_steps_done(emr, cluster_id, ids) == ["COMPLETED"]


def test_rules_round_trip_over_http(admin):
    admin.set_rules([{"name": "a", "match": {"step_name": "x*"}, "outcome": "fail", "times": 1}])
    admin.add_rule(name="b", match={"job_name": "y"}, outcome="hang")
    rules = admin.rules()
    assert [(r["name"], r["outcome"]) for r in rules] == [("a", "fail"), ("b", "hang")]
    assert rules[0]["match"] == {"service": "*", "step_name": "x*", "regex": False}
    from emr_dags_devkit.emulator.client import EmulatorAdminError

    with pytest.raises(EmulatorAdminError) as err:
        admin.add_rule(outcome="explode")
    assert err.value.status == 400


def test_rule_with_times_fails_only_the_first_run(emr, admin):
    admin.add_rule(match={"step_name": "flaky"}, outcome="fail", times=1)
    cluster_id = run_cluster(emr)
    ids = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step("flaky"), step("flaky")])["StepIds"]
    assert wait_steps_done(emr, cluster_id, ids) == ["FAILED", "COMPLETED"]


def _step_stdout(s3, log_bucket, cluster_id, step_id):
    key = f"logs/{cluster_id}/steps/{step_id}/stdout.gz"
    wait_for(
        lambda: [o["Key"] for o in s3.list_objects_v2(Bucket=log_bucket).get("Contents", [])],
        lambda k: key in k,
    )
    return gzip.decompress(s3.get_object(Bucket=log_bucket, Key=key)["Body"].read()).decode()


def test_local_exec_runs_a_real_script_with_the_emulator_endpoint(emr, s3, admin, log_bucket, shared_tmp):
    # bash, not this venv's Python: when the emulator runs as root the step runs as `nobody`, which
    # cannot read a Python installed under /root.
    script = shared_tmp / "job.sh"
    script.write_text('echo "endpoint=$AWS_ENDPOINT_URL"\nexit "$1"\n')
    script.chmod(0o644)
    cluster_id = run_cluster(emr, LogUri=f"s3://{log_bucket}/logs/")
    ok = step("local-ok", args=["bash", str(script), "0"])
    bad = step("local-bad", args=["bash", str(script), "3"])
    ids = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[ok, bad])["StepIds"]
    assert wait_steps_done(emr, cluster_id, ids, timeout=60) == ["COMPLETED", "FAILED"]
    failure = emr.describe_step(ClusterId=cluster_id, StepId=ids[1])["Step"]["Status"]["FailureDetails"]
    assert "3" in failure["Reason"]
    assert _step_stdout(s3, log_bucket, cluster_id, ids[0]).startswith("endpoint=http://127.0.0.1:")


@pytest.mark.skipif(os.geteuid() != 0, reason="checks the privilege drop of an emulator running as root")
def test_local_exec_as_root_runs_the_step_as_nobody(emr, s3, admin, log_bucket, shared_tmp):
    import pwd

    script = shared_tmp / "whoami.sh"
    script.write_text('echo "uid=$(id -u) gid=$(id -g) groups=$(id -G) home=$HOME cwd=$(pwd)"\n')
    script.chmod(0o644)
    cluster_id = run_cluster(emr, LogUri=f"s3://{log_bucket}/logs/")
    ids = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step("whoami", args=["bash", str(script)])])[
        "StepIds"
    ]
    assert wait_steps_done(emr, cluster_id, ids, timeout=60) == ["COMPLETED"]
    out = _step_stdout(s3, log_bucket, cluster_id, ids[0])
    nobody = pwd.getpwnam("nobody")
    fields = dict(part.split("=", 1) for part in out.split())
    assert fields["uid"] == str(nobody.pw_uid) != "0"
    assert fields["gid"] == fields["groups"] == str(nobody.pw_gid)  # no supplementary groups kept
    assert fields["home"] == fields["cwd"]


def test_local_exec_leaves_remote_commands_emulated(emr, admin, tmp_path):
    marker = tmp_path / "should-not-exist"
    cluster_id = run_cluster(emr)
    remote = step("remote", args=["spark-submit", "s3://code/job.py", str(marker)])
    inline = step("inline", args=["bash", "-c", f"touch {marker}"])
    ids = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[remote, inline])["StepIds"]
    assert wait_steps_done(emr, cluster_id, ids) == ["COMPLETED", "COMPLETED"]
    assert not marker.exists()


def test_cli_serves_and_stops_cleanly_on_sigterm(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: from-file\n    match: {step_name: 'x'}\n    outcome: fail\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emr_dags.cli",
            "emulator",
            "--port",
            "0",
            "--rules",
            str(rules),
            "--time-scale",
            "0.5",
            "--token-file",
            str(tmp_path / "token"),
        ],
        cwd=REPO,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on http://" in line, line
        url = line.split("listening on ", 1)[1].split()[0]
        from emr_dags_devkit.emulator.client import EmulatorAdmin, EmulatorAdminError

        assert (tmp_path / "token").stat().st_mode & 0o777 == 0o600
        with pytest.raises(EmulatorAdminError) as refused:
            EmulatorAdmin(url, token="not-the-token").rules()
        assert refused.value.status == 401
        client = EmulatorAdmin(url, token=(tmp_path / "token").read_text())
        assert client.health()["time_scale"] == 0.5
        assert [r["name"] for r in client.rules()] == ["from-file"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_local_exec_cancel_with_terminate_process_does_not_wait_for_the_process(emr, admin, shared_tmp):
    script = shared_tmp / "slow.sh"
    script.write_text("sleep 60\n")
    script.chmod(0o644)
    cluster_id = run_cluster(emr)
    ids = emr.add_job_flow_steps(
        JobFlowId=cluster_id, Steps=[step("slow-local", args=["bash", str(script)])]
    )["StepIds"]
    wait_for(
        lambda: emr.describe_step(ClusterId=cluster_id, StepId=ids[0])["Step"]["Status"]["State"],
        lambda s: s == "RUNNING",
    )
    emr.cancel_steps(ClusterId=cluster_id, StepIds=ids, StepCancellationOption="TERMINATE_PROCESS")
    assert wait_steps_done(emr, cluster_id, ids, timeout=30) == ["CANCELLED"]
    summary = next(c for c in admin.state()["clusters"] if c["id"] == cluster_id)
    assert summary["steps"][0]["rule"] == "local-exec"
