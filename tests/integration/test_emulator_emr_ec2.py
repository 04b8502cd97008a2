"""EMR on EC2 lifecycles in the emulator, driven with boto3 over HTTP."""

from __future__ import annotations

import gzip
import time

import pytest
from botocore.exceptions import ClientError
from emulator_helpers import (
    cluster_state,
    run_cluster,
    step,
    step_states,
    unique,
    wait_cluster,
    wait_for,
    wait_steps_done,
)

pytestmark = pytest.mark.integration


def test_new_cluster_starts_then_bootstraps_then_waits(emr, admin):
    cluster_id = run_cluster(emr)
    seen = [cluster_state(emr, cluster_id)]
    assert seen[0] == "STARTING"
    wait_for(lambda: seen.append(cluster_state(emr, cluster_id)) or seen[-1], lambda s: s == "WAITING")
    assert "BOOTSTRAPPING" in seen
    assert seen.index("BOOTSTRAPPING") < seen.index("WAITING")
    timeline = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["Timeline"]
    assert timeline["ReadyDateTime"] >= timeline["CreationDateTime"]


def test_cluster_without_keep_alive_terminates_after_its_last_step(emr, admin):
    cluster_id = run_cluster(emr, keep_alive=False, steps=[step("only")])
    wait_cluster(emr, cluster_id, "TERMINATED")
    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    assert cluster["Status"]["StateChangeReason"]["Code"] == "ALL_STEPS_COMPLETED"
    assert [s["Status"]["State"] for s in emr.list_steps(ClusterId=cluster_id)["Steps"]] == ["COMPLETED"]


def test_keep_alive_cluster_waits_after_steps(emr, admin):
    cluster_id = run_cluster(emr, steps=[step("a"), step("b")])
    wait_cluster(emr, cluster_id, "WAITING", "TERMINATED")
    assert cluster_state(emr, cluster_id) == "WAITING"
    assert {s["Status"]["State"] for s in emr.list_steps(ClusterId=cluster_id)["Steps"]} == {"COMPLETED"}


def test_steps_run_in_order_one_at_a_time(emr, admin):
    cluster_id = run_cluster(emr, steps=[step(f"s{i}") for i in range(3)])
    wait_cluster(emr, cluster_id, "WAITING")
    steps = list(reversed(emr.list_steps(ClusterId=cluster_id)["Steps"]))  # EMR lists newest first
    assert [s["Name"] for s in steps] == ["s0", "s1", "s2"]
    for earlier, later in zip(steps, steps[1:], strict=False):
        assert earlier["Status"]["Timeline"]["EndDateTime"] <= later["Status"]["Timeline"]["StartDateTime"]
    for s in steps:
        t = s["Status"]["Timeline"]
        assert t["CreationDateTime"] <= t["StartDateTime"] <= t["EndDateTime"]


def test_step_concurrency_level_runs_steps_side_by_side(emr, admin):
    admin.add_rule(match={"step_name": "parallel-*"}, outcome="hang")
    cluster_id = run_cluster(emr, StepConcurrencyLevel=2)
    wait_cluster(emr, cluster_id, "WAITING")
    ids = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step(f"parallel-{i}") for i in range(3)])[
        "StepIds"
    ]
    states = wait_for(lambda: step_states(emr, cluster_id, ids), lambda s: s.count("RUNNING") == 2)
    assert states == ["RUNNING", "RUNNING", "PENDING"]
    emr.terminate_job_flows(JobFlowIds=[cluster_id])


def test_action_on_failure_continue_runs_later_steps(emr, admin):
    admin.add_rule(match={"step_name": "boom"}, outcome="fail")
    cluster_id = run_cluster(emr, steps=[step("boom", on_failure="CONTINUE"), step("next")])
    ids = [s["Id"] for s in reversed(emr.list_steps(ClusterId=cluster_id)["Steps"])]
    assert wait_steps_done(emr, cluster_id, ids) == ["FAILED", "COMPLETED"]
    assert wait_cluster(emr, cluster_id, "WAITING") == "WAITING"


