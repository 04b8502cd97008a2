"""The Serverless teardown decides ownership by the whole owner, never by the run id alone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emr_dags import tags as tagmod
from emr_dags.operators.serverless import EmrServerlessStopApplicationOperator

if TYPE_CHECKING:
    import pytest

RUN = "scheduled__2026-12-04T00:00:00+00:00"  # two DAGs on one schedule share it


class _TI:
    def __init__(self, dag_id: str, task_id: str, map_index: int = -1) -> None:
        self.dag_id, self.run_id, self.task_id, self.map_index = dag_id, RUN, task_id, map_index


class FakeApi:
    def __init__(self, app_tags: dict[str, str], runs: dict[str, dict[str, str]]) -> None:
        self.app = {"applicationId": "app1", "state": "STARTED", "tags": app_tags}
        self.runs = runs
        self.cancelled: list[str] = []
        self.stopped = self.deleted = False

    def get_application(self, application_id: str) -> dict[str, Any]:
        return self.app

    def live_job_run_ids(self, application_id: str) -> list[str]:
        return [r for r in self.runs if r not in self.cancelled]

    def get_job_run(self, application_id: str, run_id: str) -> dict[str, Any]:
        return {"tags": self.runs[run_id]}

    def cancel_job_run(self, application_id: str, run_id: str) -> None:
        self.cancelled.append(run_id)

    def stop_application(self, application_id: str) -> None:
        self.stopped = True
        self.app["state"] = "STOPPED"

    def delete_application(self, application_id: str) -> None:
        self.deleted = True


def _tags(dag_id: str, task_id: str, map_index: int = -1) -> dict[str, str]:
    return tagmod.ownership_tags(dag_id, RUN, task_id, map_index, group_id="s")


def _teardown(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, dag_id: str = "dag_a", map_index: int = -1
) -> dict[str, Any]:
    op = EmrServerlessStopApplicationOperator(
        task_id="s.stop_application",
        application_id="app1",
        owner_task_id="s.ensure_application",
        poll_interval=0.01,
    )
    monkeypatch.setattr(op, "api", lambda: api)
    return op.execute({"ti": _TI(dag_id, "s.stop_application", map_index)})  # type: ignore[arg-type]


def test_another_dags_running_job_with_the_same_run_id_is_left_alone_and_so_is_the_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = FakeApi(
        app_tags=_tags("dag_a", "s.ensure_application"),  # DAG A created the application
        runs={"a-left": _tags("dag_a", "s.spark"), "b-running": _tags("dag_b", "s.spark")},
    )
    result = _teardown(api, monkeypatch)
    assert api.cancelled == ["a-left"]
    assert not api.stopped
    assert not api.deleted
    assert result["action"] == "left-running"
    assert [r.split(" (")[0] for r in result["other_owners_live_runs"]] == ["b-running"]
    assert "dag dag_b" in result["other_owners_live_runs"][0]  # logged the same way


def test_the_creator_stops_and_deletes_the_app_when_no_other_owner_is_live(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = FakeApi(app_tags=_tags("dag_a", "s.ensure_application"), runs={"a-left": _tags("dag_a", "s.spark")})
    assert _teardown(api, monkeypatch)["action"] == "deleted"
    assert api.cancelled == ["a-left"]
    assert api.stopped
    assert api.deleted


def test_a_teardown_never_deletes_an_app_it_did_not_create(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(app_tags=_tags("dag_b", "s.ensure_application"), runs={})
    assert _teardown(api, monkeypatch)["action"] == "left-running"
    assert not api.deleted


def test_a_mapped_teardown_owns_only_its_own_map_index(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(
        app_tags=_tags("dag_a", "s.ensure_application", 1),
        runs={"mine": _tags("dag_a", "s.spark", 1), "sibling": _tags("dag_a", "s.spark", 2)},
    )
    assert _teardown(api, monkeypatch, map_index=1)["action"] == "left-running"
    assert api.cancelled == ["mine"]
    assert not api.deleted


def test_an_app_another_deployment_created_under_the_same_key_is_never_deleted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    theirs = {**_tags("dag_a", "s.ensure_application"), tagmod.DEPLOYMENT: "deployment-b"}
    api = FakeApi(app_tags=theirs, runs={})
    assert _teardown(api, monkeypatch)["action"] == "left-running"
    assert not api.stopped
    assert not api.deleted
