"""A failed task's Probable cause survives Airflow killing the task while it collects logs.

Airflow 3.3 can kill a task that just resumed from deferral ("Server indicated the task shouldn't be
running anymore"). The diagnosis must not depend on the task living through the log wait: the trigger
diagnoses (and pushes to XCom) before it resumes the task, and a task that diagnoses itself pushes a
first diagnosis at once, before it waits for late logs.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

import emr_dags.aws.clients as clients
from emr_dags import diagnostics
from emr_dags.aws.errors import EmrStepFailed
from emr_dags.diagnostics.model import BLOCK_START
from emr_dags.operators import _base
from emr_dags.operators.emr import EmrStepOperator
from emr_dags.triggers.emr import EmrStepsTrigger

if TYPE_CHECKING:
    from collections.abc import Iterator

BUCKET = "acme-emr-logs"
CLUSTER = "j-3V1QX8L2K9ABC"
STEP = "s-1P4ZK2W9EXAMP"
CAUSE = "ModuleNotFoundError: No module named 'pandas'"
FAILED_STEP = {
    "Id": STEP,
    "Name": "sessionize",
    "Status": {
        "State": "FAILED",
        "FailureDetails": {
            "Reason": "Unknown error.",
            "Message": CAUSE,
            "LogFile": f"s3://{BUCKET}/logs/{CLUSTER}/steps/{STEP}/stderr.gz",
        },
    },
}


class Killed(BaseException):
    """What Airflow raises in a task it kills (``AirflowTaskTerminated`` is a BaseException too)."""


class FakeEmr:
    """DescribeCluster/DescribeStep of a cluster whose step failed; its logs are not uploaded (yet)."""

    def describe_cluster(self, ClusterId: str) -> dict[str, Any]:  # noqa: N803 - boto3's spelling
        return {
            "Cluster": {"Id": ClusterId, "LogUri": f"s3://{BUCKET}/logs/", "Status": {"State": "WAITING"}}
        }

    def describe_step(self, ClusterId: str, StepId: str) -> dict[str, Any]:  # noqa: N803
        return {"Step": FAILED_STEP}


class FakeApi:
    client = FakeEmr()


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        monkeypatch.setattr(clients, "client_for", lambda kind, target: client if kind == "s3" else FakeEmr())
        yield client


@pytest.fixture
def pushed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    got: list[tuple[str, Any]] = []

    class Ti:
        def xcom_push(self, key: str, value: Any) -> None:
            got.append((key, value))

    monkeypatch.setattr("airflow.sdk.get_current_context", lambda: {"ti": Ti()})
    return got


def _killed_during_the_log_wait(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The real collector, except that the task is killed the moment it would wait for late logs."""
    real = diagnostics.diagnose_emr_step
    budgets: list[float] = []

    def kill(_seconds: float) -> None:
        raise Killed("Server indicated the task shouldn't be running anymore")

    def collect(**kwargs: Any) -> Any:
        budgets.append(kwargs["wait_seconds"])
        return real(**kwargs, sleep=kill)

    monkeypatch.setattr(diagnostics, "diagnose_emr_step", collect)
    return budgets


def _step_operator() -> EmrStepOperator:
    step = {
        "Name": "sessionize",
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["spark-submit", "s.py"]},
    }
    return EmrStepOperator(task_id="t", cluster_id=CLUSTER, step=step)


def test_a_kill_while_waiting_for_late_logs_leaves_the_first_diagnosis_in_xcom_and_log(
    monkeypatch, s3, pushed, caplog
):
    caplog.set_level(logging.INFO, logger=_base.__name__)
    budgets = _killed_during_the_log_wait(monkeypatch)
    with pytest.raises(Killed):  # the kill is not swallowed
        _step_operator()._finish(FakeApi(), STEP, "failed", FAILED_STEP, None)  # type: ignore[arg-type]

    assert budgets == [0, _base.DIAGNOSIS_WAIT_SECONDS]  # first at once, then the refinement that was killed
    assert [key for key, _ in pushed] == ["diagnosis"]
    first = pushed[0][1]
    assert "No module named 'pandas'" in first["summary"]
    assert set(first) >= {"category", "found_failure", "summary", "decisive_line", "evidence", "missing"}
    task_log = "\n".join(r.getMessage() for r in caplog.records)
    assert BLOCK_START in task_log
    assert "No module named 'pandas'" in task_log