def test_action_on_failure_cancel_and_wait_cancels_pending_and_waits(emr, admin):
    admin.add_rule(match={"step_name": "boom"}, outcome="fail")
    cluster_id = run_cluster(
        emr, steps=[step("boom", on_failure="CANCEL_AND_WAIT"), step("next"), step("last")]
    )
    ids = [s["Id"] for s in reversed(emr.list_steps(ClusterId=cluster_id)["Steps"])]
    assert wait_steps_done(emr, cluster_id, ids) == ["FAILED", "CANCELLED", "CANCELLED"]
    assert wait_cluster(emr, cluster_id, "WAITING") == "WAITING"


@pytest.mark.parametrize("action", ["TERMINATE_CLUSTER", "TERMINATE_JOB_FLOW"])
def test_action_on_failure_terminate_ends_cluster_with_errors(emr, admin, action):
    admin.add_rule(match={"step_name": "boom"}, outcome="fail")
    cluster_id = run_cluster(emr, steps=[step("boom", on_failure=action), step("next")])
    wait_cluster(emr, cluster_id, "TERMINATED_WITH_ERRORS", "TERMINATED", "WAITING")
    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    assert cluster["Status"]["State"] == "TERMINATED_WITH_ERRORS"
    assert cluster["Status"]["StateChangeReason"]["Code"] == "STEP_FAILURE"
    ids = [s["Id"] for s in reversed(emr.list_steps(ClusterId=cluster_id)["Steps"])]
    assert step_states(emr, cluster_id, ids) == ["FAILED", "CANCELLED"]


def test_failed_step_reports_failure_details_from_the_rule(emr, admin, log_bucket):
    admin.add_rule(
        match={"step_name": "etl-*", "arg": "--date=2024-01-01"},
        outcome="fail",
        reason="Container exited with a non-zero exit code 1",
        stderr="Traceback...\njava.lang.OutOfMemoryError: Java heap space\n",
    )
    cluster_id = run_cluster(emr, LogUri=f"s3://{log_bucket}/emr/")
    wait_cluster(emr, cluster_id, "WAITING")
    good = step("etl-daily", args=["spark-submit", "s3://code/etl.py", "--date=2024-01-02"])
    bad = step("etl-daily", args=["spark-submit", "s3://code/etl.py", "--date=2024-01-01"])
    ids = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[good, bad])["StepIds"]
    assert wait_steps_done(emr, cluster_id, ids) == ["COMPLETED", "FAILED"]
    details = emr.describe_step(ClusterId=cluster_id, StepId=ids[1])["Step"]["Status"]["FailureDetails"]
    assert details["Reason"] == "Container exited with a non-zero exit code 1"
    assert details["Message"] == "java.lang.OutOfMemoryError: Java heap space"
    assert details["LogFile"] == f"s3://{log_bucket}/emr/{cluster_id}/steps/{ids[1]}/stderr.gz"


def test_step_logs_land_in_s3_shaped_like_emr(emr, s3, admin, log_bucket):
    admin.add_rule(
        match={"step_name": "noisy"}, outcome="fail", stderr="the real cause\n", stdout="some output\n"
    )
    cluster_id = run_cluster(emr, LogUri=f"s3://{log_bucket}/logs")
    ids = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step("noisy")])["StepIds"]
    wait_steps_done(emr, cluster_id, ids)
    prefix = f"logs/{cluster_id}/steps/{ids[0]}/"

    def keys():
        return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=log_bucket).get("Contents", []))

    found = wait_for(keys, lambda k: f"{prefix}stderr.gz" in k)
    assert {f"{prefix}{n}" for n in ("stdout.gz", "stderr.gz", "controller.gz")} <= set(found)
    body = s3.get_object(Bucket=log_bucket, Key=f"{prefix}stderr.gz")["Body"].read()
    assert gzip.decompress(body).decode() == "the real cause\n"
    containers = [k for k in found if k.startswith(f"logs/{cluster_id}/containers/application_")]
    assert any(k.endswith("/stderr.gz") and "/container_" in k for k in containers)


