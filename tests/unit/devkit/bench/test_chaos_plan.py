from __future__ import annotations

import pytest

from emr_dags_devkit.bench.chaos import (
    EC2_FAULT_KINDS,
    FAIL_MARKER,
    FAIL_RULE,
    FAULT_KINDS,
    SLOW_JOBS_RULES,
    Auditor,
    RunResult,
    job_audit,
    plan_runs,
)
from emr_dags_devkit.emulator.rules import RunInfo, Service, parse_rules


def test_a_short_plan_covers_every_fault_kind_once():
    plans = plan_runs(len(FAULT_KINDS), seed=7)
    assert sorted(p.fault for p in plans) == sorted(FAULT_KINDS)
    assert {"kill_serverless_start", "kill_eks_start"} <= {p.fault for p in plans}


def test_a_long_plan_round_robins_every_kind_equally_with_both_kill_timings():
    plans = plan_runs(4 * len(FAULT_KINDS), seed=7)
    for kind in FAULT_KINDS:
        mine = [p for p in plans if p.fault == kind]
        assert len(mine) == 4
        assert {p.at_resource for p in mine} == {True, False}


def test_job_kills_run_their_own_dags_and_the_stock_twin_gets_only_ec2_kinds():
    by_fault = {p.fault: p.dag_id for p in plan_runs(len(FAULT_KINDS), seed=7)}
    assert by_fault["kill_serverless_start"] == "chaos_serverless_pipeline"
    assert by_fault["kill_eks_start"] == "chaos_eks_job"
    assert by_fault["kill_create"] == "chaos_emr_pipeline"
    stock = plan_runs(len(EC2_FAULT_KINDS), seed=7, flavour="stock")
    assert sorted(p.fault for p in stock) == sorted(EC2_FAULT_KINDS)
    assert {p.dag_id for p in stock} == {"chaos_stock_pipeline"}


@pytest.mark.parametrize(("service", "section"), [(Service.SERVERLESS, "serverless"), (Service.EKS, "eks")])
def test_chaos_job_runs_are_slowed_so_the_kill_lands_while_they_run(service, section):
    rules = parse_rules(SLOW_JOBS_RULES)
    args = ("s3://b/job.py", "--job", "spark_job", "--run", "chaos-7-00001-009-kill_eks_start")
    assert any(r.matches(RunInfo(service=service, name="spark_job", args=args)) for r in rules)
    assert not any(r.matches(RunInfo(service=Service.EMR, name="step_01", args=args)) for r in rules)


def test_the_plan_is_repeatable_for_a_seed():
    first = [(p.fault, p.at_resource, p.delay) for p in plan_runs(20, seed=3)]
    again = [(p.fault, p.at_resource, p.delay) for p in plan_runs(20, seed=3)]
    assert first == again
    assert first != [(p.fault, p.at_resource, p.delay) for p in plan_runs(20, seed=4)]


def test_only_failing_step_runs_expect_failure_and_match_the_fail_rule():
    rule = parse_rules([FAIL_RULE])[0]
    for plan in plan_runs(18, seed=1):
        args = ("spark-submit", "s3://b/job.py", "--step", "step_01", "--run", plan.run_id)
        hit = rule.matches(RunInfo(service=Service.EMR, name="step_01", args=args))
        assert hit == (plan.fault == "failing_step") == (FAIL_MARKER in plan.run_id)
        assert plan.expected == ("failed" if plan.fault == "failing_step" else "success")


class FakeEmr:
    def __init__(self, clusters, steps):
        self.clusters = clusters
        self._steps = steps

    def get_paginator(self, name):
        emr = self

        class P:
            def paginate(self, **kw):
                if name == "list_clusters":
                    return [{"Clusters": [{"Id": c["Id"], "Status": c["Status"]} for c in emr.clusters]}]
                return [{"Steps": emr._steps[kw["ClusterId"]]}]

        return P()

    def describe_cluster(self, ClusterId):
        return {"Cluster": next(c for c in self.clusters if c["Id"] == ClusterId)}


def _cluster(cid, run_id, state="TERMINATED"):
    tags = [{"Key": "emr-dags:dag-id", "Value": "d"}, {"Key": "emr-dags:run-id", "Value": run_id}]
    return {"Id": cid, "Status": {"State": state}, "Tags": tags}


def _step(name, state):
    return {"Name": name, "Status": {"State": state}}


def _result(expected="success", state="success"):
    return RunResult(
        run_id="r1",
        dag_id="d",
        flavour="emr-dags",
        fault="kill_submit",
        injected=True,
        detail="",
        state=state,
        expected=expected,
        seconds=1.0,
    )


def test_audit_counts_a_second_live_copy_of_a_step_but_not_a_retry_after_failure():
    emr = FakeEmr(
        [_cluster("j-1", "r1")],
        {
            "j-1": [
                _step("a [k1]", "COMPLETED"),
                _step("a [k1]", "COMPLETED"),
                _step("b [k2]", "FAILED"),
                _step("b [k2]", "COMPLETED"),
            ]
        },
    )
    result = Auditor(emr).audit(_result(), settle=0)
    assert result.duplicate_steps == 1
    assert result.duplicate_clusters == 0
    assert result.orphans == 0


def test_audit_counts_duplicate_clusters_orphans_and_wrong_outcomes():
    emr = FakeEmr(
        [_cluster("j-1", "r1"), _cluster("j-2", "r1", state="WAITING"), _cluster("j-3", "other")],
        {"j-1": [], "j-2": []},
    )
    result = Auditor(emr).audit(_result(expected="failed"), settle=0)
    assert result.duplicate_clusters == 1
    assert result.orphans == 1
    assert result.wrong_outcome
    assert len(result.findings) == 3


