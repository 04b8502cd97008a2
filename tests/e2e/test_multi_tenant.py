"""Two DAGs of one deployment, same schedule, same Serverless application name, same cluster name.

``tenant_a`` and ``tenant_b`` (the dev kit's ``fixture_dags/tenant_pair.py``) are backfilled for the
same date, so their runs share the run id ``backfill__2026-02-01...``. B's job and step run long, so
A's teardown (stop/delete the application, terminate its cluster) happens while B's work is live. It
must leave B's job, B's cluster and the application B is using alone; nothing is left running after.
"""

from __future__ import annotations

from typing import Any

import pytest
from e2e_helpers import wait_until

from emr_dags import tags

pytestmark = pytest.mark.e2e
DAGS = ("tenant_a", "tenant_b")
DATE = "2026-02-01"
APP_NAME = "shared-analytics"
LIVE_JOB_STATES = {"SUBMITTED", "PENDING", "SCHEDULED", "RUNNING", "CANCELLING", "QUEUED"}
LIVE_CLUSTER_STATES = {"STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"}


def _app_ids(serverless: Any) -> list[str]:
    apps = serverless.list_applications()["applications"]
    return [a["id"] for a in apps if a["name"] == APP_NAME]


def _job_runs(serverless: Any) -> list[dict[str, Any]]:
    runs = []
    for app_id in _app_ids(serverless):
        for summary in serverless.list_job_runs(applicationId=app_id)["jobRuns"]:
            runs.append(serverless.get_job_run(applicationId=app_id, jobRunId=summary["id"])["jobRun"])
    return runs


def _run_of(stack: Any, dag_id: str) -> dict[str, Any] | None:
    found = [r for r in stack.api.dag_runs(dag_id) if (r.get("logical_date") or "").startswith(DATE)]
    return found[0] if found else None


def test_two_dags_sharing_names_leave_each_others_work_alone(stack):
    admin = stack.admin()
    # B's job and step outlive A's whole pipeline, so A's teardown runs while B's work is live.
    admin.add_rule(
        name="tenant-b-job-long", match={"job_name": "b_job"}, outcome="succeed", duration_minutes=90
    )
    admin.add_rule(
        name="tenant-b-step-long", match={"step_name": "b_step*"}, outcome="succeed", duration_minutes=90
    )
    stack.api.wait_for_dags(list(DAGS), timeout=180)
    for dag_id in DAGS:
        stack.airflow("dags", "pause", dag_id)
        stack.backfill(dag_id, DATE, DATE)
    for dag_id in DAGS:
        stack.api.unpause(dag_id)
    runs = {
        dag_id: wait_until(lambda d=dag_id: _run_of(stack, d), 300, f"{dag_id}'s backfill run")
        for dag_id in DAGS
    }
    assert (
        runs["tenant_a"]["dag_run_id"] == runs["tenant_b"]["dag_run_id"]
    )  # the collision the key must survive

    serverless, emr = stack.client("emr-serverless"), stack.client("emr")
    a_run = stack.api.wait_for_run("tenant_a", runs["tenant_a"]["dag_run_id"], timeout=900)
    assert a_run["state"] == "success"
    # A is done, its teardown included: B's job is still running, on a started application.
    b_jobs = [j for j in _job_runs(serverless) if j["tags"].get(tags.DAG_ID) == "tenant_b"]
    assert [j["state"] for j in b_jobs] == ["RUNNING"], b_jobs
    app = serverless.get_application(applicationId=b_jobs[0]["applicationId"])["application"]
    assert app["state"] == "STARTED"
    b_clusters = stack.clusters_of_run("tenant_b", runs["tenant_b"]["dag_run_id"])
    assert [c["Status"]["State"] for c in b_clusters] in (["RUNNING"], ["WAITING"])

    b_run = stack.api.wait_for_run("tenant_b", runs["tenant_b"]["dag_run_id"], timeout=900)
    assert b_run["state"] == "success"
    jobs = _job_runs(serverless)
    by_dag = {j["tags"].get(tags.DAG_ID): j for j in jobs}
    assert sorted(by_dag) == ["tenant_a", "tenant_b"]
    assert {d: j["state"] for d, j in by_dag.items()} == {"tenant_a": "SUCCESS", "tenant_b": "SUCCESS"}
    assert by_dag["tenant_a"]["name"] == "a_job"  # the user's name, whole
    for dag_id in DAGS:
        (cluster,) = stack.clusters_of_run(dag_id, runs[dag_id]["dag_run_id"])
        assert cluster["Name"] == "bi-shared-20260201"  # both clusters keep the user's name
        assert cluster["Status"]["State"] in ("TERMINATING", "TERMINATED")
        steps = emr.list_steps(ClusterId=cluster["Id"])["Steps"]
        assert [s["Status"]["State"] for s in steps] == ["COMPLETED"]
        assert steps[0]["Name"].startswith(f"{dag_id[-1]}_step")

    def nothing_live() -> bool:
        live_jobs = [j for j in _job_runs(serverless) if j["state"] in LIVE_JOB_STATES]
        apps = [
            serverless.get_application(applicationId=a)["application"]["state"] for a in _app_ids(serverless)
        ]
        clusters = [
            c for d in DAGS for c in stack.clusters_of_run(d, runs[d]["dag_run_id"])
            if c["Status"]["State"] in LIVE_CLUSTER_STATES
        ]  # fmt: skip
        return not live_jobs and not clusters and all(s in ("CREATED", "STOPPED", "TERMINATED") for s in apps)

    wait_until(nothing_live, 300, "no job run, cluster or started application left")
    validation = admin.validation()
    assert validation["validated"] > 0
    assert validation["violations"] == 0, validation["last_violations"]
