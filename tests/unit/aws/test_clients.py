"""The one client factory: botocore's standard retry mode and short timeouts on every client,
overridable by the connection and the task, and a clear error when the endpoint is unreachable."""

from __future__ import annotations

import socket
import time

import pytest

from emr_dags.aws.clients import (
    DEFAULT_MAX_ATTEMPTS,
    AwsEndpointUnreachable,
    AwsTarget,
    client_for,
    merge_config,
)


@pytest.fixture(autouse=True)
def _creds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_every_client_gets_standard_retries_and_short_timeouts() -> None:
    client = client_for("emr", AwsTarget(aws_conn_id=None, region_name="eu-west-1"))
    cfg = client.meta.config
    assert cfg.retries == {"mode": "standard", "total_max_attempts": DEFAULT_MAX_ATTEMPTS}
    assert cfg.connect_timeout <= 10
    assert cfg.read_timeout <= 60
    assert client.meta.region_name == "eu-west-1"


def test_the_tasks_botocore_config_wins_and_keeps_the_retry_mode() -> None:
    cfg = merge_config({"connect_timeout": 3}, {"retries": {"max_attempts": 9}, "read_timeout": 7})
    assert cfg.retries == {"mode": "standard", "max_attempts": 9}  # botocore: 9 retries after the first
    assert (cfg.connect_timeout, cfg.read_timeout) == (3, 7)
    assert merge_config({"retries": {"mode": "adaptive"}}).retries["mode"] == "adaptive"


def test_an_explicit_endpoint_is_used_for_every_service() -> None:
    target = AwsTarget(aws_conn_id=None, endpoint_url="http://127.0.0.1:5999")
    for service in ("emr", "emr-serverless", "emr-containers", "s3", "logs"):
        assert client_for(service, target).meta.endpoint_url == "http://127.0.0.1:5999"


def test_an_unreachable_endpoint_fails_fast_naming_endpoint_and_connection() -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    target = AwsTarget(
        aws_conn_id=None, endpoint_url=endpoint, botocore_config={"retries": {"max_attempts": 2}}
    )
    started = time.monotonic()
    with pytest.raises(AwsEndpointUnreachable) as info:
        client_for("emr", target).list_clusters()
    assert time.monotonic() - started < 30
    assert endpoint in str(info.value)
    assert "boto3's default credentials" in str(info.value)
