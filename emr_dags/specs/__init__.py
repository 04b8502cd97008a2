"""Typed, frozen specs for EMR on EC2, EMR Serverless and EMR on EKS; pure Python, no AWS calls.

Each spec validates itself at construction (raising :class:`~emr_dags.errors.EmrConfigError`)
and renders its AWS request: ``ClusterSpec.to_run_job_flow()``, ``SparkStep.to_step()``,
``ServerlessSparkJob.to_start_job_run(app_id)``, ``EksJobSpec.to_start_job_run()``.
:func:`validate_request` checks a rendered request against botocore's service model (lazily).
"""

from __future__ import annotations

from emr_dags.specs.cluster import (
    Application,
    BootstrapAction,
    ClusterSpec,
    EbsVolume,
    FleetInstanceType,
    InstanceFleet,
    InstanceGroup,
    InstanceRole,
    ManagedScaling,
    Market,
    OnDemandAllocationStrategy,
    OnDemandProvisioning,
    ScaleDownBehavior,
    ScalingUnit,
    SpotAllocationStrategy,
    SpotProvisioning,
    SpotTimeoutAction,
    VolumeType,
)
from emr_dags.specs.configuration import Configuration
from emr_dags.specs.eks import EksJobSpec
from emr_dags.specs.jobs import Monitoring, SparkResources, spark_submit_parameters
from emr_dags.specs.presets import (
    DEFAULT_RELEASE_LABEL,
    dev_cluster,
    flink_streaming_cluster,
    presto_cluster,
    spot_spark_cluster,
    trino_cluster,
)
from emr_dags.specs.rendering import render_templates
from emr_dags.specs.serverless import (
    ApplicationType,
    Architecture,
    MaximumCapacity,
    NetworkConfig,
    ServerlessApplicationSpec,
    ServerlessHiveJob,
    ServerlessSparkJob,
    WorkerCapacity,
    WorkerType,
)
from emr_dags.specs.steps import (
    ActionOnFailure,
    CommandStep,
    DeployMode,
    FlinkMode,
    FlinkStep,
    HiveStep,
    PrestoStep,
    S3DistCpCodec,
    S3DistCpStep,
    ShellScriptStep,
    SparkStep,
    Step,
    TrinoStep,
    add_job_flow_steps_request,
)
from emr_dags.specs.validation import validate_request

__all__ = [
    "ActionOnFailure",
    "Application",
    "ApplicationType",
    "Architecture",
    "BootstrapAction",
    "ClusterSpec",
    "CommandStep",
    "Configuration",
    "DEFAULT_RELEASE_LABEL",
    "DeployMode",
    "EbsVolume",
    "EksJobSpec",
    "FleetInstanceType",
    "FlinkMode",
    "FlinkStep",
    "HiveStep",
    "InstanceFleet",
    "InstanceGroup",
    "InstanceRole",
    "ManagedScaling",
    "Market",
    "MaximumCapacity",
    "Monitoring",
    "NetworkConfig",
    "OnDemandAllocationStrategy",
    "OnDemandProvisioning",
    "PrestoStep",
    "S3DistCpCodec",
    "S3DistCpStep",
    "ScaleDownBehavior",
    "ScalingUnit",
    "ServerlessApplicationSpec",
    "ServerlessHiveJob",
    "ServerlessSparkJob",
    "ShellScriptStep",
    "SparkResources",
    "SparkStep",
    "SpotAllocationStrategy",
    "SpotProvisioning",
    "SpotTimeoutAction",
    "Step",
    "TrinoStep",
    "VolumeType",
    "WorkerCapacity",
    "WorkerType",
    "add_job_flow_steps_request",
    "dev_cluster",
    "flink_streaming_cluster",
    "presto_cluster",
    "render_templates",
    "spark_submit_parameters",
    "spot_spark_cluster",
    "trino_cluster",
    "validate_request",
]
