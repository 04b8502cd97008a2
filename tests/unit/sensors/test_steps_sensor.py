from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import (
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    TaskDeferred,
)

from emr_dags.aws.errors import EmrJobRunFailed, EmrStepFailed
from emr_dags.sensors.eks import EmrEksJobsSensor
from emr_dags.sensors.emr import EmrStepsSensor
from emr_dags.sensors.serverless import EmrServerlessJobsSensor


class StubClient:
    """A boto3 client stand-in: serves fixed states, records every operation it is asked for."""

    def __init__(self, steps: dict[str, str] | None = None, runs: dict[str, str] | None = None) -> None:
        self.steps = steps or {}
        self.runs = runs or {}
        self.calls: list[str] = []

    def list_steps(self, **_: Any) -> dict[str, Any]:
        self.calls.append("ListSteps")
        return {"Steps": [{"Id": i, "Status": {"State": s}} for i, s in self.steps.items()]}

    def list_job_runs(self, **_: Any) -> dict[str, Any]:
        self.calls.append("ListJobRuns")
        return {"jobRuns": [{"id": i, "state": s} for i, s in self.runs.items()]}

    def get_paginator(self, operation: str) -> Any:  # one page: what the list method returns
        method = getattr(self, operation)

        class Paginator:
            def paginate(self, PaginationConfig: Any = None, **params: Any) -> Any:  # noqa: N803 - boto3's name
                yield method(**params)

        return Paginator()

    def __getattr__(self, operation: str) -> Any:  # cancel_steps, cancel_job_run, ...: recorded
        def call(**_: Any) -> dict[str, Any]:
            self.calls.append(operation)
            return {}

        return call


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> StubClient:
    import emr_dags.aws.clients as clients

    client = StubClient()
    monkeypatch.setattr(clients, "client_for", lambda kind, target: client)
    return client


class _TI:
    dag_id, run_id, task_id, map_index, try_number = "d", "r", "w", -1, 1

    def get_first_reschedule_date(self, context: Any) -> None:
        return None


CTX: dict[str, Any] = {"ti": _TI()}


def _steps_sensor(**kwargs: Any) -> EmrStepsSensor:
    return EmrStepsSensor(task_id="w", cluster_id="j-1", step_ids=["a", "b"], deferrable=False, **kwargs)


def test_the_sensors_are_airflow_sensors() -> None:
    for cls in (EmrStepsSensor, EmrServerlessJobsSensor, EmrEksJobsSensor):
        assert issubclass(cls, BaseSensorOperator)
    sensor = _steps_sensor(mode="reschedule", poke_interval=5, timeout=60, exponential_backoff=True)
    assert (sensor.mode, sensor.poke_interval, sensor.timeout) == ("reschedule", 5.0, 60.0)
    assert sensor.exponential_backoff
    assert sensor.reschedule


def test_poke_makes_one_listing_call_and_returns_the_states_when_all_completed(stub: StubClient) -> None:
    stub.steps = {"a": "COMPLETED", "b": "RUNNING"}
    sensor = _steps_sensor()
    assert sensor.poke(CTX) is False
    assert stub.calls == ["ListSteps"]
    stub.steps["b"] = "COMPLETED"
    done = sensor.poke(CTX)
    assert isinstance(done, PokeReturnValue)
    assert done.xcom_value == {"a": "COMPLETED", "b": "COMPLETED"}
    assert stub.calls == ["ListSteps", "ListSteps"]


def test_poke_mode_returns_the_states_as_the_task_result(stub: StubClient) -> None:
    stub.steps = {"a": "COMPLETED", "b": "COMPLETED"}
    assert _steps_sensor(mode="poke").execute(CTX) == {"a": "COMPLETED", "b": "COMPLETED"}


def test_reschedule_mode_frees_the_worker_while_steps_run(stub: StubClient) -> None:
    stub.steps = {"a": "RUNNING", "b": "PENDING"}
    with pytest.raises(AirflowRescheduleException):
        _steps_sensor(mode="reschedule", poke_interval=60).execute(CTX)
    assert stub.calls == ["ListSteps"]


def test_fail_fast_fails_on_the_first_failed_step_and_names_it(stub: StubClient) -> None:
    stub.steps = {"a": "FAILED", "b": "RUNNING"}
    with pytest.raises(EmrStepFailed, match="a"):
        _steps_sensor().poke(CTX)
    assert _steps_sensor(fail_fast=False).poke(CTX) is False


