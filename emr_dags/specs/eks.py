"""EMR on EKS job runs: :class:`EksJobSpec`, rendered as emr-containers StartJobRun kwargs."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emr_dags.specs._common import (
    check_int,
    check_role_arn,
    check_str,
    coerce_extra,
    coerce_tags,
    deep_merge,
    fail,
)
from emr_dags.specs.jobs import (
    Monitoring,
    SparkResources,
    check_overrides,
    check_spark_driver,
    render_spark_driver,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from emr_dags.specs.configuration import Configuration

_VIRTUAL_CLUSTER_ID = re.compile(r"[0-9a-z]+", re.ASCII)
_JOB_NAME = re.compile(r"[.\-_/#A-Za-z0-9]+", re.ASCII)
# EMR on EKS labels carry a suffix: emr-7.5.0-latest, emr-6.15.0-20240105, emr-6.11.0-java17-latest.
EKS_RELEASE_LABEL = re.compile(r"emr-[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(-[a-z0-9]+)+", re.ASCII)


@dataclass(frozen=True, kw_only=True, slots=True)
class EksJobSpec:
    """A Spark job on an EMR on EKS virtual cluster. ``to_start_job_run()`` renders StartJobRun
    kwargs without ``clientToken`` (the operator adds a deterministic one).

    ``virtual_cluster_id`` may be left out (None or "") when the operator or ``eks_jobs`` is given
    ``virtual_cluster_id=`` or ``virtual_cluster_name=`` (found at run time).
    """

    name: str
    release_label: str
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
    max_attempts: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    virtual_cluster_id: str | None = None

    def __post_init__(self) -> None:
        if self.virtual_cluster_id == "":  # an empty template (e.g. a Param): look it up by name
            object.__setattr__(self, "virtual_cluster_id", None)
        check_str(
            self,
            "virtual_cluster_id",
            self.virtual_cluster_id,
            max_len=64,
            pattern=_VIRTUAL_CLUSTER_ID,
            expected="a virtual cluster id like 'a1b2c3d4e5f6g7h8i9j0k1l2m'",
            fix="or leave it out and give the operator virtual_cluster_name=",
            optional=True,
        )
        check_str(
            self,
            "name",
            self.name,
            max_len=64,
            pattern=_JOB_NAME,
            expected="1-64 of A-Z a-z 0-9 . - _ / #",
            problem="has characters EMR on EKS does not allow",
        )
        check_str(
            self,
            "release_label",
            self.release_label,
            max_len=64,
            pattern=EKS_RELEASE_LABEL,
            expected="an EMR on EKS release label like 'emr-7.5.0-latest'",
            problem="is not an EMR on EKS release label",
        )
        check_role_arn(self, "execution_role_arn", self.execution_role_arn)
        check_spark_driver(self)
        check_str(
            self,
            "entry_point",
            self.entry_point,
            max_len=256,
            expected="an entry point of at most 256 characters",
        )
        for i, arg in enumerate(self.entry_point_args):
            if not arg.strip():
                raise fail(
                    "EksJobSpec",
                    "entry_point_args",
                    arg,
                    "is blank",
                    "a non-blank argument (EMR on EKS rejects blank ones)",
                    at=f"[{i}]",
                )
        check_overrides(self)
        check_int(self, "max_attempts", self.max_attempts, minimum=1, maximum=10, optional=True)
        coerce_tags(self, "tags", self.tags)
        coerce_extra(self, "extra", self.extra)

    def replace(self, **changes: Any) -> EksJobSpec:
        return dataclasses.replace(self, **changes)

    def to_start_job_run(self) -> dict[str, Any]:
        request: dict[str, Any] = {
            **({"virtualClusterId": self.virtual_cluster_id} if self.virtual_cluster_id else {}),
            "name": self.name,
            "executionRoleArn": self.execution_role_arn,
            "releaseLabel": self.release_label,
            "jobDriver": {"sparkSubmitJobDriver": render_spark_driver(self)},
        }
        overrides: dict[str, Any] = {}
        if self.configuration_overrides:
            overrides["applicationConfiguration"] = [c.to_api() for c in self.configuration_overrides]
        if self.monitoring is not None:
            overrides["monitoringConfiguration"] = self.monitoring.to_eks()
        if overrides:
            request["configurationOverrides"] = overrides
        if self.max_attempts is not None:
            request["retryPolicyConfiguration"] = {"maxAttempts": self.max_attempts}
        if self.tags:
            request["tags"] = dict(self.tags)
        return deep_merge(request, self.extra)
