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


def test_a_passed_deadline_tag_is_ignored_while_the_dag_run_is_live():
    r = _res(**{tags.DEADLINE: "2026-01-01T11:00:00Z"})
    d = _one(r, {("etl", "run1"): "running"})
    assert d.action is Action.KEEP
    assert "running" in d.reason


def test_a_passed_deadline_reaps_when_airflow_does_not_know_the_run():
    d = _one(_res(**{tags.DEADLINE: "2026-01-01T11:00:00Z"}), {})
    assert d.action is Action.REAP
    assert "deadline" in d.reason


def test_a_passed_deadline_does_not_reap_when_the_run_state_cannot_be_read():
    def down(dag_id, run_id):
        raise RunStateUnavailable("API down")

    r = _res(**{tags.DEADLINE: "2026-01-01T11:00:00Z"})
    assert plan([r], down, now=NOW)[0].action is Action.KEEP


@pytest.mark.parametrize("reap_missing", [False, True])
def test_another_deployments_resource_is_never_reaped(reap_missing):
    r = _res(**{tags.DEPLOYMENT: "deployment-b", tags.DEADLINE: "2026-01-01T11:00:00Z"})
    d = _one(r, {}, reap_missing=reap_missing, deployment="deployment-a")
    assert d.action is Action.KEEP
    assert "deployment-b" in d.reason


def test_a_resource_without_a_deployment_tag_is_never_reaped():
    d = _one(_res(**{tags.DEPLOYMENT: None}), {("etl", "run1"): "success"})
    assert d.action is Action.KEEP
    assert tags.DEPLOYMENT in d.reason


def test_copied_tags_whose_key_does_not_match_the_dag_run_task_tags_are_never_reaped():
    copied = _res(**{tags.RUN_ID: "run2"})  # key still hashes run1: tags copied onto another resource
    d = _one(copied, {("etl", "run2"): "success"}, reap_missing=True)
    assert d.action is Action.KEEP
    assert "does not match" in d.reason


def test_future_deadline_does_not_reap():
    r = _res(**{tags.DEADLINE: "2026-01-01T13:00:00+00:00"})
    assert _one(r, {("etl", "run1"): "running"}).action is Action.KEEP
    assert _one(r, {}).action is Action.KEEP


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