def _job(jid, state, run_id="r1", task="serverless.spark_job", dag_id="chaos_serverless_pipeline"):
    tags = {"emr-dags:dag-id": dag_id, "emr-dags:run-id": run_id, "emr-dags:task-id": task}
    return {"id": jid, "state": state, "tags": tags}


def _app(aid, state, run_id="r1"):
    tags = {
        "emr-dags:dag-id": "chaos_serverless_pipeline",
        "emr-dags:run-id": run_id,
        "emr-dags:task-id": "serverless.ensure_application",
    }
    return {"id": aid, "name": f"chaos-{run_id}", "state": state, "tags": tags}


def _state(serverless_runs=(), apps=(), eks_runs=()):
    return {
        "clusters": [],
        "serverless": {"applications": list(apps), "job_runs": list(serverless_runs)},
        "eks": {"virtual_clusters": [], "job_runs": list(eks_runs)},
    }


def _job_result(dag_id="chaos_serverless_pipeline", fault="kill_serverless_start", state="success"):
    return RunResult(
        run_id="r1",
        dag_id=dag_id,
        flavour="emr-dags",
        fault=fault,
        injected=True,
        detail="",
        state=state,
        expected="success",
        seconds=1.0,
    )


def test_job_audit_passes_one_successful_run_and_a_deleted_application():
    state = _state(
        [_job("jr-1", "SUCCESS"), _job("jr-9", "RUNNING", run_id="other")], [_app("a-1", "TERMINATED")]
    )
    result = job_audit(state, "serverless", _job_result())
    assert result.findings == []
    assert result.job_runs == ["jr-1"]
    assert (result.duplicates, result.orphans, result.wrong_outcome) == (0, 0, False)


def test_job_audit_counts_a_second_job_run_of_one_task_even_after_a_failure():
    state = _state([_job("jr-1", "FAILED"), _job("jr-2", "SUCCESS")], [_app("a-1", "STOPPED")])
    result = job_audit(state, "serverless", _job_result())
    assert result.duplicate_jobs == 1
    assert result.wrong_jobs == 1  # jr-1 did not succeed
    assert result.wrong_outcome
    assert any("started 2 job runs" in f for f in result.findings)


def test_job_audit_counts_live_job_runs_and_a_running_application_as_orphans():
    state = _state([_job("jr-1", "RUNNING")], [_app("a-1", "STARTED"), _app("a-2", "TERMINATED")])
    result = job_audit(state, "serverless", _job_result())
    assert result.orphans == 2
    assert result.duplicate_jobs == 1  # two applications for one run
    assert len(result.findings) == 3


def test_job_audit_of_an_eks_run_wants_completed_and_no_run_is_a_finding():
    done = _state(eks_runs=[_job("j-1", "COMPLETED", task="eks.spark_job", dag_id="chaos_eks_job")])
    ok = job_audit(done, "eks", _job_result(dag_id="chaos_eks_job", fault="kill_eks_start"))
    assert ok.findings == []
    pending = _state(eks_runs=[_job("j-1", "SUBMITTED", task="eks.spark_job", dag_id="chaos_eks_job")])
    assert job_audit(pending, "eks", _job_result(dag_id="chaos_eks_job")).orphans == 1
    missing = job_audit(_state(), "eks", _job_result(dag_id="chaos_eks_job"))
    assert missing.findings == ["no job run found for the run"]


def test_auditor_sends_job_dags_to_the_emulator_state_and_waits_for_nothing_when_settled():
    state = _state([_job("jr-1", "SUCCESS")], [_app("a-1", "TERMINATED")])
    calls = []

    def fetch():
        calls.append(1)
        return state

    result = Auditor(FakeEmr([], {}), state=fetch).audit(_job_result(state="failed"), settle=0)
    assert calls == [1]
    assert result.findings == ["run ended failed, expected success"]
    assert result.wrong_outcome


def test_an_interrupted_chaos_run_drops_the_queued_runs_instead_of_waiting_for_them(monkeypatch):
    """Ctrl-C or SIGTERM (SystemExit) must reach the caller, whose stack teardown then runs, while
    runs are still queued: it used to wait for every planned run first (hours in --long)."""
    import contextlib
    import threading
    import types

    from emr_dags_devkit.bench import chaos

    started: list[str] = []
    release = threading.Event()

    def fake_run_one(target, auditor, plan, **kwargs):
        started.append(plan.run_id)
        if len(started) > 1:
            release.wait(10)  # a run in flight: ends when the stack goes away
        return RunResult(
            plan.run_id, plan.dag_id, plan.flavour, plan.fault, True, "d", "success", "success", 1.0
        )

    def interrupt(line: str) -> None:
        raise SystemExit(143)

    monkeypatch.setattr(chaos, "run_one", fake_run_one)
    monkeypatch.setattr(chaos, "chaos_environment", lambda target: contextlib.nullcontext())
    api = types.SimpleNamespace(wait_for_dags=lambda *a, **k: None, unpause=lambda dag_id: None)
    target = types.SimpleNamespace(api=api, emr=lambda: None, admin=lambda: types.SimpleNamespace(state=dict))
    with pytest.raises(SystemExit):
        chaos.run_chaos(target, runs=50, concurrency=2, echo=interrupt)
    release.set()
    assert len(started) <= 3, f"{len(started)} of 50 runs started after the interrupt"
