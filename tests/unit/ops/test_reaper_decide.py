from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emr_dags import tags
from emr_dags.ops.inventory import Kind, ManagedResource
from emr_dags.ops.reaper import Action, plan
from emr_dags.ops.run_state import MappingRunStates, RunStateUnavailable

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def _res(state="WAITING", active=True, **tag_overrides):
    t = tags.ownership_tags("etl", "run1", "cluster.create")
    t.update(tag_overrides)
    t = {k: v for k, v in t.items() if v is not None}
    return ManagedResource(
        kind=Kind.CLUSTER, id="j-1", state=state, active=active, region="us-east-1", tags=t
    )


def _one(resource, states=None, **kw):
    return plan([resource], MappingRunStates(states or {}), now=NOW, **kw)[0]


@pytest.mark.parametrize("run_state", ["success", "failed"])
def test_active_resource_of_a_finished_run_is_reaped(run_state):
    d = _one(_res(), {("etl", "run1"): run_state})
    assert d.action is Action.REAP
    assert run_state in d.reason
    assert d.verb == "terminate"


@pytest.mark.parametrize("run_state", ["running", "queued"])
def test_resource_of_a_live_run_is_kept(run_state):
    assert _one(_res(), {("etl", "run1"): run_state}).action is Action.KEEP


def test_untagged_resource_is_never_reaped_even_past_deadline():
    r = _res(**{tags.MANAGED: None, tags.DEADLINE: (NOW - timedelta(days=1)).isoformat()})
    d = _one(r, {("etl", "run1"): "success"})
    assert d.action is Action.KEEP
    assert "not tagged" in d.reason


def test_managed_tag_must_be_exactly_true():
    assert _one(_res(**{tags.MANAGED: "false"}), {("etl", "run1"): "success"}).action is Action.KEEP


def test_passed_deadline_reaps_even_while_the_run_is_running():
    r = _res(**{tags.DEADLINE: "2026-01-01T11:00:00Z"})
    d = _one(r, {("etl", "run1"): "running"})
    assert d.action is Action.REAP
    assert "deadline" in d.reason


def test_future_deadline_does_not_reap():
    r = _res(**{tags.DEADLINE: "2026-01-01T13:00:00+00:00"})
    assert _one(r, {("etl", "run1"): "running"}).action is Action.KEEP


def test_inactive_resource_is_left_alone():
    assert _one(_res(state="TERMINATED", active=False), {("etl", "run1"): "success"}).action is Action.KEEP


def test_missing_run_is_reported_but_reaped_only_on_request():
    d = _one(_res())
    assert d.action is Action.KEEP
    assert "not found" in d.reason
    assert _one(_res(), reap_missing=True).action is Action.REAP


def test_unavailable_state_source_keeps_everything():
    def broken(dag_id, run_id):
        raise RunStateUnavailable("connection refused")

    d = plan([_res()], broken, now=NOW)[0]
    assert d.action is Action.KEEP
    assert "unknown" in d.reason


def test_state_source_is_asked_once_per_run():
    calls = []

    def source(dag_id, run_id):
        calls.append((dag_id, run_id))
        return "success"

    plan([_res(), _res(), _res()], source, now=NOW)
    assert calls == [("etl", "run1")]
