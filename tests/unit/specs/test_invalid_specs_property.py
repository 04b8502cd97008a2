"""Property: every invalid spec raises EmrConfigError naming the right field, and nothing else.

Hypothesis draws from several families of mistakes analysts make (wrong types, unknown
applications, impossible fleet/Spot combinations, negative capacities, malformed S3 URIs, bad
release labels, groups and fleets together, over-long names, one shell string for a list) and
builds the spec. ``pytest.raises(EmrConfigError)`` lets any other exception type fail the test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emr_dags.errors import EmrConfigError
from emr_dags.specs import (
    Application,
    BootstrapAction,
    ClusterSpec,
    EbsVolume,
    EksJobSpec,
    FleetInstanceType,
    InstanceFleet,
    InstanceGroup,
    ManagedScaling,
    MaximumCapacity,
    Monitoring,
    ServerlessApplicationSpec,
    ServerlessSparkJob,
    SparkStep,
    SpotProvisioning,
    WorkerCapacity,
)
from emr_dags.specs._common import RELEASE_LABEL, S3_URI, is_templated
from emr_dags.specs.eks import EKS_RELEASE_LABEL

Case = tuple[Callable[[], object], str]
ROLE = "arn:aws:iam::123456789012:role/job"
GROUPS = (
    InstanceGroup(role="MASTER", instance_type="m5.xlarge"),
    InstanceGroup(role="CORE", instance_type="m5.xlarge"),
)
ONE_TYPE = (FleetInstanceType(instance_type="m5.xlarge"),)
FLEETS = (InstanceFleet(role="MASTER", instance_types=ONE_TYPE, target_on_demand=1),)


def cluster(**changes: Any) -> ClusterSpec:
    kwargs: dict[str, Any] = {
        "name": "x",
        "release_label": "emr-7.5.0",
        "log_bucket": "acme-logs",
        "instance_groups": GROUPS,
    }
    kwargs.update(changes)
    return ClusterSpec(**kwargs)


def serverless_job(**changes: Any) -> ServerlessSparkJob:
    kwargs: dict[str, Any] = {"name": "j", "execution_role_arn": ROLE, "entry_point": "s3://acme-code/a.py"}
    kwargs.update(changes)
    return ServerlessSparkJob(**kwargs)


def eks_job(**changes: Any) -> EksJobSpec:
    kwargs: dict[str, Any] = {
        "virtual_cluster_id": "abc123",
        "name": "j",
        "release_label": "emr-7.5.0-latest",
        "execution_role_arn": ROLE,
        "entry_point": "s3://acme-code/a.py",
    }
    kwargs.update(changes)
    return EksJobSpec(**kwargs)


def case(factory: Callable[..., object], field: str, **kwargs: Any) -> Case:
    return (lambda: factory(**kwargs)), field


plain_text = st.text(max_size=40).filter(lambda s: not is_templated(s))
not_int = st.one_of(
    st.text(max_size=5),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
not_str = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.none(),
    st.lists(st.text(max_size=3), max_size=2),
    st.booleans(),
)
not_bool = st.one_of(st.integers(), st.text(max_size=5), st.none())

# --- families of mistakes --------------------------------------------------------------------

wrong_types = st.one_of(
    st.builds(lambda v: case(cluster, "name", name=v), not_str),
    st.builds(lambda v: case(cluster, "step_concurrency", step_concurrency=v), not_int),
    st.builds(lambda v: case(cluster, "idle_timeout_seconds", idle_timeout_seconds=v), not_int),
    st.builds(lambda v: case(cluster, "keep_alive", keep_alive=v), not_bool),
    st.builds(lambda v: case(cluster, "visible_to_all_users", visible_to_all_users=v), not_bool),
    st.builds(
        lambda v: case(cluster, "subnet_ids", subnet_ids=v),
        st.one_of(
            st.integers(), st.none(), st.dictionaries(st.text(max_size=3), st.text(max_size=3), min_size=1)
        ),
    ),
    st.builds(
        lambda v: case(cluster, "tags", tags=v),
        st.one_of(st.integers(), st.lists(st.text(max_size=3), min_size=1)),
    ),
    st.builds(
        lambda v: case(
            SparkStep, "executor_cores", name="s", entry_point="s3://acme-code/a.py", executor_cores=v
        ),
        st.one_of(st.text(max_size=3), st.floats(allow_nan=False), st.booleans()),
    ),
    st.builds(
        lambda v: case(serverless_job, "execution_timeout_minutes", execution_timeout_minutes=v), not_int
    ),
)

unknown_applications = st.builds(
    lambda v: case(cluster, "applications", applications=("Spark", v)),
    st.text(min_size=1, max_size=20).filter(
        lambda s: (
            s.strip().casefold()
            not in {a.value.casefold() for a in Application} | {a.name.casefold() for a in Application}
        )
    ),
)

impossible_fleets = st.one_of(
    # Spot launch specification but no Spot capacity asked for.
    st.builds(
        lambda od: case(
            InstanceFleet,
            "spot",
            role="CORE",
            instance_types=ONE_TYPE,
            target_on_demand=od,
            target_spot=0,
            spot=SpotProvisioning(),
        ),
        st.integers(1, 50),
    ),
    # A primary fleet must be exactly 1 (or 3) units of one market.
    st.tuples(st.integers(0, 5), st.integers(0, 5))
    .filter(lambda t: t not in {(1, 0), (0, 1), (3, 0), (0, 3)})
    .map(
        lambda t: case(
            InstanceFleet,
            "target_on_demand",
            role="MASTER",
            instance_types=ONE_TYPE,
            target_on_demand=t[0],
            target_spot=t[1],
        )
    ),
    # A Spot bid on a fleet with no Spot target.
    st.builds(
        lambda pct: case(
            InstanceFleet,
            "instance_types",
            role="CORE",
            instance_types=(
                FleetInstanceType(instance_type="m5.xlarge", bid_price_as_percentage_of_on_demand=pct),
            ),
            target_on_demand=2,
        ),
        st.floats(1, 100),
    ),
    # Spot timeout outside 5..1440 minutes.
    st.builds(
        lambda m: case(SpotProvisioning, "timeout_minutes", timeout_minutes=m),
        st.one_of(st.integers(max_value=4), st.integers(min_value=1441)),
    ),
    # An empty core fleet.
    st.just(case(InstanceFleet, "target_on_demand", role="CORE", instance_types=ONE_TYPE)),
)


negative = st.integers(max_value=0)
negative_capacities = st.one_of(
    st.builds(
        lambda n: case(InstanceGroup, "count", role="CORE", instance_type="m5.xlarge", count=n), negative
    ),
    st.builds(lambda n: case(EbsVolume, "size_gb", size_gb=n), negative),
    st.builds(lambda n: case(WorkerCapacity, "count", count=n), negative),
    st.builds(lambda n: case(MaximumCapacity, "cpu", cpu=n, memory_gb=10), negative),
    st.builds(lambda n: case(ManagedScaling, "minimum_units", minimum_units=n, maximum_units=10), negative),
    st.builds(
        lambda lo, hi: case(ManagedScaling, "maximum_units", minimum_units=lo, maximum_units=hi),
        st.integers(2, 1000),
        st.integers(1, 1),
    ),
    st.builds(lambda n: case(eks_job, "max_attempts", max_attempts=n), negative),
)

bad_s3 = plain_text.filter(lambda s: not S3_URI.match(s))
malformed_s3 = st.one_of(
    st.builds(lambda v: case(cluster, "log_uri", log_bucket=None, log_uri=v), bad_s3),
    st.builds(lambda v: case(Monitoring, "s3_log_uri", s3_log_uri=v), bad_s3),
    st.builds(
        lambda v: case(BootstrapAction, "path", name="b", path=v),
        bad_s3.filter(lambda s: not s.startswith(("/", "file:/"))),
    ),
    st.builds(
        lambda v: case(SparkStep, "entry_point", name="s", entry_point=v),
        bad_s3.filter(lambda s: not s.startswith(("/", "file:/", "local:/", "hdfs://"))),
    ),
)

bad_release_labels = st.one_of(
    st.builds(
        lambda v: case(cluster, "release_label", release_label=v),
        plain_text.filter(lambda s: not RELEASE_LABEL.match(s)),
    ),
    st.builds(
        lambda v: case(ServerlessApplicationSpec, "release_label", name="app", release_label=v),
        plain_text.filter(lambda s: not RELEASE_LABEL.match(s)),
    ),
    st.builds(
        lambda v: case(eks_job, "release_label", release_label=v),
        plain_text.filter(lambda s: not EKS_RELEASE_LABEL.match(s)),
    ),
    st.from_regex(re.compile(r"emr-\d{1,2}(\.\d{1,2})?", re.ASCII), fullmatch=True).map(
        lambda v: case(cluster, "release_label", release_label=v)
    ),
)

conflicting_groups_and_fleets = st.builds(
    lambda extra_task: case(
        cluster,
        "instance_fleets",
        instance_fleets=FLEETS
        + ((InstanceFleet(role="TASK", instance_types=ONE_TYPE, target_spot=2),) if extra_task else ()),
    ),
    st.booleans(),
)

over_long_names = st.one_of(
    st.builds(lambda n: case(cluster, "name", name="n" * n), st.integers(257, 3000)),
    st.builds(
        lambda n: case(SparkStep, "name", name="s" * n, entry_point="s3://acme-code/a.py"),
        st.integers(257, 3000),
    ),
    st.builds(
        lambda n: case(ServerlessApplicationSpec, "name", name="a" * n, release_label="emr-7.5.0"),
        st.integers(65, 500),
    ),
    st.builds(lambda n: case(eks_job, "name", name="e" * n), st.integers(65, 500)),
)

shell_strings = st.builds(
    lambda words: case(SparkStep, "args", name="s", entry_point="s3://acme-code/a.py", args=" ".join(words)),
    st.lists(st.text(alphabet="abc-=/", min_size=1, max_size=6), min_size=2, max_size=5),
)

INVALID = st.one_of(
    wrong_types,
    unknown_applications,
    impossible_fleets,
    negative_capacities,
    malformed_s3,
    bad_release_labels,
    conflicting_groups_and_fleets,
    over_long_names,
    shell_strings,
)


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(INVALID)
def test_every_invalid_spec_raises_emr_config_error_naming_the_field(bad: Case) -> None:
    factory, field = bad
    with pytest.raises(EmrConfigError) as exc:
        factory()
    assert exc.value.field == field, str(exc.value)
    assert f".{field}:" in str(exc.value)
