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
    "BootstrapAction",
    "ClusterSpec",
    "CommandStep",
    "Configuration",
    "DeployMode",
    "EbsVolume",
    "FleetInstanceType",
    "FlinkMode",
    "FlinkStep",
    "HiveStep",
    "InstanceFleet",
    "InstanceGroup",
    "InstanceRole",
    "ManagedScaling",
    "Market",
    "OnDemandAllocationStrategy",
    "OnDemandProvisioning",
    "PrestoStep",
    "S3DistCpCodec",
    "S3DistCpStep",
    "ScaleDownBehavior",
    "ScalingUnit",
    "ShellScriptStep",
    "SparkStep",
    "SpotAllocationStrategy",
    "SpotProvisioning",
    "SpotTimeoutAction",
    "Step",
    "TrinoStep",
    "VolumeType",
    "add_job_flow_steps_request",
    "validate_request",
]
