"""AWS for ops tests: the project emulator over HTTP when it is available, else moto in-process."""

from __future__ import annotations

import os

import pytest

from emr_dags.ops.clients import AwsClients

REGION = "us-east-1"


@pytest.fixture
def aws_env(monkeypatch):
    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(k, v)


@pytest.fixture
def clients(aws_env):
    """Clients against the emulator (EMR_DAGS_OPS_USE_EMULATOR=1 and it imports) or moto's mock_aws."""
    if os.environ.get("EMR_DAGS_OPS_USE_EMULATOR") == "1":
        from emr_dags.emulator import start_emulator

        handle = start_emulator(port=0)
        try:
            yield AwsClients(region=REGION, endpoint_url=handle.endpoint_url)
        finally:
            handle.stop()
        return
    from moto import mock_aws

    with mock_aws():
        yield AwsClients(region=REGION, endpoint_url=None)
