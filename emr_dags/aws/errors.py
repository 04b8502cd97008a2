"""Typed runtime errors raised when an EMR resource ends badly. They carry AWS's reason text."""

from __future__ import annotations

from emr_dags.errors import EmrDagsError


class EmrResourceFailed(EmrDagsError):
    """An EMR resource (cluster, step, job run) reached a failed terminal state.

    AWS's reason text (a step's ``FailureDetails.Message``, a job run's ``stateDetails``) can quote the
    job's own output, credentials included: message and reason are redacted like a diagnosis, since
    both end up in the task log.
    """

    def __init__(self, message: str, *, resource_id: str = "", state: str = "", reason: str = "") -> None:
        from emr_dags.diagnostics.redact import redact

        super().__init__(redact(message))
        self.resource_id = resource_id
        self.state = state
        self.reason = redact(reason)


class EmrClusterFailed(EmrResourceFailed):
    """The cluster terminated before it was ready, or with errors."""


class EmrStepFailed(EmrResourceFailed):
    """An EMR on EC2 step ended FAILED, CANCELLED or INTERRUPTED."""


class EmrJobRunFailed(EmrResourceFailed):
    """An EMR Serverless or EMR on EKS job run ended FAILED or CANCELLED."""
