from __future__ import annotations

import httpx
import pytest

from emr_dags.ops.run_state import RestApiRunStates, RunStateUnavailable, TaskSdkRunStates


def _api(handler):
    return RestApiRunStates(
        "http://airflow:8080", username="admin", password="pw", transport=httpx.MockTransport(handler)
    )


def test_rest_source_logs_in_then_reads_the_run_state():
    seen = []

    def handler(request):
        seen.append((request.method, request.url.path, request.headers.get("authorization")))
        if request.url.path == "/auth/token":
            return httpx.Response(201, json={"access_token": "tok"})
        return httpx.Response(200, json={"state": "success"})

    assert _api(handler)("etl", "manual__2026-01-01T00:00:00+00:00") == "success"
    assert seen[0][:2] == ("POST", "/auth/token")
    assert seen[1][1] == "/api/v2/dags/etl/dagRuns/manual__2026-01-01T00:00:00+00:00"
    assert seen[1][2] == "Bearer tok"


def test_rest_source_404_means_no_such_run():
    assert (
        _api(
            lambda r: (
                httpx.Response(201, json={"access_token": "t"}) if r.method == "POST" else httpx.Response(404)
            )
        )("etl", "x")
        is None
    )


@pytest.mark.parametrize("status", [401, 403, 500])
def test_rest_source_errors_are_unavailable_not_missing(status):
    def handler(request):
        if request.method == "POST":
            return httpx.Response(201, json={"access_token": "t"})
        return httpx.Response(status)

    with pytest.raises(RunStateUnavailable):
        _api(handler)("etl", "x")


def test_rest_source_unreachable_is_unavailable():
    def handler(request):
        raise httpx.ConnectError("refused")

    with pytest.raises(RunStateUnavailable):
        RestApiRunStates("http://airflow:8080", token="t", transport=httpx.MockTransport(handler))("etl", "x")


def test_task_sdk_source(monkeypatch):
    from airflow.sdk.execution_time import task_runner

    monkeypatch.setattr(
        task_runner.RuntimeTaskInstance, "get_dagrun_state", staticmethod(lambda dag_id, run_id: "failed")
    )
    assert TaskSdkRunStates()("etl", "r") == "failed"

    def missing(dag_id, run_id):
        raise RuntimeError("DagRun not found")

    monkeypatch.setattr(task_runner.RuntimeTaskInstance, "get_dagrun_state", staticmethod(missing))
    assert TaskSdkRunStates()("etl", "r") is None

    def broken(dag_id, run_id):
        raise RuntimeError("connection reset")

    monkeypatch.setattr(task_runner.RuntimeTaskInstance, "get_dagrun_state", staticmethod(broken))
    with pytest.raises(RunStateUnavailable):
        TaskSdkRunStates()("etl", "r")