def test_cancel_steps_cancels_pending_and_running(emr, admin):
    admin.add_rule(match={"step_name": "slow"}, outcome="hang")
    cluster_id = run_cluster(emr)
    wait_cluster(emr, cluster_id, "WAITING")
    ids = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step("slow"), step("queued")])["StepIds"]
    wait_for(lambda: step_states(emr, cluster_id, ids), lambda s: s == ["RUNNING", "PENDING"])
    info = emr.cancel_steps(ClusterId=cluster_id, StepIds=ids, StepCancellationOption="SEND_INTERRUPT")
    assert [i["Status"] for i in info["CancelStepsInfoList"]] == ["SUBMITTED", "SUBMITTED"]
    assert wait_steps_done(emr, cluster_id, ids) == ["CANCELLED", "CANCELLED"]
    assert wait_cluster(emr, cluster_id, "WAITING") == "WAITING"


def test_terminate_cancels_pending_steps_and_records_user_request(emr, admin):
    admin.add_rule(match={"step_name": "forever"}, outcome="hang")
    cluster_id = run_cluster(emr, steps=[step("forever"), step("never")])
    ids = [s["Id"] for s in reversed(emr.list_steps(ClusterId=cluster_id)["Steps"])]
    wait_for(lambda: step_states(emr, cluster_id, ids), lambda s: s[0] == "RUNNING")
    emr.terminate_job_flows(JobFlowIds=[cluster_id])
    assert cluster_state(emr, cluster_id) == "TERMINATING"
    wait_cluster(emr, cluster_id, "TERMINATED")
    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    assert cluster["Status"]["StateChangeReason"] == {
        "Code": "USER_REQUEST",
        "Message": "Terminated by user request",
    }
    assert step_states(emr, cluster_id, ids) == ["CANCELLED", "CANCELLED"]


def test_interrupt_rule_ends_step_interrupted(emr, admin):
    admin.add_rule(match={"name": "spot-loss"}, outcome="interrupt")
    cluster_id = run_cluster(emr, steps=[step("spot-loss")])
    ids = [s["Id"] for s in emr.list_steps(ClusterId=cluster_id)["Steps"]]
    assert wait_steps_done(emr, cluster_id, ids) == ["INTERRUPTED"]


def test_auto_termination_policy_ends_an_idle_cluster(emr, admin):
    cluster_id = run_cluster(emr, AutoTerminationPolicy={"IdleTimeout": 600})
    wait_cluster(emr, cluster_id, "WAITING")
    admin.advance(11)  # simulated minutes: past the 10-minute idle timeout
    wait_cluster(emr, cluster_id, "TERMINATED")
    status = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]
    assert status["StateChangeReason"]["Code"] == "ALL_STEPS_COMPLETED"
    assert "idle" in status["StateChangeReason"]["Message"]
    timeline = status["Timeline"]
    assert timeline["CreationDateTime"] <= timeline["ReadyDateTime"] <= timeline["EndDateTime"]


def test_idle_timeout_factor_stretches_auto_termination(emr, admin):
    admin.set_timings(idle_timeout_factor=3)
    try:
        cluster_id = run_cluster(emr, AutoTerminationPolicy={"IdleTimeout": 600})
        wait_cluster(emr, cluster_id, "WAITING")
        admin.advance(11)  # past the requested 10 minutes, short of the stretched 30
        time.sleep(0.5)
        assert emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"] == "WAITING"
        # The policy reads back as requested: the factor is the emulator's, not the cluster's.
        policy = emr.get_auto_termination_policy(ClusterId=cluster_id)["AutoTerminationPolicy"]
        assert policy == {"IdleTimeout": 600}
        admin.advance(20)
        wait_cluster(emr, cluster_id, "TERMINATED")
    finally:
        admin.set_timings(idle_timeout_factor=1)


def test_normalized_instance_hours_grow_with_simulated_time(emr, admin):
    cluster_id = run_cluster(emr)  # 3 x m5.xlarge = 24 normalised units per hour
    wait_cluster(emr, cluster_id, "WAITING")
    first = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["NormalizedInstanceHours"]
    admin.advance(61)
    later = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["NormalizedInstanceHours"]
    assert first == 24
    assert later == 48
    emr.terminate_job_flows(JobFlowIds=[cluster_id])


