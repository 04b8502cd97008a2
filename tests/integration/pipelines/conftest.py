"""Pipelines tier: emr-dags operators and triggers against the session emulator, via an Airflow connection."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def aws_conn(endpoint_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``aws_default`` pointing at the emulator, the way the local stack configures it."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT",
        json.dumps({"conn_type": "aws", "extra": {"endpoint_url": endpoint_url, "region_name": "us-east-1"}}),
    )
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return "aws_default"


@pytest.fixture(autouse=True)
def _fresh_pollers() -> Iterator[None]:
    from emr_dags.triggers._poller import active_pollers

    yield
    active_pollers().clear()


@pytest.fixture(autouse=True)
def _deferrable_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """``[operators] default_deferrable = true``, as the local stack's compose file sets it: tasks built
    without ``deferrable=`` defer (tests of the worker path pass ``deferrable=False``)."""
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "true")
