"""Small builders shared by the spec tests."""

from __future__ import annotations

import pytest

from emr_dags.specs import ClusterSpec, InstanceGroup


@pytest.fixture
def groups() -> tuple[InstanceGroup, ...]:
    return (
        InstanceGroup(role="MASTER", instance_type="m5.xlarge"),
        InstanceGroup(role="CORE", instance_type="m5.xlarge", count=2),
    )


@pytest.fixture
def cluster(groups: tuple[InstanceGroup, ...]) -> ClusterSpec:
    return ClusterSpec(
        name="nightly", release_label="emr-7.5.0", log_bucket="acme-emr-logs", instance_groups=groups
    )
