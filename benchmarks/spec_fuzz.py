"""Seeded fuzz of invalid values against every public spec class in ``emr_dags.specs`` (issue 12 item 8).

For every string and number field (and list / mapping of strings) of every spec class, invalid
values of these categories are put into an otherwise valid spec:

  trailing-newline, edge-whitespace, non-ascii (Arabic-Indic digits, accented / Cyrillic letters
  in fields AWS restricts to ASCII), nul, lone-surrogate, control-char, overlong, empty,
  wrong-type, bad-bucket (S3 bucket naming rules), out-of-range (numbers).

Each value must be refused with :class:`EmrConfigError` whose ``field`` is the fuzzed field.
The report gives, overall and per class: invalid values tried, rejected naming the field,
rejected naming another field, crashes (any other exception) and accepted values (listed).
Exit status 1 if anything was accepted, crashed or named the wrong field.

Run:  PYTHONPATH=. .venv/bin/python benchmarks/spec_fuzz.py [--seed 12] [--per-field 0] [--json]

``--per-field N`` keeps a seeded sample of N values per field (0 = all); the unit test runs a sample.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import json
import random
import sys
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from emr_dags import specs as S
from emr_dags.errors import EmrConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ROLE = "arn:aws:iam::123456789012:role/job"
_ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
BAD_BUCKETS = (
    "ab",
    "a" * 64,
    "Acme-Code",
    "acme_code",
    "acme..code",
    "-acme",
    "acme-",
    "acme.-code",
    "192.168.10.1",
    "xn--acme",
    "sthree-acme",
    "acme-s3alias",
    "acme--ol-s3",
    "acme code",
    "acme\u0435",  # Cyrillic 'е'
)

# --- field kinds ------------------------------------------------------------------------------
# ident: ASCII-restricted by AWS (ids, labels, ARNs, class names, patterns)
# name:  free-form single-line text (non-ASCII letters are fine, controls and edge spaces are not)
# text:  free-form multi-line text (queries): only NUL, controls, surrogates, length, type
# s3 / path / bucket: S3 URIs (path: or an absolute path), bucket names
# int(lo, hi) / float(lo, hi) / bool: numbers; strlist(kind) / args / map(key kind): collections


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str
    lo: float | None = None
    hi: float | None = None
    element: str = ""
    required: bool = True
    empty_ok: bool = False  # "" means "not given" (e.g. EksJobSpec.virtual_cluster_id: looked up by name)


def k(
    name: str,
    lo: float | None = None,
    hi: float | None = None,
    *,
    element: str = "",
    opt: bool = False,
    empty_ok: bool = False,
) -> Kind:
    return Kind(name, lo, hi, element, not opt, empty_ok)


def _spark_job(**kw: Any) -> dict[str, Any]:
    return {"name": "job", "execution_role_arn": ROLE, "entry_point": "s3://acme-code/job.py", **kw}


_SPARK_DRIVER = {
    "entry_point": k("path"),
    "entry_point_args": k("args"),
    "main_class": k("ident", opt=True),
    "conf": k("map", element="ident"),
    "py_files": k("strlist", element="path"),
    "jars": k("strlist", element="path"),
    "files": k("strlist", element="path"),
    "archives": k("strlist", element="path"),
    "packages": k("strlist", element="ident"),
    "tags": k("map", element="name"),
}
_STEP = {"name": k("name"), "extra": k("extra"), "action_on_failure": k("enum")}

# class -> (valid baseline kwargs, {field: kind}, {field: baseline changes while it is fuzzed})
CLASSES: dict[type, tuple[dict[str, Any], dict[str, Kind], dict[str, dict[str, Any]]]] = {
    S.BootstrapAction: (
        {"name": "install", "path": "s3://acme-code/bootstrap.sh", "args": ["--x", "1"]},
        {"name": k("name"), "path": k("path"), "args": k("args")},
        {},
    ),
    S.ClusterSpec: (
        {
            "name": "nightly",
            "release_label": "emr-7.5.0",
            "log_bucket": "acme-emr-logs",
            "instance_groups": (S.InstanceGroup(role="MASTER", instance_type="m5.xlarge"),),
            "log_encryption_kms_key_id": "alias/emr-logs",
            "security_configuration": "sec",
            "autoscaling_role": "EMR_AutoScaling_DefaultRole",
            "subnet_ids": ("subnet-0abc1234",),
            "ec2_key_name": "ops-key",
            "custom_ami_id": "ami-0abc1234def567890",
            "ebs_root_volume_size_gb": 20,
            "os_release_label": "2.0.20240709.1",
            "emr_managed_master_security_group": "sg-0abc1234",
            "additional_master_security_groups": ("sg-0abc1235",),
            "tags": {"team": "data"},
        },
        {
            "name": k("name"),
            "release_label": k("ident"),
            "log_uri": k("s3", opt=True),
            "log_bucket": k("bucket", opt=True),
            "log_encryption_kms_key_id": k("ident", opt=True),
            "idle_timeout_seconds": k("int", 60, 604800),
            "step_concurrency": k("int", 1, 256),
            "security_configuration": k("name", opt=True),
            "service_role": k("ident"),
            "job_flow_role": k("ident"),
            "autoscaling_role": k("ident", opt=True),
            "subnet_ids": k("strlist", element="ident"),
            "ec2_key_name": k("ident", opt=True),
            "emr_managed_master_security_group": k("ident", opt=True),
            "emr_managed_slave_security_group": k("ident", opt=True),
            "service_access_security_group": k("ident", opt=True),
            "additional_master_security_groups": k("strlist", element="ident"),
            "additional_slave_security_groups": k("strlist", element="ident"),
            "custom_ami_id": k("ident", opt=True),
            "ebs_root_volume_size_gb": k("int", 15, 100, opt=True),
            "os_release_label": k("ident", opt=True),
            "tags": k("map", element="name"),
            "keep_alive": k("bool"),
            "termination_protected": k("bool"),
            "visible_to_all_users": k("bool"),
            "on_outposts": k("bool"),
            "extra": k("extra"),
            "scale_down_behavior": k("enum", opt=True),
        },
        {"log_uri": {"log_bucket": None, "log_uri": "s3://acme-emr-logs/logs/"}},
    ),
    S.CommandStep: (
        {
            "name": "cmd",
            "argv": ["hadoop", "fs", "-ls", "/"],
            "jar": "command-runner.jar",
            "main_class": "a.B",
        },
        {**_STEP, "argv": k("args"), "jar": k("path"), "main_class": k("ident", opt=True)},
        {},
    ),
    S.Configuration: (
        {"classification": "spark-defaults", "properties": {"spark.x": "1"}},
        {"classification": k("ident"), "properties": k("map", element="name")},
        {},
    ),
    S.EbsVolume: (
        {"size_gb": 100, "volume_type": "gp3", "iops": 3000, "throughput_mibps": 125},
        {
            "size_gb": k("int", 1, 16384),
            "volumes_per_instance": k("int", 1, 25),
            "iops": k("int", 100, 256000, opt=True),
            "throughput_mibps": k("int", 125, 1000, opt=True),
            "volume_type": k("enum"),
        },
        {},
    ),
    S.EksJobSpec: (
        {
            "virtual_cluster_id": "abc123",
            "name": "job",
            "release_label": "emr-7.5.0-latest",
            "execution_role_arn": ROLE,
            "entry_point": "s3://acme-code/job.jar",
            "main_class": "com.acme.Main",
            "max_attempts": 2,
        },
        {
            "virtual_cluster_id": k("ident", opt=True, empty_ok=True),
            "name": k("ident"),
            "release_label": k("ident"),
            "execution_role_arn": k("ident"),
            "max_attempts": k("int", 1, 10, opt=True),
            "extra": k("extra"),
            **_SPARK_DRIVER,
        },
        {},
    ),
    S.FleetInstanceType: (
        {
            "instance_type": "m5.xlarge",
            "bid_price": "0.5",
            "priority": 1.0,
            "custom_ami_id": "ami-0abc1234def567890",
        },
        {
            "instance_type": k("ident"),
            "weighted_capacity": k("int", 1, 1000),
            "bid_price": k("ident", opt=True),
            "bid_price_as_percentage_of_on_demand": k("float", 0.0001, 1000, opt=True),
            "priority": k("float", 0, None, opt=True),
            "custom_ami_id": k("ident", opt=True),
            "extra": k("extra"),
        },
        {"bid_price_as_percentage_of_on_demand": {"bid_price": None}},
    ),
    S.FlinkStep: (
        {
            "name": "flink",
            "jar": "s3://acme-code/f.jar",
            "main_class": "a.B",
            "parallelism": 2,
            "properties": {"taskmanager.numberOfTaskSlots": "2"},
        },
        {
            **_STEP,
            "jar": k("path"),
            "args": k("args"),
            "main_class": k("ident", opt=True),
            "parallelism": k("int", 1, 32768, opt=True),
            "properties": k("map", element="ident"),
            "detached": k("bool"),
            "mode": k("enum"),
        },
        {},
    ),
    S.HiveStep: (
        {
            "name": "hive",
            "script": "s3://acme-code/q.hql",
            "variables": {"DT": "2024-01-01"},
            "hiveconf": {"hive.exec.parallel": "true"},
        },
        {
            **_STEP,
            "script": k("path", opt=True),
            "query": k("text", opt=True),
            "variables": k("map", element="ident"),
            "hiveconf": k("map", element="ident"),
        },
        {"query": {"script": None, "query": "SELECT 1"}},
    ),
    S.InstanceFleet: (
        {
            "role": "CORE",
            "instance_types": (S.FleetInstanceType(instance_type="m5.xlarge"),),
            "target_on_demand": 2,
            "name": "core",
        },
        {
            "target_on_demand": k("int", 0, 100000),
            "target_spot": k("int", 0, 100000),
            "name": k("name", opt=True),
            "role": k("enum"),
            "extra": k("extra"),
        },
        {},
    ),
    S.InstanceGroup: (
        {
            "role": "CORE",
            "instance_type": "m5.xlarge",
            "count": 2,
            "name": "core",
            "custom_ami_id": "ami-0abc1234def567890",
        },
        {
            "instance_type": k("ident"),
            "count": k("int", 1, 1000),
            "name": k("name", opt=True),
            "custom_ami_id": k("ident", opt=True),
            "role": k("enum"),
            "market": k("enum"),
            "bid_price": k("ident", opt=True),
            "extra": k("extra"),
        },
        {},
    ),
    S.ManagedScaling: (
        {"minimum_units": 2, "maximum_units": 10, "maximum_on_demand_units": 4, "maximum_core_units": 4},
        {
            "minimum_units": k("int", 1, 100000),
            "maximum_units": k("int", 1, 100000),
            "maximum_on_demand_units": k("int", 0, None, opt=True),
            "maximum_core_units": k("int", 1, None, opt=True),
            "extra": k("extra"),
            "unit": k("enum", opt=True),
        },
        {},
    ),
    S.MaximumCapacity: (
        {"cpu": 100, "memory_gb": 400, "disk_gb": 2000},
        {
            "cpu": k("int", 1, 1000000),
            "memory_gb": k("int", 1, 10000000),
            "disk_gb": k("int", 20, 100000000, opt=True),
        },
        {},
    ),
    S.Monitoring: (
        {
            "s3_log_uri": "s3://acme-logs/jobs/",
            "cloudwatch_log_group": "/emr/jobs",
            "cloudwatch_log_stream_prefix": "etl",
            "encryption_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        },
        {
            "s3_log_uri": k("s3", opt=True),
            "cloudwatch_log_group": k("ident", opt=True),
            "cloudwatch_log_stream_prefix": k("name", opt=True),
            "encryption_key_arn": k("ident", opt=True),
            "managed_persistence": k("bool"),
            "persistent_app_ui": k("bool"),
        },
        {},
    ),
    S.NetworkConfig: (
        {"subnet_ids": ("subnet-0abc1234",), "security_group_ids": ("sg-0abc1234",)},
        {"subnet_ids": k("strlist", element="ident"), "security_group_ids": k("strlist", element="ident")},
        {},
    ),
    S.OnDemandProvisioning: ({}, {"allocation_strategy": k("enum")}, {}),
    S.PrestoStep: (
        {
            "name": "p",
            "query": "SELECT 1",
            "catalog": "hive",
            "schema": "default",
            "output_format": "CSV",
            "server": "localhost:8889",
            "session": {"query_max_run_time": "1h"},
        },
        {
            **_STEP,
            "query": k("text"),
            "catalog": k("ident", opt=True),
            "schema": k("ident", opt=True),
            "output_format": k("ident", opt=True),
            "server": k("ident", opt=True),
            "session": k("map", element="ident"),
        },
        {},
    ),
    S.S3DistCpStep: (
        {
            "name": "copy",
            "src": "s3://acme-data/in/",
            "dest": "hdfs:///data/in/",
            "src_pattern": ".*\\.gz",
            "group_by": ".*(part).*",
            "target_size_mib": 128,
        },
        {
            **_STEP,
            "src": k("path"),
            "dest": k("path"),
            "src_pattern": k("name", opt=True),
            "group_by": k("name", opt=True),
            "target_size_mib": k("int", 1, None, opt=True),
            "extra_args": k("args"),
            "s3_server_side_encryption": k("bool"),
            "delete_on_success": k("bool"),
            "output_codec": k("enum", opt=True),
        },
        {},
    ),
    S.ServerlessApplicationSpec: (
        {
            "name": "etl",
            "release_label": "emr-7.5.0",
            "image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/spark:1",
            "tags": {"team": "data"},
        },
        {
            "name": k("ident"),
            "release_label": k("ident"),
            "idle_timeout_minutes": k("int", 1, 10080),
            "image_uri": k("ident", opt=True),
            "tags": k("map", element="name"),
            "auto_start": k("bool"),
            "auto_stop": k("bool"),
            "type": k("enum"),
            "architecture": k("enum"),
            "extra": k("extra"),
        },
        {},
    ),
    S.ServerlessHiveJob: (
        {
            "name": "hive",
            "execution_role_arn": ROLE,
            "query": "s3://acme-code/q.sql",
            "init_query": "s3://acme-code/init.sql",
            "hivevar": {"DT": "2024-01-01"},
            "hiveconf": {"hive.exec.parallel": "true"},
        },
        {
            "name": k("name"),
            "execution_role_arn": k("ident"),
            "query": k("s3"),
            "init_query": k("s3", opt=True),
            "hivevar": k("map", element="ident"),
            "hiveconf": k("map", element="ident"),
            "execution_timeout_minutes": k("int", 1, 1000000),
            "tags": k("map", element="name"),
            "extra": k("extra"),
        },
        {},
    ),
    S.ServerlessSparkJob: (
        _spark_job(entry_point="s3://acme-code/job.jar", main_class="com.acme.Main"),
        {
            "name": k("name"),
            "execution_role_arn": k("ident"),
            "execution_timeout_minutes": k("int", 1, 1000000),
            "extra": k("extra"),
            **_SPARK_DRIVER,
        },
        {},
    ),
    S.ShellScriptStep: (
        {"name": "sh", "script": "s3://acme-code/run.sh", "region": "eu-west-1"},
        {
            **_STEP,
            "script": k("s3"),
            "args": k("args"),
            "region": k("ident", opt=True),
            "script_runner_jar": k("s3", opt=True),
        },
        {"script_runner_jar": {"region": None}},
    ),
    S.SparkResources: (
        {
            "driver_cores": 2,
            "driver_memory": "4g",
            "executor_cores": 4,
            "executor_memory": "8g",
            "executor_instances": 2,
            "max_executors": 10,
        },
        {
            "driver_cores": k("int", 1, 256, opt=True),
            "executor_cores": k("int", 1, 256, opt=True),
            "driver_memory": k("ident", opt=True),
            "executor_memory": k("ident", opt=True),
            "executor_instances": k("int", 1, 100000, opt=True),
            "max_executors": k("int", 1, 100000, opt=True),
            "dynamic_allocation": k("bool", opt=True),
        },
        {"executor_instances": {"max_executors": None}},
    ),
    S.SparkStep: (
        {
            "name": "spark",
            "entry_point": "s3://acme-code/job.jar",
            "main_class": "com.acme.Main",
            "conf": {"spark.x": "1"},
            "driver_memory": "4g",
            "executor_memory": "8g",
            "executor_cores": 2,
            "num_executors": 4,
        },
        {
            **_STEP,
            "entry_point": k("path"),
            "args": k("args"),
            "main_class": k("ident", opt=True),
            "conf": k("map", element="ident"),
            "packages": k("strlist", element="ident"),
            "py_files": k("strlist", element="path"),
            "jars": k("strlist", element="path"),
            "files": k("strlist", element="path"),
            "master": k("ident"),
            "driver_memory": k("ident", opt=True),
            "executor_memory": k("ident", opt=True),
            "executor_cores": k("int", 1, 256, opt=True),
            "num_executors": k("int", 1, 100000, opt=True),
            "deploy_mode": k("enum"),
            "action_on_failure": k("enum"),
        },
        {},
    ),
    S.SpotProvisioning: (
        {"timeout_minutes": 10},
        {"timeout_minutes": k("int", 5, 1440), "timeout_action": k("enum"), "allocation_strategy": k("enum")},
        {},
    ),
    S.Step: ({"name": "base"}, {**_STEP, "action_on_failure": k("enum")}, {}),
    S.TrinoStep: (
        {
            "name": "t",
            "query": "SELECT 1",
            "catalog": "hive",
            "schema": "default",
            "output_format": "CSV",
            "server": "localhost:8889",
            "session": {"query_max_run_time": "1h"},
        },
        {
            **_STEP,
            "query": k("text"),
            "catalog": k("ident", opt=True),
            "schema": k("ident", opt=True),
            "output_format": k("ident", opt=True),
            "server": k("ident", opt=True),
            "session": k("map", element="ident"),
        },
        {},
    ),
    S.WorkerCapacity: (
        {"count": 1, "cpu": 4, "memory_gb": 16, "disk_gb": 100},
        {
            "count": k("int", 1, 1000000),
            "cpu": k("int", 1, 16),
            "memory_gb": k("int", 1, 120),
            "disk_gb": k("int", 20, 2000, opt=True),
        },
        {},
    ),
}


# --- invalid values per kind ---------------------------------------------------------------------


def _non_ascii(valid: str) -> Iterator[str]:
    if any(ch.isdigit() for ch in valid):
        yield valid.translate(_ARABIC)
    for i, ch in enumerate(valid):
        if ch.isascii() and ch.isalpha():
            yield valid[:i] + ("é" if ch.islower() else "É") + valid[i + 1 :]
            yield valid[:i] + "\u0430" + valid[i + 1 :]  # Cyrillic 'а'
            yield valid[:i] + chr(0xFF21 + (ord(ch.upper()) - 65)) + valid[i + 1 :]  # fullwidth
            break


def string_invalids(kind: str, valid: str) -> Iterator[tuple[str, Any]]:
    """(category, value) for a string field of ``kind`` whose valid example is ``valid``."""
    mid = len(valid) // 2
    yield "nul", valid[:mid] + "\x00" + valid[mid:]
    yield "nul", valid + "\x00"
    yield "lone-surrogate", valid[:mid] + "\ud800" + valid[mid:]
    yield "lone-surrogate", valid + "\udfff"
    yield "control-char", valid[:mid] + "\x07" + valid[mid:]
    yield "control-char", valid + "\x1b[31m"
    yield "overlong", valid + "x" * 20000
    yield "empty", ""
    yield "wrong-type", 7
    yield "wrong-type", 3.5
    yield "wrong-type", b"bytes"
    yield "wrong-type", ["value"]
    if kind == "text":
        return
    yield "trailing-newline", valid + "\n"
    yield "trailing-newline", valid + "\r\n"
    yield "edge-whitespace", " " + valid
    yield "edge-whitespace", valid + " "
    yield "edge-whitespace", valid + "\t"
    if kind in ("ident", "s3", "path", "bucket"):
        for value in _non_ascii(valid):
            yield "non-ascii", value
    if kind == "bucket":
        for bucket in BAD_BUCKETS:
            yield "bad-bucket", bucket
    if kind in ("s3", "path"):
        for bucket in BAD_BUCKETS:
            yield "bad-bucket", f"s3://{bucket}/key/x.py"


def number_invalids(kind: Kind) -> Iterator[tuple[str, Any]]:
    if kind.lo is not None:
        yield "out-of-range", (kind.lo - 1 if kind.name == "int" else kind.lo - 0.0001)
        yield "out-of-range", -(10**12)
    if kind.hi is not None:
        yield "out-of-range", (kind.hi + 1 if kind.name == "int" else kind.hi + 0.5)
        yield "out-of-range", 10**15
    if kind.name == "float":
        yield "out-of-range", float("nan")
        if kind.hi is not None:
            yield "out-of-range", float("inf")
    else:
        yield "wrong-type", 4.0
        yield "wrong-type", float("nan")
    yield "wrong-type", "4"
    yield "wrong-type", "٤"  # Arabic-Indic four
    yield "wrong-type", True
    yield "wrong-type", [4]


EXAMPLES = {"ident": "abc123", "name": "my name", "path": "s3://acme-code/a.py", "s3": "s3://acme-code/a.py"}


def field_invalids(kind: Kind, valid: Any) -> Iterator[tuple[str, Any]]:
    if kind.required and kind.name != "extra":
        yield "wrong-type", None
    if kind.name in ("ident", "name", "text", "s3", "path", "bucket"):
        invalids = string_invalids(
            kind.name, valid if isinstance(valid, str) else EXAMPLES.get(kind.name, "abc")
        )
        yield from ((c, v) for c, v in invalids if not (kind.empty_ok and v == ""))
    elif kind.name in ("int", "float"):
        yield from number_invalids(kind)
    elif kind.name == "bool":
        yield from (("wrong-type", v) for v in ("true", 1, 0, "False"))
    elif kind.name == "enum":
        yield from (("wrong-type", v) for v in ("no-such-value", 5, "", ["a"]))
        if isinstance(valid, enum.Enum):
            yield "trailing-newline", f"{valid.value}\n"
            yield "edge-whitespace", f" {valid.value}"
    elif kind.name == "extra":
        yield from (("wrong-type", v) for v in ("Key=Value", ["a"], {1: "a"}, {"": "a"}))
    elif kind.name in ("strlist", "args"):
        yield from _list_invalids(kind, valid)
    elif kind.name == "map":
        yield from _map_invalids(kind, valid)


# Zero digits of scripts whose digits str.isdigit() and a Unicode \d accept but AWS does not.
_DIGIT_ZEROS = (0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0xFF10)
_CONTROLS = [*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]


def seeded_invalids(rng: random.Random, kind: Kind, valid: Any) -> Iterator[tuple[str, Any]]:
    """Random (but seeded) variants: a control character, a lone surrogate and, for ASCII-only
    fields, a digit from another script, each at a random position."""
    if (
        kind.name not in ("ident", "name", "text", "s3", "path", "bucket")
        or not isinstance(valid, str)
        or not valid
    ):
        return
    at = rng.randrange(len(valid) + 1)
    yield "control-char", valid[:at] + chr(rng.choice(_CONTROLS)) + valid[at:]
    at = rng.randrange(len(valid) + 1)
    yield "lone-surrogate", valid[:at] + chr(rng.randrange(0xD800, 0xE000)) + valid[at:]
    digits = [i for i, ch in enumerate(valid) if ch.isascii() and ch.isdigit()]
    if kind.name in ("ident", "s3", "path", "bucket") and digits:
        i = rng.choice(digits)
        yield "non-ascii", valid[:i] + chr(rng.choice(_DIGIT_ZEROS) + int(valid[i])) + valid[i + 1 :]


def _list_invalids(kind: Kind, valid: Any) -> Iterator[tuple[str, Any]]:
    items = list(valid) if valid else []
    yield "wrong-type", "a b"
    yield "wrong-type", "single"
    yield "wrong-type", {"a": "b"}
    yield "wrong-type", 5
    yield "wrong-type", [*items, object()]
    yield "wrong-type", [*items, None]
    if kind.name == "args":
        for category, value in (
            ("nul", "a\x00b"),
            ("lone-surrogate", "\ud800"),
            ("control-char", "\x07bell"),
            ("overlong", "x" * 20000),
        ):
            yield category, [*items, value]
        yield "out-of-range", [*items, float("nan")]
        return
    example = items[0] if items else EXAMPLES.get(kind.element, "abc")
    for category, value in field_invalids(Kind(kind.element), example):
        if value is not None and isinstance(value, str):
            yield category, [value]


def _map_invalids(kind: Kind, valid: Any) -> Iterator[tuple[str, Any]]:
    pairs = dict(valid) if valid else {"key": "value"}
    key, value = next(iter(pairs.items()))
    yield "wrong-type", ["a", "b"]
    yield "wrong-type", "key=value"
    yield "wrong-type", {key: object()}
    yield "wrong-type", {5: value}
    yield "empty", {"": value}
    yield "trailing-newline", {key + "\n": value}
    yield "edge-whitespace", {" " + key: value}
    yield "nul", {key: value + "\x00"}
    yield "nul", {key + "\x00": value}
    yield "lone-surrogate", {key: "\udc80"}
    yield "control-char", {key: "\x1b[0m"}
    yield "overlong", {key: "x" * 20000}
    if kind.element == "ident":
        yield "edge-whitespace", {key: value + " --evil"}
        yield "trailing-newline", {key: value + "\n"}
        yield "non-ascii", {key.replace(key[0], "é", 1): value}


# --- the run -------------------------------------------------------------------------------------


@dataclasses.dataclass
class Outcome:
    cls: str
    field: str
    category: str
    value: Any
    result: str  # "named" | "other-field" | "crash" | "accepted"
    detail: str = ""


def cases(seed: int, per_field: int) -> Iterator[tuple[type, str, str, Any, dict[str, Any]]]:
    rng = random.Random(seed)
    for cls, (base, fields, contexts) in CLASSES.items():
        for name, kind in fields.items():
            valid = {**base, **contexts.get(name, {})}
            example = valid.get(name, _default(cls, name))
            values = [*field_invalids(kind, example), *seeded_invalids(rng, kind, example)]
            if per_field and len(values) > per_field:
                values = rng.sample(values, per_field)
            for category, value in values:
                yield cls, name, category, value, {**valid, name: value}


def _default(cls: type, name: str) -> Any:
    for f in dataclasses.fields(cls):
        if f.name == name and f.default is not dataclasses.MISSING:
            return f.default
    return None


def run(seed: int = 12, per_field: int = 0) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for cls, name, category, value, kwargs in cases(seed, per_field):
        label = cls.__name__
        try:
            cls(**kwargs)
        except EmrConfigError as exc:
            result = "named" if exc.field == name else "other-field"
            outcomes.append(Outcome(label, name, category, value, result, str(exc)[:200]))
        except Exception as exc:
            outcomes.append(
                Outcome(label, name, category, value, "crash", f"{type(exc).__name__}: {exc}"[:200])
            )
        else:
            outcomes.append(Outcome(label, name, category, value, "accepted"))
    return outcomes


def uncovered_fields() -> list[str]:
    """String / number / collection-of-string fields of public spec classes the fuzz does not cover."""
    missing: list[str] = []
    public = [getattr(S, n) for n in S.__all__]
    for cls in public:
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            continue
        if cls not in CLASSES:
            missing.append(f"{cls.__name__} (class)")
            continue
        fields = CLASSES[cls][1]
        for f in dataclasses.fields(cls):
            t = str(f.type)
            scalar = any(w in t for w in ("str", "int", "float", "bool"))
            nested = any(
                w in t
                for w in (
                    "Configuration",
                    "Step,",
                    "Group",
                    "Fleet",
                    "Ebs",
                    "Scaling",
                    "Capacity",
                    "Provisioning",
                    "Monitoring",
                    "Resources",
                    "Network",
                    "Application |",
                    "FleetInstanceType",
                    "BootstrapAction",
                )
            )
            if scalar and not nested and f.name not in fields:
                missing.append(f"{cls.__name__}.{f.name}")
    return missing


def report(outcomes: list[Outcome], out: Callable[[str], None] = print) -> bool:
    totals = Counter(o.result for o in outcomes)
    by_class: dict[str, Counter[str]] = defaultdict(Counter)
    for o in outcomes:
        by_class[o.cls][o.result] += 1
    out(f"invalid values: {len(outcomes)} across {len(by_class)} spec classes")
    out(f"rejected naming the field: {totals['named']}")
    out(f"rejected naming another field: {totals['other-field']}")
    out(f"crashes (not EmrConfigError): {totals['crash']}")
    out(f"accepted: {totals['accepted']}")
    out("")
    out(f"{'class':28} {'tried':>6} {'named':>6} {'other':>6} {'crash':>6} {'accepted':>8}")
    for cls in sorted(by_class):
        c = by_class[cls]
        out(
            f"{cls:28} {sum(c.values()):6} {c['named']:6} {c['other-field']:6} {c['crash']:6} {c['accepted']:8}"
        )
    out("")
    out(
        "by category: "
        + ", ".join(f"{k}={v}" for k, v in sorted(Counter(o.category for o in outcomes).items()))
    )
    bad = [o for o in outcomes if o.result != "named"]
    for o in bad:
        out(f"  {o.result.upper():12} {o.cls}.{o.field} [{o.category}] {o.value!r:.80} {o.detail}")
    missing = uncovered_fields()
    for name in missing:
        out(f"  UNCOVERED    {name}")
    return not bad and not missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--per-field", type=int, default=0, help="seeded sample per field (0 = all values)")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args(argv)
    outcomes = run(args.seed, args.per_field)
    if args.json:
        print(json.dumps(Counter(o.result for o in outcomes) | {"total": len(outcomes)}))
        return 0 if all(o.result == "named" for o in outcomes) else 1
    return 0 if report(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
