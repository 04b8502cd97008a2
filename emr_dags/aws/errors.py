"""Typed runtime errors raised when an EMR resource ends badly. They carry AWS's reason text."""

from __future__ import annotations

from emr_dags.errors import EmrDagsError


class EmrResourceFailed(EmrDagsError):
    """An EMR resource (cluster, step, job run) reached a failed terminal state."""

    def __init__(self, message: str, *, resource_id: str = "", state: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.resource_id = resource_id
        self.state = state
        self.reason = reason


class EmrClusterFailed(EmrResourceFailed):
    """The cluster terminated before it was ready, or with errors."""


class EmrStepFailed(EmrResourceFailed):
    """An EMR on EC2 step ended FAILED, CANCELLED or INTERRUPTED."""


class EmrJobRunFailed(EmrResourceFailed):
    """An EMR Serverless or EMR on EKS job run ended FAILED or CANCELLED."""
