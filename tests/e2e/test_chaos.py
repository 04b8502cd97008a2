"""The chaos suite's CI form: faulted pipeline runs on the session stack, then an AWS-side audit.

One run per fault kind (task SIGKILL at create/submit/wait/teardown of an EMR on EC2 pipeline and
right after StartJobRun of an EMR Serverless and an EMR on EKS job, triggerer crash, scheduler
restart, throttling, 5xx, a scripted failing step), all in flight together. The long form is
`emr-dags chaos --long` (>= 100 runs). Everything the suite changes is put back: emulator rules and
faults, and the restarted scheduler/triggerer must be healthy for the tests that follow.
"""

from __future__ import annotations

import time

import pytest

from emr_dags_devkit.bench.chaos import FAULT_KINDS, JOB_FAULT_KINDS, ChaosTarget, run_chaos

pytestmark = pytest.mark.e2e

SEED = 7


@pytest.fixture(scope="module")
def chaos_report(stack):
    admin = stack.admin()
    rules_before = [r.get("name") for r in admin.rules()]
    faults_before = admin.faults().get("rules")
    target = ChaosTarget(stack=stack.stack, api=stack.api, emulator_url=stack.emulator_url)
    report = run_chaos(
        target, runs=len(FAULT_KINDS), seed=SEED, concurrency=len(FAULT_KINDS), run_timeout=600
    )
    print("\n" + report.line())
    return report, target, admin, rules_before, faults_before


def _findings(report) -> list[str]:
    return [f"{r.run_id} [{r.detail}]: {'; '.join(r.findings)}" for r in report.results if r.findings]


def test_the_runs_were_really_faulted(chaos_report):
    # A kill can miss its window on a loaded machine (the task finished first); most must land.
    report, *_ = chaos_report
    missed = [(r.fault, r.detail) for r in report.results if not r.injected]
    assert len(report.results) == len(FAULT_KINDS)
    assert len(missed) <= 2, f"faults not delivered: {missed}"


def test_no_run_created_a_duplicate_cluster_or_ran_a_step_twice(chaos_report):
    report, *_ = chaos_report
    assert report.summary()["duplicates"] == 0, _findings(report)


def test_no_cluster_is_left_running_after_its_run_ended(chaos_report):
    report, *_ = chaos_report
    assert report.summary()["orphans"] == 0, _findings(report)


def test_each_serverless_and_eks_run_started_exactly_one_job_run(chaos_report):
    report, *_ = chaos_report
    jobs = {r.fault: r.job_runs for r in report.results if r.fault in JOB_FAULT_KINDS}
    assert sorted(jobs) == sorted(JOB_FAULT_KINDS)
    assert all(len(ids) == 1 for ids in jobs.values()), (jobs, _findings(report))


def test_every_run_ends_in_the_right_state(chaos_report):
    report, *_ = chaos_report
    assert report.summary()["wrong_outcomes"] == 0, _findings(report)
    assert {r.state for r in report.results if r.fault == "failing_step"} == {"failed"}


def test_the_stack_is_restored_for_the_tests_that_follow(chaos_report):
    _, target, admin, rules_before, faults_before = chaos_report
    assert [r.get("name") for r in admin.rules()] == rules_before
    assert admin.faults().get("rules") == faults_before
    deadline = time.monotonic() + 90
    while not target.healthy():
        assert time.monotonic() < deadline, f"stack not healthy after chaos: {target.stack.monitor_health()}"
        time.sleep(2)
    status = target.stack.status()
    assert status["healthy"], status["components"]
