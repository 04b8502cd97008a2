"""Properties over junk: any value in any field of any spec either builds or raises EmrConfigError,
and whatever a spec accepts renders a request that botocore's own model accepts.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emr_dags.errors import EmrConfigError
from emr_dags.specs import (
    BootstrapAction,
    ClusterSpec,
    CommandStep,
    Configuration,
    EbsVolume,
    EksJobSpec,
    FleetInstanceType,
    FlinkStep,
    HiveStep,
    InstanceFleet,
    InstanceGroup,
    InstanceRole,
    ManagedScaling,
    MaximumCapacity,
    Monitoring,
    NetworkConfig,
    OnDemandProvisioning,
    PrestoStep,
    S3DistCpStep,
    ServerlessApplicationSpec,
    ServerlessHiveJob,
    ServerlessSparkJob,
    ShellScriptStep,
    SparkResources,
    SparkStep,
    SpotProvisioning,
    Step,
    TrinoStep,
    WorkerCapacity,
    add_job_flow_steps_request,
    validate_request,
)
from emr_dags.specs._common import is_templated

if TYPE_CHECKING:
    from collections.abc import Callable

ROLE = "arn:aws:iam::123456789012:role/job"
GROUPS = (InstanceGroup(role="MASTER", instance_type="m5.xlarge"),)
CLUSTER = {"name": "x", "release_label": "emr-7.5.0", "log_bucket": "acme-logs", "instance_groups": GROUPS}
EKS = {
    "virtual_cluster_id": "abc123",
    "name": "j",
    "release_label": "emr-7.5.0-latest",
    "execution_role_arn": ROLE,
    "entry_point": "s3://acme-code/a.py",
}
BASE: dict[type, dict[str, Any]] = {
    ClusterSpec: CLUSTER,
    InstanceGroup: {"role": "CORE", "instance_type": "m5.xlarge"},
    InstanceFleet: {
        "role": "CORE",
        "instance_types": (FleetInstanceType(instance_type="m5.xlarge"),),
        "target_on_demand": 1,
    },
    FleetInstanceType: {"instance_type": "m5.xlarge"},
    SpotProvisioning: {},
    OnDemandProvisioning: {},
    EbsVolume: {"size_gb": 10},
    ManagedScaling: {"minimum_units": 1, "maximum_units": 2},
    BootstrapAction: {"name": "b", "path": "s3://acme-code/b.sh"},
    Configuration: {"classification": "spark"},
    SparkStep: {"name": "s", "entry_point": "s3://acme-code/a.py"},
    HiveStep: {"name": "h", "query": "select 1"},
    TrinoStep: {"name": "t", "query": "select 1"},
    PrestoStep: {"name": "t", "query": "select 1"},
    FlinkStep: {"name": "f", "jar": "s3://acme-code/a.jar"},
    ShellScriptStep: {"name": "s", "script": "s3://acme-code/a.sh", "region": "eu-west-1"},
    CommandStep: {"name": "c", "argv": ["ls"]},
    S3DistCpStep: {"name": "d", "src": "s3://acme-a/x", "dest": "s3://acme-b/y"},
    ServerlessApplicationSpec: {"name": "a", "release_label": "emr-7.5.0"},
    WorkerCapacity: {"count": 1},
    MaximumCapacity: {"cpu": 64, "memory_gb": 256},
    NetworkConfig: {"subnet_ids": ("subnet-0abc1234",)},
    ServerlessSparkJob: {"name": "j", "execution_role_arn": ROLE, "entry_point": "s3://acme-code/a.py"},
    ServerlessHiveJob: {"name": "j", "execution_role_arn": ROLE, "query": "s3://acme-code/q.sql"},
    EksJobSpec: EKS,
    SparkResources: {},
    Monitoring: {"s3_log_uri": "s3://acme-logs/x/"},
}

# Parts are checked inside the request of the spec that carries them.
PARENT: dict[type, Callable[[Any], object]] = {
    InstanceGroup: lambda o: ClusterSpec(
        **{**CLUSTER, "instance_groups": GROUPS + ((o,) if o.role is not InstanceRole.MASTER else ())}
    ),
    InstanceFleet: lambda o: ClusterSpec(
        **{
            **CLUSTER,
            "instance_groups": (),
            "instance_fleets": (
                InstanceFleet(
                    role="MASTER",
                    instance_types=(FleetInstanceType(instance_type="m5.xlarge"),),
                    target_on_demand=1,
                ),
                o,
            ),
        }
    ),
    FleetInstanceType: lambda o: ClusterSpec(
        **{
            **CLUSTER,
            "instance_groups": (),
            "instance_fleets": (InstanceFleet(role="MASTER", instance_types=(o,), target_on_demand=1),),
        }
    ),
    EbsVolume: lambda o: ClusterSpec(
        **{**CLUSTER, "instance_groups": (InstanceGroup(role="MASTER", instance_type="m5.xlarge", ebs=(o,)),)}
    ),
    BootstrapAction: lambda o: ClusterSpec(**{**CLUSTER, "bootstrap_actions": (o,)}),
    Configuration: lambda o: ClusterSpec(**{**CLUSTER, "configurations": (o,)}),
    ManagedScaling: lambda o: ClusterSpec(**{**CLUSTER, "managed_scaling": o}),
    WorkerCapacity: lambda o: ServerlessApplicationSpec(
        name="a", release_label="emr-7.5.0", initial_capacity={"DRIVER": o}
    ),
    MaximumCapacity: lambda o: ServerlessApplicationSpec(
        name="a", release_label="emr-7.5.0", maximum_capacity=o
    ),
    NetworkConfig: lambda o: ServerlessApplicationSpec(name="a", release_label="emr-7.5.0", network=o),
    SparkResources: lambda o: EksJobSpec(**{**EKS, "resources": o}),
    Monitoring: lambda o: EksJobSpec(**{**EKS, "monitoring": o}),
}

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(),
    st.text(max_size=30),
    st.binary(max_size=5),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=5)), max_size=3),
    st.dictionaries(
        st.one_of(st.text(max_size=5), st.integers(), st.none()),
        st.one_of(st.none(), st.text(max_size=5), st.floats()),
        max_size=3,
    ),
    st.sampled_from(
        [
            object(),
            float("nan"),
            "s3://",
            " ",
            "emr-7.5.0",
            "a b c",
            "m5.xlarge",
            "subnet-0abc1234",
            "4g",
            "SPOT",
        ]
    ),
)
SPECS = sorted(BASE, key=lambda c: c.__name__)
field_and_junk = st.sampled_from(SPECS).flatmap(
    lambda cls: st.tuples(st.just(cls), st.sampled_from([f.name for f in dataclasses.fields(cls)]), junk)
)


def _request(obj: object) -> tuple[str, str, dict[str, Any]] | None:
    if isinstance(obj, ClusterSpec):
        return "emr", "RunJobFlow", obj.to_run_job_flow()
    if isinstance(obj, Step):
        return "emr", "AddJobFlowSteps", add_job_flow_steps_request("j-1", [obj])
    if isinstance(obj, ServerlessApplicationSpec):
        return "emr-serverless", "CreateApplication", obj.to_create_application()
    if isinstance(obj, ServerlessSparkJob | ServerlessHiveJob):
        return "emr-serverless", "StartJobRun", obj.to_start_job_run("00fabc")
    if isinstance(obj, EksJobSpec):
        return "emr-containers", "StartJobRun", obj.to_start_job_run()
    return None


SETTINGS = settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(field_and_junk)
def test_junk_in_any_field_raises_only_emr_config_error(case: tuple[type, str, object]) -> None:
    cls, name, value = case
    field: str | None = name
    try:
        obj = cls(**{**BASE[cls], name: value})
        _request(PARENT.get(cls, lambda o: o)(obj))  # rendering must not raise either
    except EmrConfigError as exc:
        field = exc.field
    assert field is not None


@SETTINGS
@given(field_and_junk.filter(lambda c: c[1] != "extra" and not is_templated(c[2])))
def test_whatever_a_spec_accepts_renders_a_request_botocore_accepts(case: tuple[type, str, object]) -> None:
    cls, name, value = case
    try:
        obj = PARENT.get(cls, lambda o: o)(cls(**{**BASE[cls], name: value}))
    except EmrConfigError:
        return
    request = _request(obj)
    if request is not None:
        validate_request(*request)