def test_list_clusters_filters_by_state_and_keeps_tags(emr, admin):
    tag = unique("owner")
    waiting = run_cluster(emr, Tags=[{"Key": "team", "Value": tag}])
    gone = run_cluster(emr, Tags=[{"Key": "team", "Value": tag}])
    emr.terminate_job_flows(JobFlowIds=[gone])
    wait_cluster(emr, waiting, "WAITING")
    wait_cluster(emr, gone, "TERMINATED")
    active = {c["Id"] for c in emr.list_clusters(ClusterStates=["WAITING"])["Clusters"]}
    done = {c["Id"] for c in emr.list_clusters(ClusterStates=["TERMINATED"])["Clusters"]}
    assert waiting in active
    assert waiting not in done
    assert gone in done
    assert gone not in active
    tags = emr.describe_cluster(ClusterId=waiting)["Cluster"]["Tags"]
    assert {"Key": "team", "Value": tag} in tags


def test_bad_requests_get_aws_errors(emr, admin):
    with pytest.raises(ClientError) as unknown:
        emr.describe_cluster(ClusterId="j-DOESNOTEXIST")
    assert unknown.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "j-DOESNOTEXIST" in unknown.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as label:
        run_cluster(emr, ReleaseLabel="emr-7")
    assert label.value.response["Error"]["Code"] == "ValidationException"
    cluster_id = run_cluster(emr)
    emr.terminate_job_flows(JobFlowIds=[cluster_id])
    with pytest.raises(ClientError) as closed:
        emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step("late")])
    assert closed.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as no_step:
        emr.describe_step(ClusterId=cluster_id, StepId="s-NOPE")
    assert no_step.value.response["Error"]["Code"] == "InvalidRequestException"


def test_termination_protection_blocks_terminate(emr, admin):
    cluster_id = run_cluster(emr)
    emr.set_termination_protection(JobFlowIds=[cluster_id], TerminationProtected=True)
    with pytest.raises(ClientError) as err:
        emr.terminate_job_flows(JobFlowIds=[cluster_id])
    assert err.value.response["Error"]["Code"] == "ValidationException"
    emr.set_termination_protection(JobFlowIds=[cluster_id], TerminationProtected=False)
    emr.terminate_job_flows(JobFlowIds=[cluster_id])
    assert wait_cluster(emr, cluster_id, "TERMINATED") == "TERMINATED"


def test_state_summary_counts_step_runs(emr, admin):
    name = unique("audited")
    cluster_id = run_cluster(emr, name=name, steps=[step("once")])
    wait_cluster(emr, cluster_id, "WAITING")
    summary = next(c for c in admin.state()["clusters"] if c["id"] == cluster_id)
    assert summary["name"] == name
    assert summary["state"] == "WAITING"
    assert [(s["name"], s["state"], s["runs"]) for s in summary["steps"]] == [("once", "COMPLETED", 1)]


def test_instance_fleet_cluster_is_described_and_counts_instance_hours(emr, admin):
    fleets = [
        {
            "InstanceFleetType": "MASTER",
            "TargetOnDemandCapacity": 1,
            "InstanceTypeConfigs": [{"InstanceType": "m5.xlarge"}],
        },
        {
            "InstanceFleetType": "CORE",
            "TargetSpotCapacity": 4,
            "InstanceTypeConfigs": [{"InstanceType": "r5.2xlarge"}],
        },
    ]
    cluster_id = run_cluster(emr, Instances={"KeepJobFlowAliveWhenNoSteps": True, "InstanceFleets": fleets})
    wait_cluster(emr, cluster_id, "WAITING")
    assert emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["NormalizedInstanceHours"] == 8 + 4 * 16
    assert cluster_id in {j["JobFlowId"] for j in emr.describe_job_flows()["JobFlows"]}
    emr.terminate_job_flows(JobFlowIds=[cluster_id])
