"""Cancelling in the real stack: clearing a deferred step task converges on one completed step (no
step runs twice); marking a deferred Serverless job task failed cancels the job run, and the
teardown stops and deletes the application the group created. AWS-side state is read from the
emulator. (Marking a deferred EMR step failed: tests/e2e/test_failures.py.)"""

from __future__ import annotations

import time

import pytest
from e2e_helpers import owned, wait_until

from emr_dags import tags

pytestmark = pytest.mark.e2e


def _ti(stack, dag_id: str, run_id: str, task_id: str) -> dict:
    return stack.api.task_instance(dag_id, run_id, task_id)


@pytest.fixture
def admin(stack):
    admin = stack.admin()
    before = [r.get("name") for r in admin.rules()]
    yield admin
    admin.set_rules([r for r in admin.rules() if r.get("name") in before])


def test_clearing_a_deferred_step_converges_without_running_it_twice(stack, admin):
    """A clear either cancels the step (the new try runs a fresh one) or, when the triggerer notices
    the clear after the new try re-attached, leaves it to that try: never both, never twice."""
    dag_id, task_id, date = "emr_what_if", "what_if.job_under_test", "2031-09-01"
    # Long enough to clear it mid-run (30 real s at time scale 1); a fresh step is as long.
    admin.add_rule(name="e2e-clear", match={"service": "emr", "arg": f"*{date}*"}, duration_minutes=30)
    stack.api.wait_for_dags([dag_id])
    stack.api.unpause(dag_id)
    run_id = f"e2e_clear_{int(time.time())}"
    stack.api.trigger(dag_id, conf={"input_date": date}, run_id=run_id)

    def cluster():
        found = owned(admin.state()["clusters"], dag_id, run_id)
        assert len(found) <= 1, f"duplicate clusters: {[c['id'] for c in found]}"
        return found[0] if found else None

    def deferred_and_running():
        if _ti(stack, dag_id, run_id, task_id)["state"] != "deferred":
            return False
        c = cluster()
        return c and c["steps"] and c["steps"][0]["state"] == "RUNNING"

    wait_until(deferred_and_running, 300, "the step to be RUNNING with its task deferred")
    stack.api.clear_task(dag_id, run_id, task_id)
    run = stack.api.wait_for_run(dag_id, run_id, timeout=600)
    assert run["state"] == "success"
    final = wait_until(lambda: (c := cluster()) and c["state"] == "TERMINATED" and c, 120, "teardown")
    states = [s["state"] for s in final["steps"]]
    assert states in (["COMPLETED"], ["CANCELLED", "COMPLETED"], ["INTERRUPTED", "COMPLETED"]), states
    assert all(s["runs"] <= 1 for s in final["steps"]), final["steps"]
    assert _ti(stack, dag_id, run_id, task_id)["try_number"] >= 2


def test_marking_a_deferred_serverless_job_failed_cancels_the_run_and_removes_the_app(stack, admin):
    # A past logical date (a future one would not be scheduled before that date), unique to this test.
    dag_id, task_id, date = "emr_serverless_jobs", "serverless.spark_aggregate", "2026-03-09"
    admin.add_rule(name="e2e-sl-hang", match={"service": "serverless", "arg": f"*{date}*"}, outcome="hang")
    stack.api.wait_for_dags([dag_id])
    stack.api.unpause(dag_id)
    run_id = f"e2e_slcancel_{int(time.time())}"
    stack.api.trigger(dag_id, run_id=run_id, logical_date=f"{date}T00:00:00Z")

    def job():
        runs = [
            j
            for j in owned(admin.state()["serverless"]["job_runs"], dag_id, run_id)
            if j["tags"].get(tags.TASK_ID) == task_id
        ]
        return runs[0] if len(runs) == 1 else None

    wait_until(
        lambda: (
            _ti(stack, dag_id, run_id, task_id)["state"] == "deferred"
            and (j := job())
            and j["state"] == "RUNNING"
        ),
        300,
        "the job run to be RUNNING with its task deferred",
    )
    stack.api.set_task_state(dag_id, run_id, task_id, "failed")
    cancelled = wait_until(lambda: (j := job()) and j["state"] == "CANCELLED" and j, 120, "CancelJobRun")
    run = stack.api.wait_for_run(dag_id, run_id, timeout=300)
    assert run["state"] == "failed"
    app_id = cancelled["application_id"]

    def app_gone():
        apps = {a["id"]: a for a in admin.state()["serverless"]["applications"]}
        return app_id not in apps or apps[app_id]["state"] in {"TERMINATED", "STOPPED"}

    wait_until(app_gone, 120, "the teardown to stop and delete the application the group created")
    jobs = [
        j
        for j in owned(admin.state()["serverless"]["job_runs"], dag_id, run_id)
        if j["state"] not in {"SUCCESS", "CANCELLED", "FAILED"}
    ]
    assert jobs == [], f"job runs still live after the run ended: {jobs}"
