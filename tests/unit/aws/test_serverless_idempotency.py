from __future__ import annotations

from typing import Any

import pytest
from fake_emr import FakePager

from emr_dags import tags as tagmod
from emr_dags.aws.serverless import ServerlessApi
from emr_dags.errors import EmrConfigError


class FakeServerless(FakePager):
    def __init__(self, runs: list[dict[str, Any]], apps: list[dict[str, Any]] | None = None) -> None:
        self.runs = runs
        self.apps = apps or []
        self.started: list[dict[str, Any]] = []

    def list_job_runs(self, applicationId: str, maxResults: int, **_: Any) -> dict[str, Any]:
        return {"jobRuns": [{k: v for k, v in r.items() if k != "tags"} for r in self.runs]}

    def get_job_run(self, applicationId: str, jobRunId: str) -> dict[str, Any]:
        return {"jobRun": next(r for r in self.runs if r["id"] == jobRunId)}

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


REQ = {
    "executionRoleArn": "arn:aws:iam::123456789012:role/r",
    "jobDriver": {"sparkSubmit": {"entryPoint": "s3://code/job.py"}},
    "name": "spark",
}


def test_start_reattaches_to_a_running_run_with_the_key() -> None:
    fake = FakeServerless(
        [{"id": "r1", "name": "spark", "state": "RUNNING", "createdAt": "1", "tags": {tagmod.KEY: "k"}}]
    )
    assert ServerlessApi(fake).start_job_run("app", REQ, "k", {}) == ("r1", True)
    assert fake.started == []


def test_a_run_of_the_same_name_with_another_key_is_not_reattached() -> None:
    other = {"id": "r1", "name": "spark", "state": "RUNNING", "createdAt": "1", "tags": {tagmod.KEY: "x"}}
    fake = FakeServerless([other])
    assert ServerlessApi(fake).start_job_run("app", REQ, "k", {}) == ("new-1", False)
    assert fake.started[0]["name"] == "spark"  # the user's name, whole
    assert fake.started[0]["clientToken"] == "k-0"


def test_the_final_start_job_run_request_is_validated_before_it_is_sent() -> None:
    fake = FakeServerless([])
    with pytest.raises(EmrConfigError, match="tags"):
        ServerlessApi(fake).start_job_run("app", REQ, "k", {"bad key!": "v"})
    assert fake.started == []


def test_after_a_failed_run_the_new_run_gets_a_new_client_token() -> None:
    fake = FakeServerless(
        [{"id": "r1", "name": "spark", "state": "FAILED", "createdAt": "1", "tags": {tagmod.KEY: "k"}}]
    )
    run_id, reattached = ServerlessApi(fake).start_job_run("app", REQ, "k", {"t": "v"})
    assert not reattached
    assert fake.started[0]["clientToken"] == "k-1"
    assert fake.started[0]["tags"] == {"t": "v"}


def test_ensure_reuses_an_app_by_name_and_reports_ownership_by_tag() -> None:
    fake = FakeServerless([], apps=[{"id": "a1", "name": "shared", "tags": {tagmod.KEY: "someone-else"}}])
    assert ServerlessApi(fake).ensure_application({"name": "shared"}, "k", {}) == ("a1", False)
    mine = {"name": "mine", "releaseLabel": "emr-7.5.0", "type": "SPARK"}
    assert ServerlessApi(fake).ensure_application(mine, "k", {tagmod.KEY: "k"}) == (
        "created",
        True,
    )
