"""Ops tests run against the session emulator (see tests/integration/conftest.py) over HTTP.

Each test starts from an empty emulator (``admin.reset()``) with simulated time slowed down, so
nothing finishes on its own while the reaper is deciding: every state change is the reaper's doing.
"""

from __future__ import annotations

import pytest

from emr_dags.aws.clients import AwsClients, AwsTarget

REGION = "us-east-1"
SLOW = 30.0  # real seconds per simulated minute


@pytest.fixture
def clients(admin, endpoint_url, monkeypatch):
    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(k, v)
    admin.reset()
    admin.set_time_scale(SLOW)
    yield AwsClients(AwsTarget(aws_conn_id=None, region_name=REGION, endpoint_url=endpoint_url))
    admin.reset()
