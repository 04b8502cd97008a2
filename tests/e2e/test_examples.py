"""Every example DAG in dags/ succeeds when triggered, in `airflow dags test`, and in a 3-date backfill.

Each run is audited on the AWS side through the emulator's state: exactly one resource per creating
task, every step or job ran once and succeeded, and nothing the run created is still running.
"""

from __future__ import annotations

import os
import time

import pytest
from e2e_helpers import owned

from emr_dags import tags

# Part of `make test` (about 10 minutes on 2 cores); EMR_DAGS_SKIP_E2E_EXAMPLES=1 leaves it out of a
# quick local run. Two findings made it red before: a dev cluster's 30-minute idle timeout was 30
# real seconds at time scale 1 (the local stack now makes idle timeouts count real time), and
# `airflow dags test` beside the live triggerer made Airflow call on_kill on the triggerer's copy of
# the test run's trigger, terminating the cluster the test run was using (on_kill now reads the
# task's state first).
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        bool(os.environ.get("EMR_DAGS_SKIP_E2E_EXAMPLES")), reason="EMR_DAGS_SKIP_E2E_EXAMPLES set"
    ),
]

EXAMPLES = [
    "emr_nightly_analytics",
    "emr_multi_stage_pipeline",
    "emr_serverless_jobs",
    "emr_on_eks_job",
    "emr_trino_query",
    "emr_what_if",
]
DONE_CLUSTER = {"TERMINATED"}
LIVE_JOB = {"SUBMITTED", "PENDING", "SCHEDULED", "RUNNING", "CANCELLING", "CANCEL_PENDING"}


def _audit(stack, dag_id: str, run_id: str, timeout: float = 60.0) -> None:
    """AWS-side truth for one successful DAG run (waits briefly for teardown to settle)."""
    admin = stack.admin()
    deadline = time.monotonic() + timeout
    while True:
        state = admin.state()
        clusters = owned(state["clusters"], dag_id, run_id)
        jobs = owned(state["serverless"]["job_runs"], dag_id, run_id) + owned(
            state["eks"]["job_runs"], dag_id, run_id
        )
        settled = all(c["state"] in DONE_CLUSTER for c in clusters) and not [
            j for j in jobs if j["state"] in LIVE_JOB
        ]
        if settled or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert clusters or jobs, f"{dag_id} {run_id}: nothing tagged as created by this run"
    per_task = [c["tags"][tags.TASK_ID] for c in clusters] + [j["tags"][tags.TASK_ID] for j in jobs]
    assert len(per_task) == len(set(per_task)), f"{dag_id} {run_id}: duplicate resources per task {per_task}"
    for cluster in clusters:
        assert cluster["state"] in DONE_CLUSTER, f"{dag_id}: cluster {cluster['id']} left {cluster['state']}"
        for step in cluster["steps"]:
            assert step["state"] == "COMPLETED", f"{dag_id}: step {step['name']} {step['state']}"
            assert step["runs"] <= 1, f"{dag_id}: step {step['name']} ran {step['runs']} times"
    for job in jobs:  # Serverless ends SUCCESS, EMR on EKS ends COMPLETED
        assert job["state"] in {"SUCCESS", "COMPLETED"}, f"{dag_id}: job {job['name']} {job['state']}"


def _wait_runs(
    stack, want: dict[tuple[str, str], None] | list[tuple[str, str]], timeout: float = 900.0
) -> dict:
    deadline = time.monotonic() + timeout
    pending = dict.fromkeys(want)
    finished: dict[tuple[str, str], str] = {}
    while pending:
        for dag_id, run_id in list(pending):
            run = stack.api.dag_run(dag_id, run_id)
            if run["state"] in {"success", "failed"}:
                finished[(dag_id, run_id)] = run["state"]
                pending.pop((dag_id, run_id))
        assert time.monotonic() < deadline, f"still running: {sorted(pending)}"
        time.sleep(3)
    return finished


@pytest.fixture(scope="module")
def examples(stack):
    """Every mode, in two concurrent waves (keeps the tier within CI's budget): `airflow dags test` of
    each example at once, then a CLI trigger and a 3-date CLI backfill of every example at once."""
    import concurrent.futures

    stack.api.wait_for_dags(EXAMPLES, timeout=180)
    # `dags test` on paused DAGs: the in-process run must be the only executor of its tasks. The
    # backfills are created first, while the scheduler is quiet: creating one on a busy SQLite
    # metadata DB can fail with "database is locked".
    for dag_id in EXAMPLES:
        stack.airflow("dags", "pause", dag_id)
        stack.backfill(dag_id, "2026-04-01", "2026-04-03")
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(EXAMPLES)) as pool:
        outputs = pool.map(
            lambda d: stack.airflow("dags", "test", d, "2026-05-01", timeout=900, check=False), EXAMPLES
        )
        tested = dict(zip(EXAMPLES, outputs, strict=True))
    stamp = int(time.time())
    triggered = []
    for dag_id in EXAMPLES:
        stack.api.unpause(dag_id)
        run_id = f"e2e_examples_{stamp}"
        stack.airflow("dags", "trigger", dag_id, "--run-id", run_id)
        triggered.append((dag_id, run_id))
    return {"stack": stack, "triggered": triggered, "tested": tested}


def test_every_example_succeeds_when_triggered_from_the_cli(examples):
    stack, runs = examples["stack"], examples["triggered"]
    outcome = _wait_runs(stack, runs)
    assert outcome == dict.fromkeys(runs, "success")
    for dag_id, run_id in runs:
        _audit(stack, dag_id, run_id)


def test_every_example_backfills_three_dates_from_the_cli(examples):
    stack = examples["stack"]
    deadline = time.monotonic() + 900
    runs: list[tuple[str, str]] = []
    for dag_id in EXAMPLES:
        while True:
            found = [
                r for r in stack.api.dag_runs(dag_id) if (r.get("logical_date") or "").startswith("2026-04-0")
            ]
            if len(found) == 3:
                break
            assert time.monotonic() < deadline, f"{dag_id}: backfill created {len(found)} of 3 runs"
            time.sleep(2)
        assert {r["run_type"] for r in found} == {"backfill"}
        runs += [(dag_id, r["dag_run_id"]) for r in found]
    outcome = _wait_runs(stack, runs)
    assert outcome == dict.fromkeys(runs, "success")
    for dag_id, run_id in runs:
        _audit(stack, dag_id, run_id)


@pytest.mark.parametrize("dag_id", EXAMPLES)
def test_example_succeeds_in_dags_test(examples, dag_id):
    stack, out = examples["stack"], examples["tested"][dag_id]
    runs = [r for r in stack.api.dag_runs(dag_id) if (r.get("logical_date") or "").startswith("2026-05-01")]
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert [r["state"] for r in runs] == ["success"], out.stdout[-3000:]
    _audit(stack, dag_id, runs[0]["dag_run_id"])