def test_a_cluster_without_log_uri_is_diagnosed_from_failure_details_without_a_wait(monkeypatch, s3, pushed):
    budgets = _killed_during_the_log_wait(monkeypatch)
    monkeypatch.setattr(FakeEmr, "describe_cluster", lambda self, ClusterId: {"Cluster": {"Id": ClusterId}})
    with pytest.raises(EmrStepFailed):
        _step_operator()._finish(FakeApi(), STEP, "failed", FAILED_STEP, None)  # type: ignore[arg-type]
    # no LogUri: nothing to list, so the refinement never sleeps (the killing sleep was not reached)
    assert budgets[0] == 0
    assert "No module named 'pandas'" in dict(pushed)["diagnosis"]["summary"]


class FakeTi:
    dag_id, task_id, run_id, map_index = "d", "t", "r", -1


def test_the_trigger_diagnoses_pushes_to_xcom_and_carries_the_diagnosis_in_its_event(monkeypatch, s3):
    from airflow.sdk.execution_time import xcom

    stored: list[dict[str, Any]] = []
    monkeypatch.setattr(xcom.XCom, "set", lambda **kw: stored.append(kw))
    monkeypatch.setattr(_base, "DIAGNOSIS_WAIT_SECONDS", 0.0)  # the refinement: no late logs to wait for
    trigger = EmrStepsTrigger(cluster_id=CLUSTER, step_ids=[STEP], poll_interval=0.01, diagnose=True)
    trigger.task_instance = FakeTi()  # type: ignore[assignment]
    trigger.make_fetch = lambda: lambda ids: {i: FAILED_STEP for i in ids}  # type: ignore[method-assign]

    async def first_event() -> dict[str, Any]:
        async for event in trigger.run():
            return dict(event.payload)
        raise AssertionError

    event = asyncio.run(first_event())
    assert event["status"] == "failed"
    assert "No module named 'pandas'" in event["diagnosis"]["summary"]
    assert BLOCK_START in event["diagnosis_block"]
    # pushed from the triggerer, while the task is still deferred: a kill after resuming cannot lose it
    assert stored
    assert {(s["key"], s["dag_id"], s["task_id"], s["run_id"], s["map_index"]) for s in stored} == {
        ("diagnosis", "d", "t", "r", -1)
    }
    assert stored[-1]["value"] == event["diagnosis"]
    classpath, kwargs = trigger.serialize()
    assert kwargs["diagnose"] is True


def test_a_resumed_task_logs_and_pushes_the_carried_diagnosis_without_collecting(
    monkeypatch, s3, pushed, caplog
):
    caplog.set_level(logging.INFO, logger=_base.__name__)
    _killed_during_the_log_wait(monkeypatch)
    monkeypatch.setattr(diagnostics, "diagnose_emr_step", lambda **kw: pytest.fail("collected again"))
    carried = {
        "category": "python_module_missing",
        "summary": f"Python module missing: {CAUSE}",
        "missing": [],
    }
    event = {
        "status": "failed",
        "states": {STEP: "FAILED"},
        "resources": {STEP: FAILED_STEP},
        "diagnosis": carried,
        "diagnosis_block": f"{BLOCK_START}\n{CAUSE}",
    }
    with pytest.raises(EmrStepFailed):
        _step_operator()._finish(FakeApi(), STEP, "failed", FAILED_STEP, None, event)  # type: ignore[arg-type]
    assert pushed == [("diagnosis", carried)]
    assert f"{BLOCK_START}\n{CAUSE}" in "\n".join(r.getMessage() for r in caplog.records)


def test_operators_ask_their_triggers_to_diagnose() -> None:
    import inspect

    from emr_dags.operators import eks, emr, serverless

    for module in (emr, serverless, eks):
        assert "diagnose=True" in inspect.getsource(module), module.__name__


def test_the_triggers_diagnosis_thread_keeps_the_log_context_that_routes_lines_to_the_task_log():
    import contextvars

    routed = contextvars.ContextVar("trigger_id", default=None)
    seen: list[object] = []

    class Probe(EmrStepsTrigger):
        def diagnose_failure(self, resource_id: str) -> dict[str, Any]:
            seen.append(routed.get())
            return {"diagnosis": {"category": "x"}}

    trigger = Probe(cluster_id=CLUSTER, step_ids=[STEP], poll_interval=0.01, diagnose=True)

    async def main() -> dict[str, Any]:
        routed.set(42)  # as the triggerer's bind_contextvars(trigger_id=...) does
        return await trigger._diagnosis([STEP], {STEP: "FAILED"})

    assert asyncio.run(main()) == {"diagnosis": {"category": "x"}}
    assert seen == [42]
