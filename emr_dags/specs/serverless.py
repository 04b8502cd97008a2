"""EMR Serverless: applications (:class:`ServerlessApplicationSpec`) and job runs.

House policy: applications auto-start on the first job and auto-stop after
``idle_timeout_minutes`` (15) so pre-initialised capacity is not billed overnight; job runs
have an execution timeout (12 hours by default, AWS's own default made explicit).
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emr_dags.specs._common import (
    RELEASE_LABEL,
    SECURITY_GROUP_ID,
    SUBNET_ID,
    check_bool,
    check_int,
    check_joined,
    check_role_arn,
    check_s3_uri,
    check_str,
    coerce_enum,
    coerce_extra,
    coerce_str_list,
    coerce_str_mapping,
    coerce_tags,
    deep_merge,
    fail,
    release_version,
    setattr_frozen,
    to_enum,
)
from emr_dags.specs.jobs import (
    Monitoring,
    SparkResources,
    check_overrides,
    check_spark_driver,
    render_spark_driver,
)

if TYPE_CHECKING:
    from emr_dags.specs.configuration import Configuration

_APP_NAME = re.compile(r"[A-Za-z0-9._/#-]+", re.ASCII)
_JOB_NAME = re.compile(r".*\S.*", re.DOTALL)
_IMAGE_URI = re.compile(
    r"^([a-z0-9]+[a-z0-9\-.]*)/((?:[a-z0-9]+(?:[._\-]|__|-+)?)*[a-z0-9]+)(?::([a-zA-Z0-9_][a-zA-Z0-9\-._]{0,299})|@(sha256:[0-9a-f]{64}))$"
)
_HIVE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*", re.ASCII)

# vCPU -> (min GB, max GB, step GB) per EMR Serverless worker configuration rules.
_WORKER_MEMORY: dict[int, tuple[int, int, int]] = {
    1: (2, 8, 1),
    2: (4, 16, 1),
    4: (8, 30, 1),
    8: (16, 60, 4),
    16: (32, 120, 8),
}


class ApplicationType(enum.Enum):
    SPARK = "SPARK"
    HIVE = "HIVE"


class WorkerType(enum.Enum):
    """Pre-initialised worker kinds: DRIVER/EXECUTOR for Spark, HIVE_DRIVER/TEZ_TASK for Hive."""

    DRIVER = "DRIVER"
    EXECUTOR = "EXECUTOR"
    HIVE_DRIVER = "HIVE_DRIVER"
    TEZ_TASK = "TEZ_TASK"


_WORKERS_FOR = {
    ApplicationType.SPARK: (WorkerType.DRIVER, WorkerType.EXECUTOR),
    ApplicationType.HIVE: (WorkerType.HIVE_DRIVER, WorkerType.TEZ_TASK),
}


class Architecture(enum.Enum):
    X86_64 = "X86_64"
    ARM64 = "ARM64"


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkerCapacity:
    """``count`` pre-initialised workers of ``cpu`` vCPU, ``memory_gb`` GB and ``disk_gb`` GB each."""

    count: int
    cpu: int = 4
    memory_gb: int = 16
    disk_gb: int | None = None

    def __post_init__(self) -> None:
        check_int(self, "count", self.count, minimum=1, maximum=1000000)
        check_int(self, "cpu", self.cpu, minimum=1, maximum=16)
        if self.cpu not in _WORKER_MEMORY:
            raise fail("WorkerCapacity", "cpu", self.cpu, "is not a worker size", "1, 2, 4, 8 or 16 vCPU")
        low, high, step = _WORKER_MEMORY[self.cpu]
        check_int(
            self,
            "memory_gb",
            self.memory_gb,
            minimum=low,
            maximum=high,
            fix=f"{self.cpu} vCPU workers take {low}-{high} GB",
        )
        if (self.memory_gb - low) % step:
            raise fail(
                "WorkerCapacity",
                "memory_gb",
                self.memory_gb,
                f"is not a {step} GB step for {self.cpu} vCPU",
                f"{low}-{high} GB in {step} GB steps",
            )
        check_int(self, "disk_gb", self.disk_gb, minimum=20, maximum=2000, optional=True)

    def to_api(self) -> dict[str, Any]:
        config: dict[str, Any] = {"cpu": f"{self.cpu}vCPU", "memory": f"{self.memory_gb}GB"}
        if self.disk_gb is not None:
            config["disk"] = f"{self.disk_gb}GB"
        return {"workerCount": self.count, "workerConfiguration": config}


@dataclass(frozen=True, kw_only=True, slots=True)
class MaximumCapacity:
    """The most an application may use at once, across all its running jobs."""

    cpu: int
    memory_gb: int
    disk_gb: int | None = None

    def __post_init__(self) -> None:
        check_int(self, "cpu", self.cpu, minimum=1, maximum=1000000)
        check_int(self, "memory_gb", self.memory_gb, minimum=1, maximum=10000000)
        check_int(self, "disk_gb", self.disk_gb, minimum=20, maximum=100000000, optional=True)

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cpu": f"{self.cpu}vCPU", "memory": f"{self.memory_gb}GB"}
        if self.disk_gb is not None:
            out["disk"] = f"{self.disk_gb}GB"
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class NetworkConfig:
    """VPC access for the application's workers (private subnets with a NAT or endpoints)."""

    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        subnets = coerce_str_list(
            self,
            "subnet_ids",
            self.subnet_ids,
            pattern=SUBNET_ID,
            expected="subnet ids like 'subnet-0abc1234'",
            problem="is not a subnet id",
            max_items=16,
        )
        if not subnets:
            raise fail("NetworkConfig", "subnet_ids", subnets, "is empty", "at least one subnet id")
        coerce_str_list(
            self,
            "security_group_ids",
            self.security_group_ids,
            pattern=SECURITY_GROUP_ID,
            expected="security group ids like 'sg-0abc1234'",
            max_items=5,
        )

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"subnetIds": list(self.subnet_ids)}
        if self.security_group_ids:
            out["securityGroupIds"] = list(self.security_group_ids)
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class ServerlessApplicationSpec:
    """An EMR Serverless application. ``to_create_application()`` renders CreateApplication kwargs
    (without ``clientToken``: the operator adds a deterministic one).
    """

    name: str
    release_label: str
    type: ApplicationType | str = ApplicationType.SPARK
    initial_capacity: Mapping[WorkerType | str, WorkerCapacity] = field(default_factory=dict)
    maximum_capacity: MaximumCapacity | None = None
    auto_start: bool = True
    auto_stop: bool = True
    idle_timeout_minutes: int = 15
    network: NetworkConfig | None = None
    image_uri: str | None = None
    architecture: Architecture | str = Architecture.X86_64
    monitoring: Monitoring | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_str(
            self,
            "name",
            self.name,
            max_len=64,
            pattern=_APP_NAME,
            expected="1-64 of A-Z a-z 0-9 . _ / # -",
            problem="has characters EMR Serverless does not allow",
        )
        check_str(
            self,
            "release_label",
            self.release_label,
            max_len=64,
            pattern=RELEASE_LABEL,
            expected="a release label like 'emr-7.5.0'",
            problem="is not a release label",
        )
        version = release_version(self.release_label)
        if version is not None and version < (6, 6, 0):
            raise fail(
                type(self).__name__,
                "release_label",
                self.release_label,
                "is older than EMR Serverless",
                "emr-6.6.0 or later",
            )
        coerce_enum(self, "type", self.type, ApplicationType)
        self._check_capacity()
        check_bool(self, "auto_start", self.auto_start)
        check_bool(self, "auto_stop", self.auto_stop)
        check_int(self, "idle_timeout_minutes", self.idle_timeout_minutes, minimum=1, maximum=10080)
        if self.network is not None and not isinstance(self.network, NetworkConfig):
            raise fail(
                type(self).__name__,
                "network",
                self.network,
                "is not a NetworkConfig",
                "NetworkConfig(subnet_ids=...)",
            )
        check_str(
            self,
            "image_uri",
            self.image_uri,
            max_len=1024,
            pattern=_IMAGE_URI,
            expected="an ECR image URI like '123456789012.dkr.ecr.eu-west-1.amazonaws.com/spark:7.5'",
            optional=True,
        )
        coerce_enum(self, "architecture", self.architecture, Architecture)
        if self.monitoring is not None and not isinstance(self.monitoring, Monitoring):
            raise fail(
                type(self).__name__, "monitoring", self.monitoring, "is not Monitoring", "Monitoring(...)"
            )
        coerce_tags(self, "tags", self.tags)
        coerce_extra(self, "extra", self.extra)

    def _check_capacity(self) -> None:
        spec = type(self).__name__
        if not isinstance(self.initial_capacity, Mapping):
            raise fail(
                spec,
                "initial_capacity",
                self.initial_capacity,
                "is not a mapping",
                "{WorkerType.DRIVER: WorkerCapacity(...)}",
            )
        assert isinstance(self.type, ApplicationType)
        allowed = _WORKERS_FOR[self.type]
        capacity: dict[WorkerType, WorkerCapacity] = {}
        for key, value in self.initial_capacity.items():
            worker = to_enum(spec, "initial_capacity", key, WorkerType)
            if worker not in allowed:
                raise fail(
                    spec,
                    "initial_capacity",
                    worker.value,
                    f"is not a worker type of a {self.type.value} application",
                    " or ".join(w.value for w in allowed),
                )
            if not isinstance(value, WorkerCapacity):
                raise fail(
                    spec,
                    "initial_capacity",
                    value,
                    "is not a WorkerCapacity",
                    "WorkerCapacity(count=..., cpu=..., memory_gb=...)",
                )
            capacity[worker] = value
        setattr_frozen(self, "initial_capacity", capacity)
        maximum = self.maximum_capacity
        if maximum is None:
            return
        if not isinstance(maximum, MaximumCapacity):
            raise fail(
                spec,
                "maximum_capacity",
                maximum,
                "is not a MaximumCapacity",
                "MaximumCapacity(cpu=..., memory_gb=...)",
            )
        cpu = sum(c.count * c.cpu for c in capacity.values())
        memory = sum(c.count * c.memory_gb for c in capacity.values())
        if cpu > maximum.cpu or memory > maximum.memory_gb:
            raise fail(
                spec,
                "maximum_capacity",
                f"{maximum.cpu} vCPU / {maximum.memory_gb} GB",
                f"is below the initial capacity ({cpu} vCPU / {memory} GB)",
                "a maximum at least as large as the pre-initialised workers",
            )

    def replace(self, **changes: Any) -> ServerlessApplicationSpec:
        return dataclasses.replace(self, **changes)

    def to_create_application(self) -> dict[str, Any]:
        assert isinstance(self.type, ApplicationType)
        assert isinstance(self.architecture, Architecture)
        request: dict[str, Any] = {
            "name": self.name,
            "releaseLabel": self.release_label,
            "type": self.type.value,
            "architecture": self.architecture.value,
            "autoStartConfiguration": {"enabled": self.auto_start},
            "autoStopConfiguration": (
                {"enabled": True, "idleTimeoutMinutes": self.idle_timeout_minutes}
                if self.auto_stop
                else {"enabled": False}
            ),
        }
        if self.initial_capacity:
            request["initialCapacity"] = {k.value: v.to_api() for k, v in self.initial_capacity.items()}  # type: ignore[union-attr]
        if self.maximum_capacity is not None:
            request["maximumCapacity"] = self.maximum_capacity.to_api()
        if self.network is not None:
            request["networkConfiguration"] = self.network.to_api()
        if self.image_uri is not None:
            request["imageConfiguration"] = {"imageUri": self.image_uri}
        if self.monitoring is not None:
            request["monitoringConfiguration"] = self.monitoring.to_serverless()
        if self.tags:
            request["tags"] = dict(self.tags)
        return deep_merge(request, self.extra)


