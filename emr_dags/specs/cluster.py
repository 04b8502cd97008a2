"""EMR on EC2 clusters: :class:`ClusterSpec` and its parts, rendered as RunJobFlow kwargs.

House policy baked into the defaults:

* every cluster auto-terminates after ``idle_timeout_seconds`` (1 hour) of idleness;
* every cluster writes logs (``log_uri``, or one derived from ``log_bucket``);
* Spot capacity falls back to on-demand when Spot does not arrive in time;
* the default roles are ``EMR_DefaultRole`` / ``EMR_EC2_DefaultRole``.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emr_dags.specs._common import (
    IAM_ROLE,
    INSTANCE_TYPE,
    RELEASE_LABEL,
    SECURITY_GROUP_ID,
    SUBNET_ID,
    check_bool,
    check_bucket,
    check_instances,
    check_int,
    check_path,
    check_s3_uri,
    check_str,
    coerce_args,
    coerce_enum,
    coerce_extra,
    coerce_str_list,
    coerce_tags,
    coerce_tuple,
    deep_merge,
    drop_none,
    fail,
    is_templated,
    release_version,
    setattr_frozen,
    to_enum,
)
from emr_dags.specs.configuration import Configuration
from emr_dags.specs.steps import Step, check_concurrent_steps

if TYPE_CHECKING:
    from collections.abc import Mapping

_KEY_NAME = re.compile(r"[\x20-\x7e]{1,255}", re.ASCII)
_OS_RELEASE_LABEL = re.compile(r"[0-9]{1,4}(\.[0-9]{1,10}){1,3}", re.ASCII)
_AMI_ID = re.compile(r"ami-[0-9a-f]{8,17}", re.ASCII)
_KMS_KEY = re.compile(
    r"(arn:aws(-[a-z]+)*:kms:[a-z0-9\-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_\-]+|[0-9a-f\-]{36}|alias/[A-Za-z0-9/_\-]+)",
    re.ASCII,
)


class Application(enum.Enum):
    """Applications EMR can install, spelled as RunJobFlow wants them."""

    SPARK = "Spark"
    HADOOP = "Hadoop"
    HIVE = "Hive"
    TEZ = "Tez"
    PRESTO = "Presto"
    TRINO = "Trino"
    FLINK = "Flink"
    HBASE = "HBase"
    PHOENIX = "Phoenix"
    LIVY = "Livy"
    JUPYTER_ENTERPRISE_GATEWAY = "JupyterEnterpriseGateway"
    JUPYTERHUB = "JupyterHub"
    ZEPPELIN = "Zeppelin"
    HUE = "Hue"
    PIG = "Pig"
    OOZIE = "Oozie"
    SQOOP = "Sqoop"
    ZOOKEEPER = "ZooKeeper"
    HCATALOG = "HCatalog"
    GANGLIA = "Ganglia"
    TENSORFLOW = "TensorFlow"
    MXNET = "MXNet"


class InstanceRole(enum.Enum):
    """Node type of an instance group or fleet."""

    MASTER = "MASTER"
    CORE = "CORE"
    TASK = "TASK"


class Market(enum.Enum):
    ON_DEMAND = "ON_DEMAND"
    SPOT = "SPOT"


class VolumeType(enum.Enum):
    GP3 = "gp3"
    GP2 = "gp2"
    IO1 = "io1"
    IO2 = "io2"
    ST1 = "st1"
    SC1 = "sc1"
    STANDARD = "standard"


class SpotAllocationStrategy(enum.Enum):
    PRICE_CAPACITY_OPTIMIZED = "price-capacity-optimized"
    CAPACITY_OPTIMIZED = "capacity-optimized"
    CAPACITY_OPTIMIZED_PRIORITIZED = "capacity-optimized-prioritized"
    LOWEST_PRICE = "lowest-price"
    DIVERSIFIED = "diversified"


class OnDemandAllocationStrategy(enum.Enum):
    LOWEST_PRICE = "lowest-price"
    PRIORITIZED = "prioritized"


class SpotTimeoutAction(enum.Enum):
    """What to do when Spot capacity is not provisioned within the timeout."""

    SWITCH_TO_ON_DEMAND = "SWITCH_TO_ON_DEMAND"
    TERMINATE_CLUSTER = "TERMINATE_CLUSTER"


class ScalingUnit(enum.Enum):
    INSTANCES = "Instances"
    INSTANCE_FLEET_UNITS = "InstanceFleetUnits"
    VCPU = "VCPU"


class ScaleDownBehavior(enum.Enum):
    TERMINATE_AT_TASK_COMPLETION = "TERMINATE_AT_TASK_COMPLETION"
    TERMINATE_AT_INSTANCE_HOUR = "TERMINATE_AT_INSTANCE_HOUR"


# First release that ships an application, where it is later than our emr-5.30.0 floor.
_APPLICATION_FLOOR: dict[Application, tuple[int, int, int]] = {
    Application.TRINO: (6, 4, 0),
}


# --- storage -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class EbsVolume:
    """EBS volumes attached to each instance: ``volumes_per_instance`` x ``size_gb`` of ``volume_type``."""

    size_gb: int
    volume_type: VolumeType | str = VolumeType.GP3
    volumes_per_instance: int = 1
    iops: int | None = None
    throughput_mibps: int | None = None

    def __post_init__(self) -> None:
        coerce_enum(self, "volume_type", self.volume_type, VolumeType)
        check_int(self, "size_gb", self.size_gb, minimum=1, maximum=16384)
        check_int(self, "volumes_per_instance", self.volumes_per_instance, minimum=1, maximum=25)
        check_int(self, "iops", self.iops, minimum=100, maximum=256000, optional=True)
        check_int(self, "throughput_mibps", self.throughput_mibps, minimum=125, maximum=1000, optional=True)
        vt = self.volume_type
        assert isinstance(vt, VolumeType)
        if vt in (VolumeType.IO1, VolumeType.IO2) and self.iops is None:
            raise fail(
                "EbsVolume",
                "iops",
                None,
                f"is required for {vt.value} volumes",
                "provisioned IOPS, e.g. iops=3000",
            )
        if self.iops is not None and vt not in (VolumeType.GP3, VolumeType.IO1, VolumeType.IO2):
            raise fail(
                "EbsVolume", "iops", self.iops, f"cannot be set on {vt.value} volumes", "None", "Use gp3"
            )
        if self.throughput_mibps is not None and vt is not VolumeType.GP3:
            raise fail(
                "EbsVolume",
                "throughput_mibps",
                self.throughput_mibps,
                "is only for gp3 volumes",
                "None or gp3",
            )

    def to_emr(self) -> dict[str, Any]:
        assert isinstance(self.volume_type, VolumeType)
        volume = drop_none(
            {
                "VolumeType": self.volume_type.value,
                "SizeInGB": self.size_gb,
                "Iops": self.iops,
                "Throughput": self.throughput_mibps,
            }
        )
        return {"VolumeSpecification": volume, "VolumesPerInstance": self.volumes_per_instance}


def _render_ebs(volumes: tuple[EbsVolume, ...]) -> dict[str, Any] | None:
    if not volumes:
        return None
    return {"EbsBlockDeviceConfigs": [v.to_emr() for v in volumes], "EbsOptimized": True}


def _check_ebs(obj: object, value: object) -> None:
    items = coerce_tuple(obj, "ebs", value, expected="a list of EbsVolume")
    check_instances(obj, "ebs", items, EbsVolume, expected="an EbsVolume(size_gb=...)")


def _check_configurations(obj: object, value: object) -> None:
    items = coerce_tuple(obj, "configurations", value, expected="a list of Configuration")
    check_instances(
        obj, "configurations", items, Configuration, expected="a Configuration(classification=...)"
    )


def _check_instance_type(obj: object, field_name: str, value: object) -> None:
    check_str(
        obj,
        field_name,
        value,
        max_len=256,
        pattern=INSTANCE_TYPE,
        expected="an EC2 instance type like 'm5.xlarge'",
        problem="is not an EC2 instance type",
    )


def _check_bid_price(obj: object, value: object) -> None:
    if value is None:
        return
    ok = isinstance(value, str) and (
        is_templated(value) or re.fullmatch(r"[0-9]+(\.[0-9]+)?", value, re.ASCII) is not None
    )
    if not ok or (isinstance(value, str) and not is_templated(value) and float(value) <= 0):
        raise fail(
            type(obj).__name__,
            "bid_price",
            value,
            "is not a price",
            "a positive USD price as a string, like '0.25'",
            "Or leave it None to pay at most the on-demand price",
        )


# --- instance groups -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class InstanceGroup:
    """A uniform instance group: ``count`` instances of one ``instance_type``."""

    role: InstanceRole | str
    instance_type: str
    count: int = 1
    market: Market | str = Market.ON_DEMAND
    bid_price: str | None = None
    name: str | None = None
    ebs: tuple[EbsVolume, ...] = ()
    configurations: tuple[Configuration, ...] = ()
    custom_ami_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        coerce_extra(self, "extra", self.extra)
        coerce_enum(self, "role", self.role, InstanceRole)
        coerce_enum(self, "market", self.market, Market)
        _check_instance_type(self, "instance_type", self.instance_type)
        # A TASK group may start empty and be grown by managed scaling or a resize.
        floor = 0 if self.role is InstanceRole.TASK else 1
        check_int(self, "count", self.count, minimum=floor, maximum=1000)
        if self.role is InstanceRole.MASTER and self.count not in (1, 3):
            raise fail(
                "InstanceGroup",
                "count",
                self.count,
                "is not a valid number of primary nodes",
                "1, or 3 for high availability",
            )
        _check_bid_price(self, self.bid_price)
        if self.bid_price is not None and self.market is not Market.SPOT:
            raise fail(
                "InstanceGroup",
                "bid_price",
                self.bid_price,
                "is set on an on-demand group",
                "None",
                "Or use market=SPOT",
            )
        check_str(self, "name", self.name, optional=True)
        _check_ebs(self, self.ebs)
        _check_configurations(self, self.configurations)
        check_str(
            self,
            "custom_ami_id",
            self.custom_ami_id,
            pattern=_AMI_ID,
            expected="an AMI id like 'ami-0abc1234def567890'",
            problem="is not an AMI id",
            optional=True,
        )

    def to_emr(self) -> dict[str, Any]:
        """The EMR request entry; ``extra`` is deep-merged last."""
        return deep_merge(self._base(), self.extra)

    def _base(self) -> dict[str, Any]:
        assert isinstance(self.role, InstanceRole)
        assert isinstance(self.market, Market)
        return drop_none(
            {
                "Name": self.name or self.role.value.lower(),
                "Market": self.market.value,
                "InstanceRole": self.role.value,
                "BidPrice": self.bid_price,
                "InstanceType": self.instance_type,
                "InstanceCount": self.count,
                "Configurations": [c.to_emr() for c in self.configurations] or None,
                "EbsConfiguration": _render_ebs(self.ebs),
                "CustomAmiId": self.custom_ami_id,
            }
        )


# --- instance fleets -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class FleetInstanceType:
    """One instance type a fleet may launch; ``weighted_capacity`` units count toward the fleet targets."""

    instance_type: str
    weighted_capacity: int = 1
    bid_price: str | None = None
    bid_price_as_percentage_of_on_demand: float | None = None
    ebs: tuple[EbsVolume, ...] = ()
    configurations: tuple[Configuration, ...] = ()
    priority: float | None = None
    custom_ami_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        coerce_extra(self, "extra", self.extra)
        _check_instance_type(self, "instance_type", self.instance_type)
        check_int(self, "weighted_capacity", self.weighted_capacity, minimum=1, maximum=1000)
        _check_bid_price(self, self.bid_price)
        pct = self.bid_price_as_percentage_of_on_demand
        if pct is not None:
            if not isinstance(pct, int | float) or isinstance(pct, bool) or not 0 < pct <= 1000:
                raise fail(
                    "FleetInstanceType",
                    "bid_price_as_percentage_of_on_demand",
                    pct,
                    "is out of range",
                    "a number in (0, 1000], e.g. 100",
                )
            if self.bid_price is not None:
                raise fail(
                    "FleetInstanceType",
                    "bid_price",
                    self.bid_price,
                    "is set together with bid_price_as_percentage_of_on_demand",
                    "only one of the two",
                )
        if self.priority is not None and (
            not isinstance(self.priority, int | float)
            or isinstance(self.priority, bool)
            or not math.isfinite(self.priority)
            or self.priority < 0
        ):
            raise fail("FleetInstanceType", "priority", self.priority, "is not a priority", "a number >= 0")
        _check_ebs(self, self.ebs)
        _check_configurations(self, self.configurations)
        check_str(
            self,
            "custom_ami_id",
            self.custom_ami_id,
            pattern=_AMI_ID,
            expected="an AMI id like 'ami-0abc1234def567890'",
            problem="is not an AMI id",
            optional=True,
        )

    def to_emr(self) -> dict[str, Any]:
        """The EMR request entry; ``extra`` is deep-merged last."""
        return deep_merge(self._base(), self.extra)

    def _base(self) -> dict[str, Any]:
        return drop_none(
            {
                "InstanceType": self.instance_type,
                "WeightedCapacity": self.weighted_capacity,
                "BidPrice": self.bid_price,
                "BidPriceAsPercentageOfOnDemandPrice": (
                    float(self.bid_price_as_percentage_of_on_demand)
                    if self.bid_price_as_percentage_of_on_demand is not None
                    else None
                ),
                "EbsConfiguration": _render_ebs(self.ebs),
                "Configurations": [c.to_emr() for c in self.configurations] or None,
                "CustomAmiId": self.custom_ami_id,
                "Priority": float(self.priority) if self.priority is not None else None,
            }
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class SpotProvisioning:
    """How a fleet buys Spot: allocation strategy and what to do if Spot does not arrive in time.

    The default waits 10 minutes for Spot, then switches to on-demand, so a nightly job is late
    by minutes rather than not run at all.
    """

    timeout_minutes: int = 10
    timeout_action: SpotTimeoutAction | str = SpotTimeoutAction.SWITCH_TO_ON_DEMAND
    allocation_strategy: SpotAllocationStrategy | str = SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED

    def __post_init__(self) -> None:
        check_int(self, "timeout_minutes", self.timeout_minutes, minimum=5, maximum=1440)
        coerce_enum(self, "timeout_action", self.timeout_action, SpotTimeoutAction)
        coerce_enum(self, "allocation_strategy", self.allocation_strategy, SpotAllocationStrategy)

    def to_emr(self) -> dict[str, Any]:
        assert isinstance(self.timeout_action, SpotTimeoutAction)
        assert isinstance(self.allocation_strategy, SpotAllocationStrategy)
        return {
            "TimeoutDurationMinutes": self.timeout_minutes,
            "TimeoutAction": self.timeout_action.value,
            "AllocationStrategy": self.allocation_strategy.value,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class OnDemandProvisioning:
    allocation_strategy: OnDemandAllocationStrategy | str = OnDemandAllocationStrategy.LOWEST_PRICE

    def __post_init__(self) -> None:
        coerce_enum(self, "allocation_strategy", self.allocation_strategy, OnDemandAllocationStrategy)

    def to_emr(self) -> dict[str, Any]:
        assert isinstance(self.allocation_strategy, OnDemandAllocationStrategy)
        return {"AllocationStrategy": self.allocation_strategy.value}


@dataclass(frozen=True, kw_only=True, slots=True)
class InstanceFleet:
    """A fleet: a capacity target in units, filled from several instance types, on-demand and/or Spot.

    ``spot`` defaults to :class:`SpotProvisioning` (10 minutes, then on-demand) whenever
    ``target_spot`` is above zero.
    """

    role: InstanceRole | str
    instance_types: tuple[FleetInstanceType, ...]
    target_on_demand: int = 0
    target_spot: int = 0
    spot: SpotProvisioning | None = None
    on_demand: OnDemandProvisioning | None = None
    name: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        coerce_extra(self, "extra", self.extra)
        coerce_enum(self, "role", self.role, InstanceRole)
        types = coerce_tuple(
            self, "instance_types", self.instance_types, expected="a list of FleetInstanceType"
        )
        check_instances(self, "instance_types", types, FleetInstanceType, expected="a FleetInstanceType")
        if not types:
            raise fail("InstanceFleet", "instance_types", types, "is empty", "1 to 30 FleetInstanceType")
        limit = 5 if self.role is InstanceRole.MASTER else 30
        if len(types) > limit:
            raise fail(
                "InstanceFleet",
                "instance_types",
                len(types),
                "instance types is too many",
                f"at most {limit}",
            )
        names = [t.instance_type for t in types]
        if len(set(names)) != len(names):
            raise fail(
                "InstanceFleet", "instance_types", names, "lists a type twice", "distinct instance types"
            )
        check_int(self, "target_on_demand", self.target_on_demand, minimum=0, maximum=100000)
        check_int(self, "target_spot", self.target_spot, minimum=0, maximum=100000)
        self._check_targets()
        self._check_provisioning()
        check_str(self, "name", self.name, optional=True)

    def _check_targets(self) -> None:
        total = self.target_on_demand + self.target_spot
        if self.role is InstanceRole.MASTER:
            if total not in (1, 3) or min(self.target_on_demand, self.target_spot) != 0:
                raise fail(
                    "InstanceFleet",
                    "target_on_demand",
                    (self.target_on_demand, self.target_spot),
                    "(on-demand, spot) is not a valid primary fleet target",
                    "1 (or 3) units, all on-demand or all Spot",
                )
        elif self.role is InstanceRole.CORE and total == 0:
            raise fail(
                "InstanceFleet",
                "target_on_demand",
                0,
                "leaves the core fleet empty (target_spot is 0 too)",
                "target_on_demand + target_spot >= 1",
            )

    def _check_provisioning(self) -> None:
        if self.spot is not None and not isinstance(self.spot, SpotProvisioning):
            raise fail(
                "InstanceFleet", "spot", self.spot, "is not a SpotProvisioning", "SpotProvisioning(...)"
            )
        if self.on_demand is not None and not isinstance(self.on_demand, OnDemandProvisioning):
            raise fail(
                "InstanceFleet",
                "on_demand",
                self.on_demand,
                "is not an OnDemandProvisioning",
                "OnDemandProvisioning()",
            )
        if self.spot is not None and self.target_spot == 0:
            raise fail(
                "InstanceFleet",
                "spot",
                self.spot,
                "is set but target_spot is 0, so no Spot capacity is asked for",
                "target_spot >= 1, or spot=None",
            )
        if self.spot is None and self.target_spot > 0:
            setattr_frozen(self, "spot", SpotProvisioning())
        spot_priced = [
            t.instance_type
            for t in self.instance_types
            if t.bid_price or t.bid_price_as_percentage_of_on_demand
        ]
        if spot_priced and self.target_spot == 0:
            raise fail(
                "InstanceFleet",
                "instance_types",
                spot_priced,
                "carry a Spot bid price but target_spot is 0",
                "target_spot >= 1, or no bid price",
            )
        if self.spot is not None:
            assert isinstance(self.spot, SpotProvisioning)
            prioritized = (
                self.spot.allocation_strategy is SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED
            )
            if prioritized and any(t.priority is None for t in self.instance_types):
                raise fail(
                    "InstanceFleet",
                    "instance_types",
                    [t.instance_type for t in self.instance_types],
                    "need a priority each for capacity-optimized-prioritized",
                    "FleetInstanceType(priority=...) on every type",
                )

    def to_emr(self) -> dict[str, Any]:
        """The EMR request entry; ``extra`` is deep-merged last."""
        return deep_merge(self._base(), self.extra)

    def _base(self) -> dict[str, Any]:
        assert isinstance(self.role, InstanceRole)
        launch: dict[str, Any] = {}
        if self.spot is not None:
            launch["SpotSpecification"] = self.spot.to_emr()
        if self.on_demand is not None:
            launch["OnDemandSpecification"] = self.on_demand.to_emr()
        return drop_none(
            {
                "Name": self.name or self.role.value.lower(),
                "InstanceFleetType": self.role.value,
                "TargetOnDemandCapacity": self.target_on_demand,
                "TargetSpotCapacity": self.target_spot,
                "InstanceTypeConfigs": [t.to_emr() for t in self.instance_types],
                "LaunchSpecifications": launch or None,
            }
        )


# --- cluster-level parts -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class ManagedScaling:
    """EMR managed scaling limits, in ``unit`` (derived from groups/fleets when None)."""

    minimum_units: int
    maximum_units: int
    maximum_on_demand_units: int | None = None
    maximum_core_units: int | None = None
    unit: ScalingUnit | str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        coerce_extra(self, "extra", self.extra)
        check_int(self, "minimum_units", self.minimum_units, minimum=1, maximum=100000)
        check_int(self, "maximum_units", self.maximum_units, minimum=1, maximum=100000)
        check_int(self, "maximum_on_demand_units", self.maximum_on_demand_units, minimum=0, optional=True)
        check_int(self, "maximum_core_units", self.maximum_core_units, minimum=1, optional=True)
        coerce_enum(self, "unit", self.unit, ScalingUnit, optional=True)
        if self.maximum_units < self.minimum_units:
            raise fail(
                "ManagedScaling",
                "maximum_units",
                self.maximum_units,
                f"is below minimum_units={self.minimum_units}",
                "maximum_units >= minimum_units",
            )
        for name in ("maximum_on_demand_units", "maximum_core_units"):
            value = getattr(self, name)
            if value is not None and value > self.maximum_units:
                raise fail(
                    "ManagedScaling",
                    name,
                    value,
                    f"is above maximum_units={self.maximum_units}",
                    f"{name} <= maximum_units",
                )

    def to_emr(self, unit: ScalingUnit) -> dict[str, Any]:
        limits = drop_none(
            {
                "UnitType": unit.value,
                "MinimumCapacityUnits": self.minimum_units,
                "MaximumCapacityUnits": self.maximum_units,
                "MaximumOnDemandCapacityUnits": self.maximum_on_demand_units,
                "MaximumCoreCapacityUnits": self.maximum_core_units,
            }
        )
        return deep_merge({"ComputeLimits": limits}, self.extra)


@dataclass(frozen=True, kw_only=True, slots=True)
class BootstrapAction:
    """A script run on every node before applications start (``path`` is an S3 URI or a local file)."""

    name: str
    path: str
    args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_str(self, "name", self.name)
        check_path(
            self,
            "path",
            self.path,
            prefixes=("file:/", "/"),
            expected="an S3 URI of a script like 's3://bucket/bootstrap/install.sh'",
        )
        coerce_args(self, "args", self.args)

    def to_emr(self) -> dict[str, Any]:
        return {"Name": self.name, "ScriptBootstrapAction": {"Path": self.path, "Args": list(self.args)}}


# --- the cluster -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class ClusterSpec:
    """An EMR on EC2 cluster. ``to_run_job_flow()`` renders the RunJobFlow kwargs.

    Give ``instance_groups`` or ``instance_fleets`` (not both), and ``log_uri`` or ``log_bucket``.
    Every string may be a Jinja template, rendered by Airflow before the request is sent.
    """

    name: str
    release_label: str
    applications: tuple[Application | str, ...] = (Application.SPARK,)
    instance_groups: tuple[InstanceGroup, ...] = ()
    instance_fleets: tuple[InstanceFleet, ...] = ()
    log_uri: str | None = None
    log_bucket: str | None = None
    log_encryption_kms_key_id: str | None = None
    idle_timeout_seconds: int = 3600
    step_concurrency: int = 1
    managed_scaling: ManagedScaling | None = None
    bootstrap_actions: tuple[BootstrapAction, ...] = ()
    configurations: tuple[Configuration, ...] = ()
    security_configuration: str | None = None
    service_role: str = "EMR_DefaultRole"
    job_flow_role: str = "EMR_EC2_DefaultRole"
    autoscaling_role: str | None = None
    subnet_ids: tuple[str, ...] = ()
    on_outposts: bool = False
    ec2_key_name: str | None = None
    emr_managed_master_security_group: str | None = None
    emr_managed_slave_security_group: str | None = None
    service_access_security_group: str | None = None
    additional_master_security_groups: tuple[str, ...] = ()
    additional_slave_security_groups: tuple[str, ...] = ()
    custom_ami_id: str | None = None
    ebs_root_volume_size_gb: int | None = None
    os_release_label: str | None = None
    scale_down_behavior: ScaleDownBehavior | str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    keep_alive: bool = True
    termination_protected: bool = False
    visible_to_all_users: bool = True
    steps: tuple[Step, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_str(self, "name", self.name, max_len=256)
        check_str(
            self,
            "release_label",
            self.release_label,
            pattern=RELEASE_LABEL,
            expected="a release label like 'emr-7.5.0'",
            problem="is not a release label",
            fix="See 'aws emr list-release-labels'",
        )
        self._check_release_floor()
        self._check_applications()
        self._check_capacity()
        self._check_logs()
        check_int(
            self,
            "idle_timeout_seconds",
            self.idle_timeout_seconds,
            minimum=60,
            maximum=604800,
            fix="Every cluster auto-terminates when idle; pick 60 s to 7 days",
        )
        check_int(self, "step_concurrency", self.step_concurrency, minimum=1, maximum=256)
        self._check_parts()
        self._check_network()
        self._check_misc()

    def _check_release_floor(self) -> None:
        version = release_version(self.release_label)
        if version is not None and (version < (5, 30, 0) or (6, 0, 0) <= version < (6, 1, 0)):
            raise fail(
                "ClusterSpec",
                "release_label",
                self.release_label,
                "is too old for auto-termination, which every cluster of ours uses",
                "emr-5.30.0 or later in 5.x, emr-6.1.0 or later in 6.x, or any 7.x",
            )

    def _check_applications(self) -> None:
        apps = coerce_tuple(self, "applications", self.applications, expected="a list of Application")
        members = tuple(to_enum("ClusterSpec", "applications", a, Application) for a in apps)
        if len(set(members)) != len(members):
            raise fail(
                "ClusterSpec",
                "applications",
                [m.value for m in members],
                "lists an application twice",
                "distinct applications",
            )
        version = release_version(self.release_label)
        for app in members:
            floor = _APPLICATION_FLOOR.get(app)
            if version is not None and floor is not None and version < floor:
                raise fail(
                    "ClusterSpec",
                    "applications",
                    app.value,
                    f"is not available in {self.release_label}",
                    f"emr-{'.'.join(map(str, floor))} or later",
                    "Raise release_label or drop the application",
                )
        setattr_frozen(self, "applications", members)

    def _check_capacity(self) -> None:
        groups = coerce_tuple(
            self, "instance_groups", self.instance_groups, expected="a list of InstanceGroup"
        )
        fleets = coerce_tuple(
            self, "instance_fleets", self.instance_fleets, expected="a list of InstanceFleet"
        )
        check_instances(self, "instance_groups", groups, InstanceGroup, expected="an InstanceGroup")
        check_instances(self, "instance_fleets", fleets, InstanceFleet, expected="an InstanceFleet")
        if groups and fleets:
            raise fail(
                "ClusterSpec",
                "instance_fleets",
                f"{len(fleets)} fleets",
                "are given together with instance_groups",
                "instance_groups or instance_fleets, not both",
                "EMR clusters use one or the other",
            )
        if not groups and not fleets:
            raise fail(
                "ClusterSpec",
                "instance_groups",
                (),
                "is empty and so is instance_fleets",
                "a primary (MASTER) instance group or fleet at least",
                "Start from a preset, e.g. emr_dags.specs.presets.dev_cluster(...)",
            )
        parts = groups or fleets
        field_name = "instance_groups" if groups else "instance_fleets"
        roles = [p.role for p in parts]
        if roles.count(InstanceRole.MASTER) != 1:
            raise fail(
                "ClusterSpec",
                field_name,
                [r.value for r in roles],
                f"has {roles.count(InstanceRole.MASTER)} MASTER entries",
                "exactly one MASTER",
            )
        if roles.count(InstanceRole.CORE) > 1:
            raise fail(
                "ClusterSpec",
                field_name,
                [r.value for r in roles],
                "has more than one CORE",
                "at most one CORE",
            )
        if fleets and roles.count(InstanceRole.TASK) > 1:
            raise fail(
                "ClusterSpec",
                field_name,
                [r.value for r in roles],
                "has more than one TASK fleet",
                "at most one TASK fleet",
            )

    def _check_logs(self) -> None:
        check_s3_uri(self, "log_uri", self.log_uri, optional=True)
        check_bucket(self, "log_bucket", self.log_bucket, optional=True)
        if self.log_uri is not None and self.log_bucket is not None:
            raise fail(
                "ClusterSpec",
                "log_bucket",
                self.log_bucket,
                "is given together with log_uri",
                "one of the two",
            )
        if self.log_uri is None and self.log_bucket is None:
            raise fail(
                "ClusterSpec",
                "log_uri",
                None,
                "is missing",
                "log_uri='s3://bucket/prefix/' or log_bucket='bucket'",
                "Logs are how a failed step is diagnosed; every cluster writes them",
            )
        check_str(
            self,
            "log_encryption_kms_key_id",
            self.log_encryption_kms_key_id,
            pattern=_KMS_KEY,
            expected="a KMS key ARN, id or alias",
            optional=True,
        )

    def _check_parts(self) -> None:
        if self.managed_scaling is not None:
            if not isinstance(self.managed_scaling, ManagedScaling):
                raise fail(
                    "ClusterSpec",
                    "managed_scaling",
                    self.managed_scaling,
                    "is not a ManagedScaling",
                    "ManagedScaling(...)",
                )
            unit = self.managed_scaling.unit
            if self.instance_fleets and unit not in (None, ScalingUnit.INSTANCE_FLEET_UNITS):
                raise fail(
                    "ClusterSpec",
                    "managed_scaling",
                    unit.value if isinstance(unit, ScalingUnit) else unit,
                    "is not a unit for an instance-fleet cluster",
                    "unit=ScalingUnit.INSTANCE_FLEET_UNITS (or None)",
                )
            if self.instance_groups and unit is ScalingUnit.INSTANCE_FLEET_UNITS:
                raise fail(
                    "ClusterSpec",
                    "managed_scaling",
                    unit.value,
                    "is not a unit for an instance-group cluster",
                    "ScalingUnit.INSTANCES or ScalingUnit.VCPU",
                )
        actions = coerce_tuple(
            self, "bootstrap_actions", self.bootstrap_actions, expected="a list of BootstrapAction"
        )
        check_instances(self, "bootstrap_actions", actions, BootstrapAction, expected="a BootstrapAction")
        if len(actions) > 16:
            raise fail(
                "ClusterSpec",
                "bootstrap_actions",
                len(actions),
                "bootstrap actions is too many",
                "at most 16",
            )
        _check_configurations(self, self.configurations)
        steps = coerce_tuple(self, "steps", self.steps, expected="a list of steps (SparkStep, ...)")
        check_instances(self, "steps", steps, Step, expected="a step such as SparkStep(...)")
        check_concurrent_steps("ClusterSpec", steps, self.step_concurrency)

    def _check_network(self) -> None:
        subnets = coerce_str_list(
            self,
            "subnet_ids",
            self.subnet_ids,
            pattern=SUBNET_ID,
            expected="subnet ids like 'subnet-0abc1234'",
            problem="is not a subnet id",
        )
        if self.instance_groups and len(subnets) > 1:
            raise fail(
                "ClusterSpec",
                "subnet_ids",
                subnets,
                "lists several subnets for an instance-group cluster",
                "one subnet (instance fleets may list several and EMR picks the best)",
            )
        check_bool(self, "on_outposts", self.on_outposts)
        if self.on_outposts:
            if len(subnets) != 1:
                raise fail(
                    "ClusterSpec",
                    "subnet_ids",
                    subnets,
                    "must be the one Outposts subnet",
                    "exactly one subnet id",
                )
            if self.instance_fleets:
                raise fail(
                    "ClusterSpec",
                    "instance_fleets",
                    "fleets",
                    "are not supported on AWS Outposts",
                    "on-demand instance_groups",
                )
            if any(g.market is Market.SPOT for g in self.instance_groups):
                raise fail(
                    "ClusterSpec",
                    "instance_groups",
                    "SPOT",
                    "is not available on AWS Outposts",
                    "on-demand groups",
                )
        sg_pattern = SECURITY_GROUP_ID
        for name in (
            "emr_managed_master_security_group",
            "emr_managed_slave_security_group",
            "service_access_security_group",
        ):
            check_str(
                self,
                name,
                getattr(self, name),
                pattern=sg_pattern,
                expected="a security group id",
                optional=True,
            )
        for name in ("additional_master_security_groups", "additional_slave_security_groups"):
            coerce_str_list(
                self,
                name,
                getattr(self, name),
                pattern=sg_pattern,
                expected="security group ids",
                max_items=15,
            )
        check_str(
            self,
            "ec2_key_name",
            self.ec2_key_name,
            max_len=255,
            pattern=_KEY_NAME,
            expected="an EC2 key pair name of up to 255 ASCII characters",
            problem="is not an EC2 key pair name",
            optional=True,
        )

    def _check_misc(self) -> None:
        check_str(self, "security_configuration", self.security_configuration, max_len=10280, optional=True)
        for name in ("service_role", "job_flow_role", "autoscaling_role"):
            check_str(
                self,
                name,
                getattr(self, name),
                max_len=2048,
                pattern=IAM_ROLE,
                expected="an IAM role (or instance profile) name like 'EMR_DefaultRole', or its ARN",
                problem="is not an IAM role name or ARN",
                optional=name == "autoscaling_role",
            )
        check_str(
            self,
            "custom_ami_id",
            self.custom_ami_id,
            pattern=_AMI_ID,
            expected="an AMI id like 'ami-0abc1234def567890'",
            problem="is not an AMI id",
            optional=True,
        )
        check_int(
            self,
            "ebs_root_volume_size_gb",
            self.ebs_root_volume_size_gb,
            minimum=15,
            maximum=100,
            optional=True,
        )
        check_str(
            self,
            "os_release_label",
            self.os_release_label,
            pattern=_OS_RELEASE_LABEL,
            expected="an Amazon Linux release label like '2.0.20240709.1'",
            problem="is not an Amazon Linux release label",
            optional=True,
        )
        coerce_enum(self, "scale_down_behavior", self.scale_down_behavior, ScaleDownBehavior, optional=True)
        coerce_tags(self, "tags", self.tags)
        for name in ("keep_alive", "termination_protected", "visible_to_all_users"):
            check_bool(self, name, getattr(self, name))
        coerce_extra(self, "extra", self.extra)

    # --- convenience ------------------------------------------------------------------------------

    def replace(self, **changes: Any) -> ClusterSpec:
        """A copy with some fields changed, validated again (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    @property
    def resolved_log_uri(self) -> str:
        if self.log_uri is not None:
            return self.log_uri
        return f"s3://{self.log_bucket}/emr-logs/"

    # --- rendering --------------------------------------------------------------------------------

    def to_run_job_flow(self) -> dict[str, Any]:
        """The RunJobFlow kwargs, as a JSON-like dict (templates still unrendered)."""
        request: dict[str, Any] = {
            "Name": self.name,
            "LogUri": self.resolved_log_uri,
            "LogEncryptionKmsKeyId": self.log_encryption_kms_key_id,
            "ReleaseLabel": self.release_label,
            "Instances": self._render_instances(),
            "Steps": [s.to_step() for s in self.steps] or None,
            "BootstrapActions": [b.to_emr() for b in self.bootstrap_actions] or None,
            "Applications": [{"Name": a.value} for a in self.applications],  # type: ignore[union-attr]
            "Configurations": [c.to_emr() for c in self.configurations] or None,
            "VisibleToAllUsers": self.visible_to_all_users,
            "JobFlowRole": self.job_flow_role,
            "ServiceRole": self.service_role,
            "AutoScalingRole": self.autoscaling_role,
            "SecurityConfiguration": self.security_configuration,
            "Tags": [{"Key": k, "Value": v} for k, v in self.tags.items()] or None,
            "ScaleDownBehavior": (
                self.scale_down_behavior.value
                if isinstance(self.scale_down_behavior, ScaleDownBehavior)
                else None
            ),
            "CustomAmiId": self.custom_ami_id,
            "EbsRootVolumeSize": self.ebs_root_volume_size_gb,
            "OSReleaseLabel": self.os_release_label,
            "StepConcurrencyLevel": self.step_concurrency,
            "ManagedScalingPolicy": self._render_scaling(),
            "AutoTerminationPolicy": {"IdleTimeout": self.idle_timeout_seconds},
        }
        return deep_merge(drop_none(request), self.extra)

    def _render_instances(self) -> dict[str, Any]:
        instances: dict[str, Any] = {
            "KeepJobFlowAliveWhenNoSteps": self.keep_alive,
            "TerminationProtected": self.termination_protected,
            "Ec2KeyName": self.ec2_key_name,
            "EmrManagedMasterSecurityGroup": self.emr_managed_master_security_group,
            "EmrManagedSlaveSecurityGroup": self.emr_managed_slave_security_group,
            "ServiceAccessSecurityGroup": self.service_access_security_group,
            "AdditionalMasterSecurityGroups": list(self.additional_master_security_groups) or None,
            "AdditionalSlaveSecurityGroups": list(self.additional_slave_security_groups) or None,
        }
        if self.instance_groups:
            instances["InstanceGroups"] = [g.to_emr() for g in self.instance_groups]
            instances["Ec2SubnetId"] = self.subnet_ids[0] if self.subnet_ids else None
        else:
            instances["InstanceFleets"] = [f.to_emr() for f in self.instance_fleets]
            instances["Ec2SubnetIds"] = list(self.subnet_ids) or None
        return drop_none(instances)

    def _render_scaling(self) -> dict[str, Any] | None:
        if self.managed_scaling is None:
            return None
        unit = self.managed_scaling.unit
        if not isinstance(unit, ScalingUnit):
            unit = ScalingUnit.INSTANCE_FLEET_UNITS if self.instance_fleets else ScalingUnit.INSTANCES
        return self.managed_scaling.to_emr(unit)
