"""emr-dags: typed, exactly-once Airflow 3 building blocks for Amazon EMR.

Public names load lazily (a name -> module map behind ``__getattr__``) so that importing
``emr_dags`` in a DAG file costs almost nothing and never imports boto3 or provider operators.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"

# name -> module that defines it. Modules are imported on first attribute access.
_LAZY: dict[str, str] = {}


def _register(module: str, *names: str) -> None:
    for name in names:
        _LAZY[name] = module


_register("emr_dags.errors", "EmrConfigError", "EmrDagsError")
_register(
    "emr_dags.specs",
    "ClusterSpec", "InstanceGroup", "InstanceFleet", "FleetInstanceType", "SpotProvisioning",
    "OnDemandProvisioning", "EbsVolume", "ManagedScaling", "BootstrapAction", "Configuration",
    "Application", "InstanceRole", "Market", "SpotTimeoutAction", "SpotAllocationStrategy",
    "ActionOnFailure", "SparkStep", "HiveStep", "TrinoStep", "PrestoStep", "FlinkStep",
    "ShellScriptStep", "CommandStep", "S3DistCpStep", "ServerlessApplicationSpec", "ServerlessSparkJob",
    "ServerlessHiveJob", "WorkerCapacity", "WorkerType", "MaximumCapacity", "NetworkConfig", "EksJobSpec",
    "SparkResources", "Monitoring", "validate_request", "render_templates", "add_job_flow_steps_request",
)  # fmt: skip
_register("emr_dags.task_groups.emr", "transient_cluster_pipeline", "existing_cluster_steps")
_register("emr_dags.task_groups.serverless", "serverless_pipeline")
_register("emr_dags.task_groups.eks", "eks_jobs")
_register(
    "emr_dags.operators.emr",
    "EmrCreateClusterOperator", "EmrStepOperator", "EmrTerminateClusterOperator", "EmrFindClusterOperator",
)  # fmt: skip
_register(
    "emr_dags.operators.serverless",
    "EmrServerlessApplicationOperator", "EmrServerlessJobOperator", "EmrServerlessStopApplicationOperator",
)  # fmt: skip
_register("emr_dags.operators.eks", "EmrEksJobOperator")
_register("emr_dags.sensors.emr", "EmrStepsSensor")
_register("emr_dags.sensors.serverless", "EmrServerlessJobsSensor")
_register("emr_dags.sensors.eks", "EmrEksJobsSensor")
_register("emr_dags.aws.errors", "EmrResourceFailed", "EmrClusterFailed", "EmrStepFailed", "EmrJobRunFailed")
_register("emr_dags.diagnostics", "Diagnosis", "FailureCategory", "diagnose_paths", "diagnose_emr_step")
_register(
    "emr_dags.specs.presets",
    "dev_cluster", "spot_spark_cluster", "trino_cluster", "presto_cluster", "flink_streaming_cluster",
)  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'emr_dags' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