def _check_job_common(obj: Any) -> None:
    check_str(
        obj, "name", obj.name, max_len=256, pattern=_JOB_NAME, expected="a job run name of 1-256 characters"
    )
    check_role_arn(obj, "execution_role_arn", obj.execution_role_arn)
    check_overrides(obj)
    check_int(obj, "execution_timeout_minutes", obj.execution_timeout_minutes, minimum=1, maximum=1000000)
    coerce_tags(obj, "tags", obj.tags)
    coerce_extra(obj, "extra", obj.extra)


def _render_job(obj: Any, application_id: str, job_driver: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(application_id, str) or not application_id:
        raise fail(
            type(obj).__name__,
            "application_id",
            application_id,
            "is not an application id",
            "the id returned by CreateApplication",
        )
    request: dict[str, Any] = {
        "applicationId": application_id,
        "executionRoleArn": obj.execution_role_arn,
        "name": obj.name,
        "jobDriver": job_driver,
        "executionTimeoutMinutes": obj.execution_timeout_minutes,
    }
    overrides: dict[str, Any] = {}
    if obj.configuration_overrides:
        overrides["applicationConfiguration"] = [c.to_api() for c in obj.configuration_overrides]
    if obj.monitoring is not None:
        overrides["monitoringConfiguration"] = obj.monitoring.to_serverless()
    if overrides:
        request["configurationOverrides"] = overrides
    if obj.tags:
        request["tags"] = dict(obj.tags)
    return deep_merge(request, obj.extra)


@dataclass(frozen=True, kw_only=True, slots=True)
class ServerlessSparkJob:
    """A Spark job run on an EMR Serverless application.

    ``conf`` and ``resources`` become ``sparkSubmitParameters``; values with spaces belong in
    ``configuration_overrides`` (see :mod:`emr_dags.specs.jobs`).
    """

    name: str
    execution_role_arn: str
    entry_point: str
    entry_point_args: tuple[str, ...] = ()
    main_class: str | None = None
    conf: Mapping[str, Any] = field(default_factory=dict)
    resources: SparkResources | None = None
    py_files: tuple[str, ...] = ()
    jars: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    archives: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    configuration_overrides: tuple[Configuration, ...] = ()
    monitoring: Monitoring | None = None
    execution_timeout_minutes: int = 720
    tags: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_job_common(self)
        check_spark_driver(self)
        if self.resources is not None and isinstance(self.resources, SparkResources):
            for name in ("driver_cores", "executor_cores"):
                value = getattr(self.resources, name)
                if value is not None and value not in _WORKER_MEMORY:
                    raise fail(
                        "ServerlessSparkJob",
                        "resources",
                        {name: value},
                        "is not an EMR Serverless worker size",
                        "1, 2, 4, 8 or 16 cores",
                    )

    def replace(self, **changes: Any) -> ServerlessSparkJob:
        return dataclasses.replace(self, **changes)

    def to_start_job_run(self, application_id: str) -> dict[str, Any]:
        """StartJobRun kwargs without ``clientToken`` (the operator adds a deterministic one)."""
        return _render_job(self, application_id, {"sparkSubmit": render_spark_driver(self)})


@dataclass(frozen=True, kw_only=True, slots=True)
class ServerlessHiveJob:
    """A Hive job run: ``query`` is the S3 URI of the query file, ``init_query`` runs first."""

    name: str
    execution_role_arn: str
    query: str
    init_query: str | None = None
    hiveconf: Mapping[str, Any] = field(default_factory=dict)
    hivevar: Mapping[str, Any] = field(default_factory=dict)
    configuration_overrides: tuple[Configuration, ...] = ()
    monitoring: Monitoring | None = None
    execution_timeout_minutes: int = 720
    tags: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_job_common(self)
        check_s3_uri(self, "query", self.query, fix="EMR Serverless reads Hive queries from a file in S3")
        check_s3_uri(self, "init_query", self.init_query, optional=True)
        check_str(
            self,
            "init_query",
            self.init_query,
            max_len=256,
            expected="an S3 URI of a .sql file",
            optional=True,
        )
        for name in ("hiveconf", "hivevar"):
            mapping = coerce_str_mapping(
                self,
                name,
                getattr(self, name),
                key_pattern=_HIVE_KEY,
                key_expected="a Hive property or variable name",
            )
            check_joined(
                self,
                name,
                mapping,
                joined_into="the Hive parameters string",
                fix="Use configuration_overrides=[Configuration.hive_site({...})] for such values",
            )

    def replace(self, **changes: Any) -> ServerlessHiveJob:
        return dataclasses.replace(self, **changes)

    def hive_parameters(self) -> str | None:
        parts = [f"--hiveconf {k}={v}" for k, v in self.hiveconf.items()]
        parts += [f"--hivevar {k}={v}" for k, v in self.hivevar.items()]
        return " ".join(parts) or None

    def to_start_job_run(self, application_id: str) -> dict[str, Any]:
        """StartJobRun kwargs without ``clientToken`` (the operator adds a deterministic one)."""
        hive: dict[str, Any] = {"query": self.query}
        if self.init_query is not None:
            hive["initQueryFile"] = self.init_query
        parameters = self.hive_parameters()
        if parameters:
            hive["parameters"] = parameters
        return _render_job(self, application_id, {"hive": hive})
