from __future__ import annotations

from emr_dags.bench.chaos import FAIL_MARKER, FAIL_RULE, FAULT_KINDS, Auditor, RunResult, plan_runs
from emr_dags.emulator.rules import RunInfo, Service, parse_rules


def test_a_short_plan_covers_every_fault_kind_once():
    plans = plan_runs(len(FAULT_KINDS), seed=7)
    assert sorted(p.fault for p in plans) == sorted(FAULT_KINDS)


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