def test_soft_fail_skips_on_a_failed_step_and_on_timeout(stub: StubClient) -> None:
    stub.steps = {"a": "FAILED", "b": "COMPLETED"}
    with pytest.raises(AirflowSkipException):
        _steps_sensor(soft_fail=True).execute(CTX)
    stub.steps = {"a": "RUNNING", "b": "RUNNING"}
    with pytest.raises(AirflowSkipException):
        _steps_sensor(soft_fail=True, timeout=0, poke_interval=0).execute(CTX)
    with pytest.raises(AirflowSensorTimeout):
        _steps_sensor(timeout=0, poke_interval=0).execute(CTX)


def test_deferrable_checks_once_then_defers_to_a_trigger_that_never_cancels(stub: StubClient) -> None:
    stub.steps = {"a": "RUNNING", "b": "COMPLETED"}
    sensor = EmrStepsSensor(
        task_id="w",
        cluster_id="j-1",
        step_ids=["a", "b"],
        deferrable=True,
        poke_interval=7,
        timeout=600,
        verify=False,
        botocore_config={"retries": {"mode": "adaptive"}},
    )
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(CTX)
    trigger = deferred.value.trigger
    assert stub.calls == ["ListSteps"]
    assert trigger.cancel_on_kill is False
    assert trigger.poll_interval == 7
    assert (trigger.verify, trigger.botocore_config) == (False, {"retries": {"mode": "adaptive"}})
    assert dt.timedelta(seconds=590) < deferred.value.timeout  # the sensor's timeout, plus grace


def test_deferrable_sensor_already_done_does_not_defer(stub: StubClient) -> None:
    stub.steps = {"a": "COMPLETED", "b": "COMPLETED"}
    sensor = EmrStepsSensor(task_id="w", cluster_id="j-1", step_ids=["a", "b"], deferrable=True)
    assert sensor.execute(CTX) == {"a": "COMPLETED", "b": "COMPLETED"}


def test_a_killed_sensor_issues_no_cancel_call(stub: StubClient, monkeypatch: pytest.MonkeyPatch) -> None:
    stub.steps = {"a": "RUNNING", "b": "PENDING"}
    stub.runs = {"r": "RUNNING"}
    sensors = [
        _steps_sensor(),
        EmrServerlessJobsSensor(task_id="s", application_id="app", job_run_ids=["r"], deferrable=False),
        EmrEksJobsSensor(task_id="e", virtual_cluster_id="vc", job_ids=["r"], deferrable=False),
    ]
    for sensor in sensors:
        sensor.poke(CTX)
        sensor.on_kill()  # the worker path
        trigger = sensor.make_trigger(sensor._ids())
        # the triggerer path: the task is no longer deferred (killed), so on_kill would cancel if allowed
        monkeypatch.setattr(type(trigger), "current_task_state", lambda self: "failed")
        asyncio.run(trigger.on_kill())
    assert not [c for c in stub.calls if "cancel" in c.lower()], stub.calls


def test_execute_complete_verdicts() -> None:
    sensor = EmrStepsSensor(task_id="w", cluster_id="j-1", step_ids=["a", "b"])
    states = {"a": "COMPLETED", "b": "COMPLETED"}
    assert sensor.execute_complete({}, {"status": "success", "states": states}) == states
    with pytest.raises(EmrStepFailed, match="b"):
        sensor.execute_complete({}, {"status": "failed", "states": {"a": "COMPLETED", "b": "FAILED"}})
    with pytest.raises(AirflowSensorTimeout):
        sensor.execute_complete({}, {"status": "timeout", "states": {"a": "RUNNING"}})
    with pytest.raises(EmrStepFailed, match="not found"):
        sensor.execute_complete({}, {"status": "error", "states": {}, "message": "not found: ['b']"})


def test_a_single_templated_step_id_is_accepted() -> None:
    assert EmrStepsSensor(task_id="w", cluster_id="j", step_ids="s-1")._ids() == ["s-1"]


def test_serverless_and_eks_sensors_fail_on_any_bad_run() -> None:
    sls = EmrServerlessJobsSensor(task_id="w", application_id="app", job_run_ids=["a"])
    assert sls.execute_complete({}, {"status": "success", "states": {"a": "SUCCESS"}}) == {"a": "SUCCESS"}
    with pytest.raises(EmrJobRunFailed):
        sls.execute_complete({}, {"status": "failed", "states": {"a": "FAILED"}})
    eks = EmrEksJobsSensor(task_id="w", virtual_cluster_id="vc", job_ids="j")
    assert eks._ids() == ["j"]
    with pytest.raises(EmrJobRunFailed):
        eks.execute_complete({}, {"status": "failed", "states": {"j": "FAILED"}})
