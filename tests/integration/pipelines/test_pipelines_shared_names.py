"""Two DAGs on one schedule (same run id) sharing a Serverless application name and a cluster name.

Operator level, against the emulator: one DAG's teardown must leave the other's job run and the
shared application alone, and names stay exactly as the user wrote them.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pipeline_helpers import FakeTI, cluster_request, run_operator

from emr_dags import tags as tagmod
from emr_dags.operators.emr import (
    EmrCreateClusterOperator,
    EmrFindClusterOperator,
    EmrTerminateClusterOperator,
)
from emr_dags.operators.serverless import (
    EmrServerlessApplicationOperator,
    EmrServerlessJobOperator,
    EmrServerlessStopApplicationOperator,
)
from emr_dags.specs.serverless import ServerlessApplicationSpec, ServerlessSparkJob

pytestmark = pytest.mark.integration
ROLE = "arn:aws:iam::123456789012:role/emr-serverless-job"
ACTIVE_JOB = ("SUBMITTED", "PENDING", "SCHEDULED", "RUNNING", "QUEUED")
ACTIVE_CLUSTER = ("STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING")


def _run_id() -> str:  # both DAGs' scheduled run on the same day
    return f"scheduled__2026-12-04T00:00:00+00:00-{uuid.uuid4().hex[:6]}"


def _job(marker: str) -> ServerlessSparkJob:
    return ServerlessSparkJob(
        name="features",  # the same job name in both DAGs
        execution_role_arn=ROLE,
        entry_point="s3://code/job.py",
        entry_point_args=(f"--owner={marker}",),
    )


def test_one_dags_serverless_teardown_leaves_the_other_dags_job_and_the_shared_app_alone(
    aws_conn: str, aws: Any, admin: Any
) -> None:
    client = aws("emr-serverless")
    run_id, app_name, b_marker = _run_id(), f"shared-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex[:8]
    admin.add_rule(match={"service": "serverless", "arg": f"--owner={b_marker}"}, outcome="hang")
    spec = ServerlessApplicationSpec(name=app_name, release_label="emr-7.5.0")

    def ensure(dag_id: str) -> dict[str, Any]:
        op = EmrServerlessApplicationOperator(
            task_id="s.ensure_application", application=spec, poll_interval=0.1
        )
        return run_operator(op, FakeTI(dag_id, run_id, "s.ensure_application"))

    a_app, b_app = ensure("dag_a"), ensure("dag_b")
    assert a_app["owned"] is True
    assert b_app["owned"] is False
    app_id = a_app["application_id"]
    assert b_app["application_id"] == app_id
    assert client.get_application(applicationId=app_id)["application"]["name"] == app_name

    b_job = EmrServerlessJobOperator(
        task_id="s.spark",
        application_id=app_id,
        job=_job(b_marker),
        wait_for_completion=False,
        poll_interval=0.1,
    )
    b_run = run_operator(b_job, FakeTI("dag_b", run_id, "s.spark"))
    a_job = EmrServerlessJobOperator(
        task_id="s.spark", application_id=app_id, job=_job("a"), poll_interval=0.1
    )
    a_run = run_operator(a_job, FakeTI("dag_a", run_id, "s.spark"))
    assert a_run["state"] == "SUCCESS"
    assert a_run["job_run_id"] != b_run["job_run_id"]  # same name, same run id: still two owners

    a_stop = EmrServerlessStopApplicationOperator(
        task_id="s.stop_application",
        application_id=app_id,
        owner_task_id="s.ensure_application",
        poll_interval=0.1,
    )
    result = run_operator(a_stop, FakeTI("dag_a", run_id, "s.stop_application"))

    assert result["action"] == "left-running"
    assert [r.split(" ")[0] for r in result["other_owners_live_runs"]] == [b_run["job_run_id"]]
    b_state = client.get_job_run(applicationId=app_id, jobRunId=b_run["job_run_id"])["jobRun"]["state"]
    assert b_state in ACTIVE_JOB
    assert client.get_application(applicationId=app_id)["application"]["state"] not in (
        "STOPPING",
        "TERMINATED",
    )

    # B's teardown cancels B's own leftover run but never deletes an application it did not create.
    b_stop = EmrServerlessStopApplicationOperator(
        task_id="s.stop_application",
        application_id=app_id,
        owner_task_id="s.ensure_application",
        poll_interval=0.1,
    )
    b_result = run_operator(b_stop, FakeTI("dag_b", run_id, "s.stop_application"))
    assert a_run["name"] == "features"  # the user's name, whole
    assert (b_result["action"], b_result["cancelled_runs"]) == ("left-running", [b_run["job_run_id"]])
    assert b_result["other_owners_live_runs"] == []
    assert client.get_application(applicationId=app_id)["application"]["state"] != "TERMINATED"


def test_one_dags_cluster_teardown_leaves_the_other_dags_cluster_of_the_same_name(
    aws_conn: str, aws: Any
) -> None:
    emr = aws("emr")
    run_id, name = _run_id(), f"bi-shared-{uuid.uuid4().hex[:8]}"

    def create(dag_id: str, try_number: int = 1) -> dict[str, Any]:
        op = EmrCreateClusterOperator(
            task_id="emr.create_cluster",
            cluster=cluster_request(name),
            wait_for_ready=False,
            poll_interval=0.1,
        )
        return run_operator(op, FakeTI(dag_id, run_id, "emr.create_cluster", try_number=try_number))

    a, b = create("dag_a"), create("dag_b")
    assert a["cluster_id"] != b["cluster_id"]
    assert a["name"] == b["name"] == name  # the user's name, whole: no marker appended
    retry = create("dag_a", try_number=2)
    assert (retry["cluster_id"], retry["reattached"]) == (a["cluster_id"], True)  # found by key tag

    found = run_operator(
        EmrFindClusterOperator(task_id="find", cluster_name=name), FakeTI("dag_c", run_id, "find")
    )
    assert found["cluster_id"] in (a["cluster_id"], b["cluster_id"])
    b_tags = {
        t["Key"]: t["Value"] for t in emr.describe_cluster(ClusterId=b["cluster_id"])["Cluster"]["Tags"]
    }
    assert b_tags[tagmod.DEPLOYMENT] == tagmod.deployment_id()
    assert tagmod.consistent(b_tags)

    terminate = EmrTerminateClusterOperator(task_id="emr.terminate_cluster", cluster_id=a["cluster_id"])
    run_operator(terminate, FakeTI("dag_a", run_id, "emr.terminate_cluster"))
    state = lambda cid: emr.describe_cluster(ClusterId=cid)["Cluster"]["Status"]["State"]  # noqa: E731
    assert state(a["cluster_id"]) in ("TERMINATING", "TERMINATED")
    assert state(b["cluster_id"]) in ACTIVE_CLUSTER
    emr.terminate_job_flows(JobFlowIds=[b["cluster_id"]])


def test_a_name_that_matches_nothing_says_what_was_searched(aws_conn: str) -> None:
    from emr_dags.aws.errors import EmrClusterFailed

    op = EmrFindClusterOperator(task_id="find", cluster_name="bi-shared-20261204 [emr-dags:x]")
    with pytest.raises(EmrClusterFailed, match=r"named exactly .*names are matched as given"):
        run_operator(op, FakeTI("d", "r", "find"))


def test_two_deployments_running_the_same_dag_on_the_same_schedule_keep_their_own_clusters(
    aws_conn: str, aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    emr = aws("emr")
    run_id, name = _run_id(), f"nightly-{uuid.uuid4().hex[:8]}"

    def create(deployment: str) -> dict[str, Any]:
        monkeypatch.setenv("AIRFLOW__EMR_DAGS__DEPLOYMENT_ID", deployment)
        op = EmrCreateClusterOperator(
            task_id="emr.create_cluster",
            cluster=cluster_request(name),
            wait_for_ready=False,
            poll_interval=0.1,
        )
        return run_operator(op, FakeTI("etl", run_id, "emr.create_cluster"))

    staging, prod = create("staging"), create("prod")
    assert prod["key"] == staging["key"]  # same DAG, run and task ids
    assert prod["cluster_id"] != staging["cluster_id"]
    assert prod["reattached"] is False

    monkeypatch.setenv("AIRFLOW__EMR_DAGS__DEPLOYMENT_ID", "staging")
    teardown = EmrTerminateClusterOperator(
        task_id="emr.terminate_cluster", cluster_id="", owner_task_id="emr.create_cluster"
    )
    assert (
        run_operator(teardown, FakeTI("etl", run_id, "emr.terminate_cluster"))["cluster_id"]
        == staging["cluster_id"]
    )
    state = lambda cid: emr.describe_cluster(ClusterId=cid)["Cluster"]["Status"]["State"]  # noqa: E731
    assert state(prod["cluster_id"]) in ACTIVE_CLUSTER
    emr.terminate_job_flows(JobFlowIds=[prod["cluster_id"]])
