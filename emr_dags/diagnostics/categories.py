"""The stable failure categories a diagnosis can end in.

The *values* are part of the public contract (JSON output, alert routing, dashboards): never rename
one; add new members at the end.
"""

from __future__ import annotations

from enum import StrEnum


class FailureCategory(StrEnum):
    """Why a step or job run failed, as far as its logs tell."""

    PYTHON_EXCEPTION = "python_exception"
    PYTHON_MODULE_MISSING = "python_module_missing"
    JVM_EXCEPTION = "jvm_exception"
    SPARK_ANALYSIS_ERROR = "spark_analysis_error"
    S3_PATH_NOT_FOUND = "s3_path_not_found"
    S3_ACCESS_DENIED = "s3_access_denied"
    IAM_PERMISSION_DENIED = "iam_permission_denied"
    DRIVER_OUT_OF_MEMORY = "driver_out_of_memory"
    EXECUTOR_OUT_OF_MEMORY = "executor_out_of_memory"
    CLASS_NOT_FOUND = "class_not_found"
    HIVE_QUERY_ERROR = "hive_query_error"
    TRINO_QUERY_ERROR = "trino_query_error"
    NODE_LOST_OR_SPOT_INTERRUPTED = "node_lost_or_spot_interrupted"
    BOOTSTRAP_FAILURE = "bootstrap_failure"
    DISK_FULL = "disk_full"
    TIMEOUT_OR_CANCELLED = "timeout_or_cancelled"
    UNKNOWN = "unknown"
    NO_FAILURE_FOUND = "no_failure_found"

    @property
    def label(self) -> str:
        """A short human label, e.g. ``Executor out of memory``."""
        return LABELS[self]


LABELS: dict[FailureCategory, str] = {
    FailureCategory.PYTHON_EXCEPTION: "Python exception",
    FailureCategory.PYTHON_MODULE_MISSING: "Python module missing",
    FailureCategory.JVM_EXCEPTION: "JVM exception",
    FailureCategory.SPARK_ANALYSIS_ERROR: "Spark analysis error (table, column or path not found)",
    FailureCategory.S3_PATH_NOT_FOUND: "S3 path not found",
    FailureCategory.S3_ACCESS_DENIED: "S3 access denied",
    FailureCategory.IAM_PERMISSION_DENIED: "IAM permission denied",
    FailureCategory.DRIVER_OUT_OF_MEMORY: "Driver out of memory",
    FailureCategory.EXECUTOR_OUT_OF_MEMORY: "Executor out of memory",
    FailureCategory.CLASS_NOT_FOUND: "Class not found (missing jar or wrong class name)",
    FailureCategory.HIVE_QUERY_ERROR: "Hive query error",
    FailureCategory.TRINO_QUERY_ERROR: "Trino/Presto query error",
    FailureCategory.NODE_LOST_OR_SPOT_INTERRUPTED: "Node lost or Spot instance interrupted",
    FailureCategory.BOOTSTRAP_FAILURE: "Bootstrap action failed",
    FailureCategory.DISK_FULL: "Disk full",
    FailureCategory.TIMEOUT_OR_CANCELLED: "Timed out or cancelled",
    FailureCategory.UNKNOWN: "Failed, cause not recognised",
    FailureCategory.NO_FAILURE_FOUND: "No failure found in the logs",
}
