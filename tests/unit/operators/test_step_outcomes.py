from __future__ import annotations

from typing import Any

import pytest

from emr_dags.aws.errors import EmrStepFailed
from emr_dags.operators.emr import EmrStepOperator

STEP = {
    "Name": "s",
    "ActionOnFailure": "CONTINUE",
    "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["x"]},
}


class FakeApi:
    client = None

    def __init__(self) -> None:
        self.cancelled: list[list[str]] = []

    def cancel_steps(self, cluster_id: str, step_ids: list[str]) -> list[Any]:
        self.cancelled.append(step_ids)
        return []


def _op(monkeypatch: pytest.MonkeyPatch, api: FakeApi, **kw: Any) -> EmrStepOperator:
    op = EmrStepOperator(task_id="t", cluster_id="j-1", step=STEP, **kw)
    monkeypatch.setattr(op, "api", lambda: api)
    return op


def test_sync_kill_cancels_the_step(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi()
    op = _op(monkeypatch, api)
    op._step_id = "s-1"
    op.on_kill()
    assert api.cancelled == [["s-1"]]


def test_kill_before_the_step_exists_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi()
    _op(monkeypatch, api).on_kill()
    assert api.cancelled == []


def test_spent_wait_budget_cancels_the_step_and_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi()
    op = _op(monkeypatch, api)
    event = {"status": "timeout", "states": {"s-1": "RUNNING"}, "resources": {}}
    with pytest.raises(EmrStepFailed, match="wait budget"):
        op.execute_complete({"ti": None}, event)
    assert api.cancelled == [["s-1"]]


def test_a_failed_step_raises_with_the_aws_reason_even_if_diagnosis_breaks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import emr_dags.aws.clients as clients
    import emr_dags.diagnostics as diagnostics

    monkeypatch.setattr(clients, "client_for", lambda *a, **k: None)
    monkeypatch.setattr(diagnostics, "diagnose_emr_step", lambda **_: 1 / 0, raising=False)
    op = _op(monkeypatch, FakeApi())
    step = {
        "Id": "s-1",
        "Name": "s",
        "Status": {"State": "FAILED", "FailureDetails": {"Reason": "OOM", "Message": "heap"}},
    }
    event = {"status": "failed", "states": {"s-1": "FAILED"}, "resources": {"s-1": step}}
    with pytest.raises(EmrStepFailed, match="OOM heap") as err:
        op.execute_complete({"ti": None}, event)
    assert err.value.state == "FAILED"


def test_a_completed_step_returns_ids_state_and_timings(monkeypatch: pytest.MonkeyPatch) -> None:
    op = _op(monkeypatch, FakeApi())
    timeline = {"StartDateTime": "2026-01-01T00:00:00+00:00", "EndDateTime": "2026-01-01T00:01:30+00:00"}
    step = {"Id": "s-1", "Name": "s", "Status": {"State": "COMPLETED", "Timeline": timeline}}
    result = op.execute_complete(
        {"ti": None}, {"status": "success", "states": {"s-1": "COMPLETED"}, "resources": {"s-1": step}}
    )
    assert result["step_id"] == "s-1"
    assert result["duration_seconds"] == 90.0


def test_a_task_resumed_after_its_trigger_ended_it_reads_the_step_and_returns_its_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`airflow dags test` resumes the task even after a TaskSuccessEvent, passing only its state."""

    class Ti:
        map_index = -1

        def xcom_pull(self, task_ids: str, key: str, map_indexes: int) -> str:
            return {"step_id": "s-9"}[key]

    class Api(FakeApi):
        def describe_step(self, cluster_id: str, step_id: str) -> dict[str, Any]:
            return {"Id": step_id, "Name": "s", "Status": {"State": "COMPLETED", "Timeline": {}}}

    result = _op(monkeypatch, Api()).execute_complete({"ti": Ti()}, "success")
    assert (result["step_id"], result["state"], result["cluster_id"]) == ("s-9", "COMPLETED", "j-1")
