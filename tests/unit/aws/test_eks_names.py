"""EMR on EKS job runs keep the user's name whole; the key goes into tags and the client token."""

from __future__ import annotations

from typing import Any

import pytest
from fake_emr import FakePager

from emr_dags import tags as tagmod
from emr_dags.aws.eks import EksApi
from emr_dags.aws.naming import client_token
from emr_dags.errors import EmrConfigError

ROLE = "arn:aws:iam::123456789012:role/emr-eks-job"
KEY = tagmod.resource_key("daily_features", "scheduled__2026-12-04", "eks.features")
TAGS = tagmod.ownership_tags("daily_features", "scheduled__2026-12-04", "eks.features")


class FakeContainers(FakePager):
    def __init__(self, runs: list[dict[str, Any]] | None = None) -> None:
        self.runs = runs or []
        self.started: list[dict[str, Any]] = []

    def list_job_runs(self, **_: Any) -> dict[str, Any]:
        return {"jobRuns": self.runs}

    def start_job_run(self, **req: Any) -> dict[str, Any]:
        self.started.append(req)
        return {"id": f"jr-{len(self.started)}"}


def _request(name: str) -> dict[str, Any]:
    return {
        "virtualClusterId": "vc1",
        "name": name,
        "releaseLabel": "emr-7.5.0-latest",
        "executionRoleArn": ROLE,
        "jobDriver": {"sparkSubmitJobDriver": {"entryPoint": "s3://code/job.py"}},
    }


def test_a_64_character_job_name_is_sent_whole_and_valid() -> None:
    name = "daily-features-20261204-" + "x" * 40
    fake = FakeContainers()
    assert EksApi(fake).start_job_run(_request(name), KEY, TAGS) == ("jr-1", False)
    sent = fake.started[0]
    assert sent["name"] == name  # not "daily-features-20261 [emr-dags:...]"
    assert sent["tags"][tagmod.KEY] == KEY
    assert sent["clientToken"] == client_token(KEY, 0, TAGS[tagmod.DEPLOYMENT])


def test_a_retry_reattaches_by_key_tag_not_by_name() -> None:
    mine = {"id": "jr-1", "name": "features", "state": "RUNNING", "createdAt": "1", "tags": TAGS}
    other = {
        "id": "jr-0",
        "name": "features",
        "state": "RUNNING",
        "createdAt": "2",
        "tags": {tagmod.KEY: "x"},
    }
    fake = FakeContainers([other, mine])
    assert EksApi(fake).start_job_run(_request("features"), KEY, TAGS) == ("jr-1", True)
    assert fake.started == []


def test_another_deployments_run_with_the_same_key_is_not_reattached_nor_its_token_reused() -> None:
    theirs = {**TAGS, tagmod.DEPLOYMENT: "deployment-b"}
    other = {"id": "jr-0", "name": "features", "state": "RUNNING", "createdAt": "1", "tags": theirs}
    fake = FakeContainers([other])
    assert EksApi(fake).start_job_run(_request("features"), KEY, TAGS) == ("jr-1", False)
    assert fake.started[0]["clientToken"] != client_token(KEY, 0, "deployment-b")


def test_the_final_request_is_checked_against_the_eks_name_pattern() -> None:
    fake = FakeContainers()
    with pytest.raises(EmrConfigError, match=r"name"):
        EksApi(fake).start_job_run(_request("features [bad]"), KEY, TAGS)
    assert fake.started == []
