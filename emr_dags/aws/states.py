"""Every EMR, EMR Serverless and EMR on EKS state set, spelled once.

Product code and the dev kit's emulator (where it mirrors AWS) import these; nothing else spells
a state list. Tuples, not sets: they are passed as-is to list filters (``ClusterStates=``,
``states=``) and their order is the lifecycle order AWS documents.
"""

from __future__ import annotations

# -- EMR on EC2 clusters -----------------------------------------------------------------------
CLUSTER_ACTIVE = ("STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING")
"""A cluster that exists, costs money and can still run steps or be terminated."""
CLUSTER_STARTING = ("STARTING", "BOOTSTRAPPING")
CLUSTER_READY = ("RUNNING", "WAITING")
"""A cluster that accepts and runs steps now."""
CLUSTER_ENDED = ("TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS")
"""A cluster on its way out or gone: nothing more will run on it."""
CLUSTER_FINISHED = ("TERMINATED", "TERMINATED_WITH_ERRORS")
CLUSTER_FAILED = ("TERMINATED_WITH_ERRORS",)
CLUSTER_ALL = CLUSTER_ACTIVE + CLUSTER_ENDED
CLUSTER_NOT_ENDED = CLUSTER_ACTIVE + ("TERMINATING",)

# -- EMR on EC2 steps --------------------------------------------------------------------------
STEP_ACTIVE = ("PENDING", "CANCEL_PENDING", "RUNNING")
STEP_CANCELLABLE = ("PENDING", "RUNNING")
STEP_SUCCESS = ("COMPLETED",)
STEP_FAILED = ("CANCELLED", "FAILED", "INTERRUPTED")
STEP_TERMINAL = STEP_SUCCESS + STEP_FAILED
STEP_CANCELLED = ("CANCELLED", "CANCEL_PENDING")

# -- EMR Serverless applications and job runs --------------------------------------------------
SERVERLESS_APP_LIVE = ("CREATING", "CREATED", "STARTING", "STARTED", "STOPPING", "STOPPED")
SERVERLESS_APP_READY = ("CREATED", "STARTED", "STOPPED")
"""An application StartJobRun accepts (it auto-starts a stopped one)."""
SERVERLESS_APP_STARTING = ("STARTING", "STARTED")
SERVERLESS_APP_IDLE = ("CREATED", "STOPPED", "TERMINATED")
"""An application that runs nothing and bills nothing: no StopApplication needed."""
SERVERLESS_APP_STOPPING = ("STARTING", "STARTED", "STOPPING")
"""What an application passes through on its way to STOPPED after StopApplication."""
SERVERLESS_JOB_CANCELLABLE = ("SUBMITTED", "PENDING", "SCHEDULED", "RUNNING", "QUEUED")
"""A job run that costs money and that CancelJobRun can still stop."""
SERVERLESS_JOB_ACTIVE = SERVERLESS_JOB_CANCELLABLE + ("CANCELLING",)
"""A job run that has not reached a terminal state yet."""
SERVERLESS_JOB_SUCCESS = ("SUCCESS",)
SERVERLESS_JOB_FAILED = ("FAILED", "CANCELLED")
SERVERLESS_JOB_TERMINAL = SERVERLESS_JOB_SUCCESS + SERVERLESS_JOB_FAILED

# -- EMR on EKS virtual clusters and job runs --------------------------------------------------
EKS_VIRTUAL_CLUSTER_RUNNING = ("RUNNING",)
EKS_JOB_CANCELLABLE = ("PENDING", "SUBMITTED", "RUNNING")
EKS_JOB_ACTIVE = EKS_JOB_CANCELLABLE + ("CANCEL_PENDING",)
EKS_JOB_SUCCESS = ("COMPLETED",)
EKS_JOB_FAILED = ("FAILED", "CANCELLED")
EKS_JOB_TERMINAL = EKS_JOB_SUCCESS + EKS_JOB_FAILED

# -- across flavours ---------------------------------------------------------------------------
FAILED_OR_CANCELLING = frozenset(
    STEP_FAILED + SERVERLESS_JOB_FAILED + EKS_JOB_FAILED + ("CANCEL_PENDING", "CANCELLING")
)
"""A step or job run that did not (or will not) succeed: what a diagnosis treats as failed."""
