"""Named starting points: one line for an analyst, every field still overridable.

Each preset is a function taking a few named knobs plus any :class:`ClusterSpec` field as a
keyword override (``dataclasses.replace`` semantics), e.g.::

    spot_spark_cluster(name="nightly", log_bucket="acme-emr-logs", core_units=8)
    dev_cluster(name="try-it", log_bucket="acme-emr-logs", idle_timeout_seconds=1800)
    trino_cluster(name="adhoc", log_bucket="acme-emr-logs").replace(subnet_ids=("subnet-0abc1234",))

Unknown override names raise :class:`~emr_dags.errors.EmrConfigError` listing the valid ones.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
from typing import Any

from emr_dags.specs._common import fail
from emr_dags.specs.cluster import (
    Application,
    ClusterSpec,
    EbsVolume,
    FleetInstanceType,
    InstanceFleet,
    InstanceGroup,
    InstanceRole,
    OnDemandProvisioning,
    SpotAllocationStrategy,
    SpotProvisioning,
    SpotTimeoutAction,
)
from emr_dags.specs.configuration import Configuration
from emr_dags.tags import PRESET

DEFAULT_RELEASE_LABEL = "emr-7.5.0"

#: Interchangeable general-purpose types for fleets; several types make Spot capacity likelier.
SPARK_FLEET_TYPES: tuple[str, ...] = ("m5.2xlarge", "m5a.2xlarge", "m6i.2xlarge", "m6a.2xlarge", "r5.2xlarge")
PRIMARY_FLEET_TYPES: tuple[str, ...] = ("m5.xlarge", "m5a.xlarge", "m6i.xlarge")


def _apply(spec: ClusterSpec, overrides: dict[str, Any], preset: str) -> ClusterSpec:
    fields = {f.name for f in dataclasses.fields(ClusterSpec)}
    options = [
        p.name
        for p in inspect.signature(PRESETS[preset]).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    for key in overrides:
        if key not in fields:
            close = difflib.get_close_matches(key, [*options, *sorted(fields)], n=1)
            raise fail(
                preset,
                key,
                overrides[key],
                f"is not an option of {preset} nor a ClusterSpec field",
                f"one of {preset}'s own options ({', '.join(options)}) "
                f"or a ClusterSpec field ({', '.join(sorted(fields))})",
                f"Did you mean {close[0]}=?" if close else "",
            )
    return dataclasses.replace(spec, **overrides) if overrides else spec


def dev_cluster(
    *,
    name: str,
    instance_type: str = "m5.xlarge",
    core_count: int = 1,
    release_label: str = DEFAULT_RELEASE_LABEL,
    **overrides: Any,
) -> ClusterSpec:
    """A small on-demand cluster for development: 1 primary + ``core_count`` core nodes.

    Spark, Hadoop and Hive; auto-terminates after 30 idle minutes. Not for production volumes.
    """
    base = ClusterSpec(
        name=name,
        release_label=release_label,
        applications=(Application.SPARK, Application.HADOOP, Application.HIVE),
        instance_groups=(
            InstanceGroup(role=InstanceRole.MASTER, instance_type=instance_type),
            InstanceGroup(role=InstanceRole.CORE, instance_type=instance_type, count=core_count),
        ),
        idle_timeout_seconds=1800,
        log_uri=overrides.pop("log_uri", None),
        log_bucket=overrides.pop("log_bucket", None),
        tags={PRESET: "dev"},
    )
    return _apply(base, overrides, "dev_cluster")


def spot_spark_cluster(
    *,
    name: str,
    core_units: int = 8,
    on_demand_core_units: int = 2,
    instance_types: tuple[str, ...] = SPARK_FLEET_TYPES,
    spot_timeout_minutes: int = 10,
    release_label: str = DEFAULT_RELEASE_LABEL,
    **overrides: Any,
) -> ClusterSpec:
    """A Spark cluster on instance fleets: on-demand primary, core mostly Spot.

    The core fleet asks for ``on_demand_core_units`` on-demand units (HDFS and the driver stay
    put when Spot is reclaimed) plus ``core_units`` Spot units across ``instance_types`` with the
    price-capacity-optimized strategy. If Spot is not provisioned within
    ``spot_timeout_minutes``, EMR switches to on-demand instead of failing the run.
    """
    types = tuple(FleetInstanceType(instance_type=t, ebs=(EbsVolume(size_gb=128),)) for t in instance_types)
    base = ClusterSpec(
        name=name,
        release_label=release_label,
        applications=(Application.SPARK, Application.HADOOP),
        instance_fleets=(
            InstanceFleet(
                role=InstanceRole.MASTER,
                instance_types=tuple(FleetInstanceType(instance_type=t) for t in PRIMARY_FLEET_TYPES),
                target_on_demand=1,
            ),
            InstanceFleet(
                role=InstanceRole.CORE,
                instance_types=types,
                target_on_demand=on_demand_core_units,
                target_spot=core_units,
                spot=SpotProvisioning(
                    timeout_minutes=spot_timeout_minutes,
                    timeout_action=SpotTimeoutAction.SWITCH_TO_ON_DEMAND,
                    allocation_strategy=SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
                ),
                on_demand=OnDemandProvisioning(),
            ),
        ),
        configurations=(
            Configuration.spark_defaults(
                {"spark.dynamicAllocation.enabled": True, "spark.decommission.enabled": True}
            ),
        ),
        log_uri=overrides.pop("log_uri", None),
        log_bucket=overrides.pop("log_bucket", None),
        tags={PRESET: "spot-spark"},
    )
    return _apply(base, overrides, "spot_spark_cluster")


def _sql_cluster(
    engine: Application,
    name: str,
    workers: int,
    worker_type: str,
    release_label: str,
    overrides: dict[str, Any],
    preset: str,
) -> ClusterSpec:
    connector = "trino-connector-hive" if engine is Application.TRINO else "presto-connector-hive"
    base = ClusterSpec(
        name=name,
        release_label=release_label,
        applications=(engine, Application.HADOOP, Application.HIVE),
        instance_groups=(
            InstanceGroup(role=InstanceRole.MASTER, instance_type="m5.2xlarge"),
            InstanceGroup(role=InstanceRole.CORE, instance_type=worker_type, count=workers),
        ),
        configurations=(
            Configuration(classification=connector, properties={"hive.metastore": "glue"}),
            *Configuration.glue_catalog(for_spark=False),
        ),
        idle_timeout_seconds=7200,
        log_uri=overrides.pop("log_uri", None),
        log_bucket=overrides.pop("log_bucket", None),
        tags={PRESET: engine.value.lower()},
    )
    return _apply(base, overrides, preset)


def trino_cluster(
    *,
    name: str,
    workers: int = 3,
    worker_type: str = "r5.2xlarge",
    release_label: str = DEFAULT_RELEASE_LABEL,
    **overrides: Any,
) -> ClusterSpec:
    """An interactive Trino cluster on on-demand groups (queries do not survive Spot loss),
    reading the Glue Data Catalog; auto-terminates after 2 idle hours.
    """
    return _sql_cluster(
        Application.TRINO, name, workers, worker_type, release_label, overrides, "trino_cluster"
    )


def presto_cluster(
    *,
    name: str,
    workers: int = 3,
    worker_type: str = "r5.2xlarge",
    release_label: str = DEFAULT_RELEASE_LABEL,
    **overrides: Any,
) -> ClusterSpec:
    """Like :func:`trino_cluster` with PrestoDB."""
    return _sql_cluster(
        Application.PRESTO, name, workers, worker_type, release_label, overrides, "presto_cluster"
    )


def flink_streaming_cluster(
    *,
    name: str,
    task_managers: int = 2,
    instance_type: str = "m5.xlarge",
    checkpoint_uri: str | None = None,
    release_label: str = DEFAULT_RELEASE_LABEL,
    **overrides: Any,
) -> ClusterSpec:
    """A long-running Flink cluster on on-demand groups (a reclaimed Spot node restarts the job).

    ``checkpoint_uri`` (``s3://...``) sets ``state.checkpoints.dir`` so a restarted job resumes.
    Auto-termination still applies: a running Flink YARN application keeps the cluster busy.
    """
    flink_conf: dict[str, Any] = {"state.backend.type": "rocksdb", "execution.checkpointing.interval": "60s"}
    if checkpoint_uri is not None:
        flink_conf["state.checkpoints.dir"] = checkpoint_uri
    base = ClusterSpec(
        name=name,
        release_label=release_label,
        applications=(Application.FLINK, Application.HADOOP),
        instance_groups=(
            InstanceGroup(role=InstanceRole.MASTER, instance_type=instance_type),
            InstanceGroup(role=InstanceRole.CORE, instance_type=instance_type, count=task_managers),
        ),
        configurations=(Configuration(classification="flink-conf", properties=flink_conf),),
        log_uri=overrides.pop("log_uri", None),
        log_bucket=overrides.pop("log_bucket", None),
        tags={PRESET: "flink-streaming"},
    )
    return _apply(base, overrides, "flink_streaming_cluster")


PRESETS = {
    "dev_cluster": dev_cluster,
    "spot_spark_cluster": spot_spark_cluster,
    "trino_cluster": trino_cluster,
    "presto_cluster": presto_cluster,
    "flink_streaming_cluster": flink_streaming_cluster,
}
