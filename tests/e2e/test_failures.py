"""Failures in the real stack: a failing step fails the run, is explained, and nothing is left running;
marking a deferred step failed cancels it on the AWS side."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from e2e_helpers import wait_until

from emr_dags import tags

pytestmark = pytest.mark.e2e

DAG_ID = "emr_what_if"
STEP_TASK = "what_if.job_under_test"
STDERR = (
    "26/11/25 10:00:01 INFO SparkContext: Running Spark version 3.5.2\n"
    "Traceback (most recent call last):\n"
    '  File "/mnt/tmp/spark-1/sessionize.py", line 3, in <module>\n'
    "    import pandas as pd\n"
    "ModuleNotFoundError: No module named 'pandas'\n"
)


def _cluster_of(stack, run_id: str) -> dict:
    clusters = [
        c
        for c in stack.admin().state()["clusters"]
        if c["tags"].get(tags.DAG_ID) == DAG_ID and c["tags"].get(tags.RUN_ID) == run_id
    ]
    assert len(clusters) == 1, clusters
    return clusters[0]


def _ti_path(run_id: str, task_id: str) -> str:
    q = urllib.parse.quote
    return f"/api/v2/dags/{DAG_ID}/dagRuns/{q(run_id, safe='')}/taskInstances/{q(task_id)}"


def _get_from_api_server(stack, url: str) -> tuple[int, str]:
    """GET a URL the api-server serves (e.g. an extra link), authenticated like the REST client."""
    parts = urllib.parse.urlsplit(url)
    request = urllib.request.Request(
        f"{stack.api_url.rstrip('/')}{parts.path}?{parts.query}",
        headers={"Authorization": f"Bearer {stack.api.token()}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def rule(stack):
    admin = stack.admin()
    added: list[str] = []

    def add(**fields):
        added.append(fields["name"])
        admin.add_rule(**fields)

    yield add
    admin.set_rules([r for r in admin.rules() if r.get("name") not in added])


def test_a_failing_step_fails_the_run_is_explained_and_the_cluster_is_torn_down(stack, rule):
    date = "2031-07-01"
    rule(name="e2e-fail", match={"service": "emr", "arg": date}, outcome="fail", stderr=STDERR,
         reason="Step failed", duration_minutes=1)  # fmt: skip
    stack.api.wait_for_dags([DAG_ID])
    stack.api.unpause(DAG_ID)
    run_id = f"e2e_fail_{int(time.time())}"
    stack.api.trigger(DAG_ID, conf={"input_date": date}, run_id=run_id)
    run = stack.api.wait_for_run(DAG_ID, run_id, timeout=400)

    states = {ti["task_id"]: ti["state"] for ti in stack.api.task_instances(DAG_ID, run_id)}
    assert run["state"] == "failed", states  # not hidden by the teardown
    assert states[STEP_TASK] == "failed"
    assert states["what_if.terminate_cluster"] == "success"
    cluster = wait_until(
        lambda: (c := _cluster_of(stack, run_id))["state"] == "TERMINATED" and c, 60, "teardown"
    )
    assert {s["state"] for s in cluster["steps"]} == {
        "FAILED"
    }  # each retry adds one fresh step after a failure
    assert len(cluster["steps"]) == 3

    xcom = stack.api.get(f"{_ti_path(run_id, STEP_TASK)}/xcomEntries/diagnosis", deserialize=True)
    diagnosis = xcom["value"]
    assert diagnosis["category"] == "python_module_missing"
    assert "No module named 'pandas'" in diagnosis["summary"]
    log = stack.api.get(f"{_ti_path(run_id, STEP_TASK)}/logs/1", full_content=True)
    text = str(log)
    assert "emr-dags: Probable cause" in text
    assert "No module named 'pandas'" in text

    # The same diagnosis behind the task's "Probable cause" extra link (the emr-dags plugin's page).
    links = stack.api.get(f"{_ti_path(run_id, STEP_TASK)}/links")["extra_links"]
    url = links.get("Probable cause")
    assert url, links
    assert urllib.parse.urlsplit(url).path == "/emr-dags/diagnosis"
    assert "try_number=3" in url  # the last of the three failed tries
    status, page = _get_from_api_server(stack, url)
    assert status == 200, page[:2000]
    assert "python_module_missing" in page
    assert "No module named 'pandas'" in page
    status, body = _get_from_api_server(stack, f"{url}&format=json")
    assert status == 200, body[:2000]
    assert json.loads(body)["diagnosis"] == diagnosis
    # Airflow keeps the latest try's XComs only: try 1's page says so instead of showing try 3's.
    status, page = _get_from_api_server(stack, url.replace("try_number=3", "try_number=1"))
    assert status == 404
    assert "belongs to try 3" in page


def test_marking_a_deferred_step_failed_cancels_it_and_tears_down(stack, rule):
    date = "2031-07-02"
    rule(name="e2e-hang", match={"service": "emr", "arg": date}, outcome="hang")
    stack.api.wait_for_dags([DAG_ID])
    stack.api.unpause(DAG_ID)
    run_id = f"e2e_markfailed_{int(time.time())}"
    stack.api.trigger(DAG_ID, conf={"input_date": date}, run_id=run_id)

    def deferred_and_running():
        ti = stack.api.get(_ti_path(run_id, STEP_TASK))
        if ti["state"] != "deferred":
            return None
        steps = _cluster_of(stack, run_id)["steps"]
        return steps and steps[0]["state"] == "RUNNING"

    wait_until(deferred_and_running, 300, "the step to be RUNNING with its task deferred")
    stack.api.set_task_state(DAG_ID, run_id, STEP_TASK, "failed")

    cluster = wait_until(
        lambda: (c := _cluster_of(stack, run_id))["steps"][0]["state"] in {"CANCELLED", "INTERRUPTED"} and c,
        120,
        "the EMR step to be cancelled",
    )
    assert cluster["steps"][0]["runs"] == 1
    run = stack.api.wait_for_run(DAG_ID, run_id, timeout=300)
    assert run["state"] == "failed"
    wait_until(
        lambda: _cluster_of(stack, run_id)["state"] == "TERMINATED",
        120,
        "the teardown to terminate the cluster",
    )


def test_the_probable_cause_survives_killing_the_task_while_it_waits_for_late_logs(stack, rule):
    """Airflow can kill a task mid-diagnosis; the first diagnosis is already in XCom and in the log."""
    admin = stack.admin()
    before = admin.set_timings()
    # EMR uploads logs minutes late: here 100 simulated minutes (100 s at the e2e time scale), so the
    # diagnosis is still waiting for them, within its 120 s budget, when the task is killed.
    admin.set_timings(log_upload_delay=100)
    try:
        date = "2031-07-03"
        rule(name="e2e-fail-late-logs", match={"service": "emr", "arg": date}, outcome="fail", stderr=STDERR,
             reason="Step failed", duration_minutes=1)  # fmt: skip
        stack.api.wait_for_dags([DAG_ID])
        stack.api.unpause(DAG_ID)
        run_id = f"e2e_killed_diagnosis_{int(time.time())}"
        stack.api.trigger(DAG_ID, conf={"input_date": date}, run_id=run_id)

        def diagnosed_while_deferred():
            if stack.api.get(_ti_path(run_id, STEP_TASK))["state"] != "deferred":
                return None
            try:
                return stack.api.get(f"{_ti_path(run_id, STEP_TASK)}/xcomEntries/diagnosis", deserialize=True)
            except Exception:  # noqa: BLE001 - 404 until the triggerer pushed it
                return None

        first = wait_until(diagnosed_while_deferred, 300, "the triggerer's first diagnosis, task deferred")
        assert "No module named 'pandas'" in first["value"]["summary"]
        # the kill, while the triggerer still waits for the late logs
        stack.api.set_task_state(DAG_ID, run_id, STEP_TASK, "failed")
        run = stack.api.wait_for_run(DAG_ID, run_id, timeout=300)
        assert run["state"] == "failed"

        xcom = stack.api.get(f"{_ti_path(run_id, STEP_TASK)}/xcomEntries/diagnosis", deserialize=True)
        assert "No module named 'pandas'" in xcom["value"]["summary"]
        text = str(stack.api.get(f"{_ti_path(run_id, STEP_TASK)}/logs/1", full_content=True))
        assert "emr-dags: Probable cause" in text
        assert "No module named 'pandas'" in text
        # A task killed while deferred never resumes, so Airflow stored no extra links for the try; the
        # page the link would open answers anyway, from the XCom the triggerer pushed.
        from emr_dags.links.diagnosis import diagnosis_page_url

        url = diagnosis_page_url(dag_id=DAG_ID, run_id=run_id, task_id=STEP_TASK, try_number=1, base_url="")
        status, page = _get_from_api_server(stack, url)
        assert status == 200, page[:2000]
        assert "No module named 'pandas'" in page
    finally:
        admin.set_timings(log_upload_delay=before["log_upload_delay"])
