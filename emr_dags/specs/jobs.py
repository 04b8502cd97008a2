"""Parts shared by EMR Serverless and EMR on EKS job runs: Spark sizing, sparkSubmitParameters, monitoring.

Both services take ``sparkSubmitParameters`` as ONE string that they split on whitespace, so a
value with a space in it would silently become two arguments. The builder therefore refuses
whitespace in values; put such settings (e.g. ``extraJavaOptions``) into a ``spark-defaults``
:class:`~emr_dags.specs.configuration.Configuration` override, where they stay one value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emr_dags.specs._common import (
    JAVA_CLASS,
    MAVEN,
    SPARK_CONF_KEY,
    SPARK_MEMORY,
    check_bool,
    check_comma_items,
    check_instances,
    check_int,
    check_joined,
    check_path,
    check_s3_uri,
    check_str,
    coerce_args,
    coerce_str_list,
    coerce_str_mapping,
    coerce_tuple,
    fail,
    is_templated,
)
from emr_dags.specs.configuration import Configuration

if TYPE_CHECKING:
    from collections.abc import Mapping

_LOG_GROUP = re.compile(r"[.\-_/#A-Za-z0-9]+", re.ASCII)
_KMS_ARN = re.compile(r"arn:aws(-[a-z]+)*:kms:[a-z0-9\-]+:[0-9]{12}:key/[A-Za-z0-9\-]+", re.ASCII)


@dataclass(frozen=True, kw_only=True, slots=True)
class SparkResources:
    """Driver and executor sizes, rendered as the ``spark.*`` properties Spark reads.

    Memory uses JVM sizes (``'4g'``, ``'512m'``). ``max_executors`` caps dynamic allocation.
    """

    driver_cores: int | None = None
    driver_memory: str | None = None
    executor_cores: int | None = None
    executor_memory: str | None = None
    executor_instances: int | None = None
    max_executors: int | None = None
    dynamic_allocation: bool | None = None

    def __post_init__(self) -> None:
        for name in ("driver_cores", "executor_cores"):
            check_int(self, name, getattr(self, name), minimum=1, maximum=256, optional=True)
        for name in ("driver_memory", "executor_memory"):
            check_str(
                self,
                name,
                getattr(self, name),
                pattern=SPARK_MEMORY,
                expected="a JVM size like '4g' or '512m'",
                problem="is not a JVM memory size",
                optional=True,
            )
        check_int(
            self, "executor_instances", self.executor_instances, minimum=1, maximum=100000, optional=True
        )
        check_int(self, "max_executors", self.max_executors, minimum=1, maximum=100000, optional=True)
        if self.dynamic_allocation is not None:
            check_bool(self, "dynamic_allocation", self.dynamic_allocation)
        if (
            self.max_executors is not None
            and self.executor_instances is not None
            and self.executor_instances > self.max_executors
        ):
            raise fail(
                "SparkResources",
                "executor_instances",
                self.executor_instances,
                f"is above max_executors={self.max_executors}",
                "executor_instances <= max_executors",
            )

    def to_conf(self) -> dict[str, str]:
        pairs = {
            "spark.driver.cores": self.driver_cores,
            "spark.driver.memory": self.driver_memory,
            "spark.executor.cores": self.executor_cores,
            "spark.executor.memory": self.executor_memory,
            "spark.executor.instances": self.executor_instances,
            "spark.dynamicAllocation.maxExecutors": self.max_executors,
            "spark.dynamicAllocation.enabled": (
                None if self.dynamic_allocation is None else str(self.dynamic_allocation).lower()
            ),
        }
        return {k: str(v) for k, v in pairs.items() if v is not None}


def spark_submit_parameters(
    conf: Mapping[str, str],
    *,
    resources: SparkResources | None = None,
    main_class: str | None = None,
    py_files: tuple[str, ...] = (),
    jars: tuple[str, ...] = (),
    files: tuple[str, ...] = (),
    archives: tuple[str, ...] = (),
    packages: tuple[str, ...] = (),
) -> str | None:
    """The ``sparkSubmitParameters`` string: ``--class`` then ``--conf key=value`` pairs.

    Files, jars and packages are passed as their ``spark.*`` properties so the string has one
    shape. ``conf`` wins over ``resources`` when both set a key. Returns None when empty.
    """
    merged: dict[str, str] = {}
    if resources is not None:
        merged.update(resources.to_conf())
    for key, items in (
        ("spark.submit.pyFiles", py_files),
        ("spark.jars", jars),
        ("spark.files", files),
        ("spark.archives", archives),
        ("spark.jars.packages", packages),
    ):
        if items:
            merged[key] = ",".join(items)
    merged.update(conf)
    parts: list[str] = []
    if main_class:
        parts += ["--class", main_class]
    for key, value in merged.items():
        parts += ["--conf", f"{key}={value}"]
    return " ".join(parts) or None


@dataclass(frozen=True, kw_only=True, slots=True)
class Monitoring:
    """Where job logs go: S3 and/or CloudWatch Logs. Give at least one destination.

    ``managed_persistence`` (EMR Serverless) and ``persistent_app_ui`` (EMR on EKS) keep the
    Spark UI available after the job ends; both default to on.
    """

    s3_log_uri: str | None = None
    cloudwatch_log_group: str | None = None
    cloudwatch_log_stream_prefix: str | None = None
    encryption_key_arn: str | None = None
    managed_persistence: bool = True
    persistent_app_ui: bool = True

    def __post_init__(self) -> None:
        check_s3_uri(self, "s3_log_uri", self.s3_log_uri, optional=True)
        check_str(
            self,
            "cloudwatch_log_group",
            self.cloudwatch_log_group,
            max_len=512,
            pattern=_LOG_GROUP,
            expected="a log group name like '/emr-dags/jobs'",
            optional=True,
        )
        check_str(
            self,
            "cloudwatch_log_stream_prefix",
            self.cloudwatch_log_stream_prefix,
            max_len=256,
            expected="a log stream prefix",
            optional=True,
        )
        check_str(
            self,
            "encryption_key_arn",
            self.encryption_key_arn,
            max_len=2048,
            pattern=_KMS_ARN,
            expected="a KMS key ARN",
            optional=True,
        )
        check_bool(self, "managed_persistence", self.managed_persistence)
        check_bool(self, "persistent_app_ui", self.persistent_app_ui)
        if self.s3_log_uri is None and self.cloudwatch_log_group is None:
            raise fail(
                "Monitoring",
                "s3_log_uri",
                None,
                "is missing and so is cloudwatch_log_group",
                "s3_log_uri='s3://bucket/logs/' and/or cloudwatch_log_group='/emr/jobs'",
                "Logs are how a failed job is diagnosed",
            )
        if self.cloudwatch_log_stream_prefix is not None and self.cloudwatch_log_group is None:
            raise fail(
                "Monitoring",
                "cloudwatch_log_stream_prefix",
                self.cloudwatch_log_stream_prefix,
                "is set without cloudwatch_log_group",
                "a cloudwatch_log_group too",
            )

    def to_serverless(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "managedPersistenceMonitoringConfiguration": {"enabled": self.managed_persistence},
        }
        if self.s3_log_uri is not None:
            s3: dict[str, Any] = {"logUri": self.s3_log_uri}
            if self.encryption_key_arn is not None:
                s3["encryptionKeyArn"] = self.encryption_key_arn
            out["s3MonitoringConfiguration"] = s3
        if self.cloudwatch_log_group is not None:
            cw: dict[str, Any] = {"enabled": True, "logGroupName": self.cloudwatch_log_group}
            if self.cloudwatch_log_stream_prefix is not None:
                cw["logStreamNamePrefix"] = self.cloudwatch_log_stream_prefix
            if self.encryption_key_arn is not None:
                cw["encryptionKeyArn"] = self.encryption_key_arn
            out["cloudWatchLoggingConfiguration"] = cw
        return out

    def to_eks(self) -> dict[str, Any]:
        out: dict[str, Any] = {"persistentAppUI": "ENABLED" if self.persistent_app_ui else "DISABLED"}
        if self.s3_log_uri is not None:
            out["s3MonitoringConfiguration"] = {"logUri": self.s3_log_uri}
        if self.cloudwatch_log_group is not None:
            cw: dict[str, Any] = {"logGroupName": self.cloudwatch_log_group}
            if self.cloudwatch_log_stream_prefix is not None:
                cw["logStreamNamePrefix"] = self.cloudwatch_log_stream_prefix
            out["cloudWatchMonitoringConfiguration"] = cw
        return out


_SPARK_PREFIXES = ("local:/", "file:/", "/")
_SPARK_PATH_EXPECTED = "an S3 URI like 's3://bucket/jobs/etl.py' (or local:///path in the image)"


def check_spark_driver(obj: Any) -> None:
    """Validate the Spark driver fields shared by ServerlessSparkJob and EksJobSpec."""
    check_path(
        obj,
        "entry_point",
        obj.entry_point,
        prefixes=_SPARK_PREFIXES,
        expected=_SPARK_PATH_EXPECTED,
        max_len=4096,
    )
    coerce_args(obj, "entry_point_args", obj.entry_point_args)
    check_str(
        obj,
        "main_class",
        obj.main_class,
        pattern=JAVA_CLASS,
        expected="a fully qualified class like 'com.acme.etl.Main'",
        problem="is not a Java class name",
        optional=True,
    )
    if obj.main_class is not None and not is_templated(obj.entry_point) and obj.entry_point.endswith(".py"):
        raise fail(
            type(obj).__name__,
            "main_class",
            obj.main_class,
            "is set for a Python entry point",
            "None for .py files",
            "main_class is only for JARs",
        )
    conf = coerce_str_mapping(
        obj,
        "conf",
        obj.conf,
        key_pattern=SPARK_CONF_KEY,
        key_expected="a key starting with 'spark.'",
    )
    check_joined(
        obj,
        "conf",
        conf,
        joined_into="sparkSubmitParameters",
        fix="Put this setting in configuration_overrides=[Configuration.spark_defaults({...})] instead",
    )
    if obj.resources is not None and not isinstance(obj.resources, SparkResources):
        raise fail(
            type(obj).__name__, "resources", obj.resources, "is not SparkResources", "SparkResources(...)"
        )
    for name in ("py_files", "jars", "files", "archives"):
        items = coerce_tuple(obj, name, getattr(obj, name), expected=f"a list of {_SPARK_PATH_EXPECTED}")
        for i, item in enumerate(items):
            check_path(obj, name, item, prefixes=_SPARK_PREFIXES, expected=_SPARK_PATH_EXPECTED, at=f"[{i}]")
        check_comma_items(obj, name, items)
    coerce_str_list(
        obj,
        "packages",
        obj.packages,
        pattern=MAVEN,
        expected="Maven coordinates 'group:artifact:version'",
        problem="is not a Maven coordinate",
    )
    check_comma_items(obj, "packages", obj.packages)


def render_spark_driver(obj: Any) -> dict[str, Any]:
    """``{"entryPoint", "entryPointArguments", "sparkSubmitParameters"}`` for a Spark job spec."""
    params = spark_submit_parameters(
        obj.conf,
        resources=obj.resources,
        main_class=obj.main_class,
        py_files=obj.py_files,
        jars=obj.jars,
        files=obj.files,
        archives=obj.archives,
        packages=obj.packages,
    )
    out: dict[str, Any] = {"entryPoint": obj.entry_point}
    if obj.entry_point_args:
        out["entryPointArguments"] = list(obj.entry_point_args)
    if params:
        out["sparkSubmitParameters"] = params
    return out


def check_overrides(obj: Any) -> None:
    items = coerce_tuple(
        obj, "configuration_overrides", obj.configuration_overrides, expected="a list of Configuration"
    )
    check_instances(obj, "configuration_overrides", items, Configuration, expected="a Configuration(...)")
    if obj.monitoring is not None and not isinstance(obj.monitoring, Monitoring):
        raise fail(
            type(obj).__name__,
            "monitoring",
            obj.monitoring,
            "is not Monitoring",
            "Monitoring(s3_log_uri=...)",
        )
