from __future__ import annotations

from typing import Any

from emr_dags import tags as tagmod
from emr_dags.aws.naming import with_marker
from emr_dags.aws.serverless import ServerlessApi


class FakeServerless:
    def __init__(self, runs: list[dict[str, Any]], apps: list[dict[str, Any]] | None = None) -> None:
        self.runs = runs
        self.apps = apps or []
        self.started: list[dict[str, Any]] = []

    def list_job_runs(self, applicationId: str, maxResults: int, **_: Any) -> dict[str, Any]:
        return {"jobRuns": self.runs}

    def start_job_run(self, **req: Any) -> dict[str, Any]:
        self.started.append(req)
        return {"jobRunId": f"new-{len(self.started)}"}

    def list_applications(self, **_: Any) -> dict[str, Any]:
        return {"applications": self.apps}

    def get_application(self, applicationId: str) -> dict[str, Any]:
        app = next(a for a in self.apps if a["id"] == applicationId)
        return {"application": {"applicationId": app["id"], "tags": app.get("tags", {})}}

    def create_application(self, **req: Any) -> dict[str, Any]:
        self.apps.append({"id": "created", "name": req["name"], "tags": req["tags"]})
        return {"applicationId": "created"}


REQ = {"executionRoleArn": "arn:aws:iam::123456789012:role/r", "jobDriver": {}, "name": "spark"}


def test_start_reattaches_to_a_running_run_with_the_key() -> None:
    fake = FakeServerless(
        [{"id": "r1", "name": with_marker("spark", "k"), "state": "RUNNING", "createdAt": "1"}]
    )
    assert ServerlessApi(fake).start_job_run("app", REQ, "k", {}) == ("r1", True)
    assert fake.started == []


def test_after_a_failed_run_the_new_run_gets_a_new_client_token() -> None:
    fake = FakeServerless(
        [{"id": "r1", "name": with_marker("spark", "k"), "state": "FAILED", "createdAt": "1"}]
    )
    run_id, reattached = ServerlessApi(fake).start_job_run("app", REQ, "k", {"t": "v"})
    assert not reattached
    assert fake.started[0]["clientToken"] == "k-1"
    assert fake.started[0]["tags"] == {"t": "v"}


def test_ensure_reuses_an_app_by_name_and_reports_ownership_by_tag() -> None:
    fake = FakeServerless([], apps=[{"id": "a1", "name": "shared", "tags": {tagmod.KEY: "someone-else"}}])
    assert ServerlessApi(fake).ensure_application({"name": "shared"}, "k", {}) == ("a1", False)
    assert ServerlessApi(fake).ensure_application({"name": "mine"}, "k", {tagmod.KEY: "k"}) == (
        "created",
        True,
    )
