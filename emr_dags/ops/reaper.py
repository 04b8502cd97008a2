"""The orphan reaper: stop what emr-dags started when the DAG run that owned it is over.

A resource is reaped only if all of these hold:

1. it carries ``emr-dags:managed=true``, the ``emr-dags:deployment`` tag of *this* deployment, and a
   key tag that is the hash of its dag/run/task tags (checked when listed *and* again right before
   acting), so copied or edited tags, or another deployment's resources, are never acted on;
2. it is still active (a cluster not yet terminating, a job run not yet finished);
3. the DAG run named by its tags has finished (``success``/``failed``), or Airflow does not know
   that run and either its ``emr-dags:deadline`` has passed or ``reap_missing=True``. While the DAG
   run is live the deadline tag is ignored (any user may set a tag); a run whose state cannot be
   read is left alone.

:func:`plan` decides (pure, no AWS writes); :func:`execute` acts on a plan and logs one line per
action. Dry run is simply "plan, print, stop".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from emr_dags import tags
from emr_dags.aws.states import CLUSTER_ACTIVE, EKS_JOB_CANCELLABLE, SERVERLESS_JOB_CANCELLABLE
from emr_dags.ops.inventory import Kind, ManagedResource
from emr_dags.ops.run_state import (
    FINISHED_STATES,
    CachedRunStates,
    RunStateSource,
    RunStateUnavailable,
    normalize,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from emr_dags.aws.clients import AwsClients

log = logging.getLogger(__name__)


class Action(StrEnum):
    REAP = "reap"
    KEEP = "keep"


class Outcome(StrEnum):
    PLANNED = "planned"  # dry run
    DONE = "done"
    SKIPPED = "skipped"  # re-check before acting said no
    FAILED = "failed"


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    resource: ManagedResource
    action: Action
    reason: str
    run_state: str | None = None

    @property
    def verb(self) -> str:
        return "terminate" if self.resource.kind is Kind.CLUSTER else "cancel"

    def to_dict(self) -> dict[str, Any]:
        r = self.resource
        return {
            "action": self.action.value,
            "verb": self.verb,
            "reason": self.reason,
            "run_state": self.run_state,
            "kind": r.kind.value,
            "id": r.id,
            "parent_id": r.parent_id,
            "state": r.state,
            "dag_id": r.dag_id,
            "run_id": r.run_id,
            "task_id": r.task_id,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Result:
    decision: Decision
    outcome: Outcome
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**self.decision.to_dict(), "outcome": self.outcome.value, "detail": self.detail}


def decide(
    resource: ManagedResource,
    states: RunStateSource,
    *,
    now: datetime,
    reap_missing: bool = False,
    deployment: str | None = None,
) -> Decision:
    """Whether one resource is an orphan of ``deployment`` (default: this one), and why (the reason
    is shown to humans verbatim)."""
    if not resource.managed:
        return Decision(resource=resource, action=Action.KEEP, reason="not tagged emr-dags:managed=true")
    if not resource.active:
        return Decision(resource=resource, action=Action.KEEP, reason=f"already {resource.state}")
    problem = tags.ownership_problem(resource.tags, deployment or tags.deployment_id())
    if problem is not None:
        return Decision(resource=resource, action=Action.KEEP, reason=f"not this deployment's: {problem}")
    try:
        state = normalize(states(resource.dag_id, resource.run_id))
    except RunStateUnavailable as exc:
        return Decision(resource=resource, action=Action.KEEP, reason=f"DAG run state unknown ({exc})")
    if state in FINISHED_STATES:
        return Decision(
            resource=resource, action=Action.REAP, reason=f"DAG run ended ({state})", run_state=state
        )
    if state is not None:  # live: a deadline tag (user-settable) never overrides a running DAG run
        return Decision(resource=resource, action=Action.KEEP, reason=f"DAG run is {state}", run_state=state)
    deadline = resource.deadline
    if deadline is not None and deadline <= now:
        return Decision(
            resource=resource,
            action=Action.REAP,
            reason=f"DAG run not found in Airflow and deadline {deadline.isoformat()} has passed",
        )
    if reap_missing:
        return Decision(resource=resource, action=Action.REAP, reason="DAG run not found in Airflow")
    return Decision(
        resource=resource,
        action=Action.KEEP,
        reason="DAG run not found in Airflow (reap with --reap-missing)",
    )


def plan(
    resources: Iterable[ManagedResource],
    states: RunStateSource,
    *,
    now: datetime | None = None,
    reap_missing: bool = False,
    deployment: str | None = None,
) -> list[Decision]:
    now = now or datetime.now(UTC)
    deployment = deployment or tags.deployment_id()
    cached = CachedRunStates(states)
    decisions = [
        decide(r, cached, now=now, reap_missing=reap_missing, deployment=deployment) for r in resources
    ]
    for d in decisions:
        log.info(
            "Reaper: %s %s %s (%s/%s): %s",
            d.action.value,
            d.resource.kind.value,
            d.resource.id,
            d.resource.dag_id,
            d.resource.run_id,
            d.reason,
        )
    return decisions


# --- acting ---------------------------------------------------------------------------------------


def _current(clients: AwsClients, r: ManagedResource) -> tuple[dict[str, str], str, tuple[str, ...]]:
    """Tags and state as AWS reports them now, and the states in which acting still makes sense."""
    if r.kind is Kind.CLUSTER:
        c = clients.emr.describe_cluster(ClusterId=r.id)["Cluster"]
        return (
            {t["Key"]: t.get("Value", "") for t in c.get("Tags", [])},
            c["Status"]["State"],
            CLUSTER_ACTIVE,
        )
    if r.kind is Kind.SERVERLESS:
        j = clients.serverless.get_job_run(applicationId=r.parent_id, jobRunId=r.id)["jobRun"]
        t = j.get("tags")
        if t is None:
            t = clients.serverless.list_tags_for_resource(resourceArn=j["arn"]).get("tags", {})
        return dict(t), j["state"], SERVERLESS_JOB_CANCELLABLE
    eks = clients.containers.describe_job_run(id=r.id, virtualClusterId=r.parent_id)["jobRun"]
    eks_tags = eks.get("tags")
    if eks_tags is None:
        eks_tags = clients.containers.list_tags_for_resource(resourceArn=eks["arn"]).get("tags", {})
    return dict(eks_tags), eks["state"], EKS_JOB_CANCELLABLE


def _stop(clients: AwsClients, r: ManagedResource) -> None:
    if r.kind is Kind.CLUSTER:
        clients.emr.terminate_job_flows(JobFlowIds=[r.id])
    elif r.kind is Kind.SERVERLESS:
        clients.serverless.cancel_job_run(applicationId=r.parent_id, jobRunId=r.id)
    else:
        clients.containers.cancel_job_run(id=r.id, virtualClusterId=r.parent_id)


def act_on(clients: AwsClients, decision: Decision, *, deployment: str | None = None) -> Result:
    """Stop one resource after proving, against AWS's current answer, that it is still this
    deployment's (consistent tags) and live."""
    r = decision.resource
    try:
        current_tags, state, active_states = _current(clients, r)
        problem = tags.ownership_problem(current_tags, deployment or tags.deployment_id())
        if problem is not None:
            log.warning("Skipped %s %s: %s", r.kind.value, r.id, problem)
            return Result(decision=decision, outcome=Outcome.SKIPPED, detail=f"not ours: {problem}")
        if state not in active_states:
            log.info("Skipped %s %s: already %s", r.kind.value, r.id, state)
            return Result(decision=decision, outcome=Outcome.SKIPPED, detail=f"already {state}")
        _stop(clients, r)
    except Exception as exc:  # one failure must not stop the pass; it is reported per resource
        log.error("Failed to %s %s %s: %s", decision.verb, r.kind.value, r.id, exc)
        return Result(decision=decision, outcome=Outcome.FAILED, detail=str(exc))
    log.info(
        "Reaper: %sd %s %s (dag_id=%s run_id=%s task_id=%s): %s",
        decision.verb,
        r.kind.value,
        r.id,
        r.dag_id,
        r.run_id,
        r.task_id,
        decision.reason,
    )
    return Result(decision=decision, outcome=Outcome.DONE)


def execute(
    clients: AwsClients,
    decisions: Iterable[Decision],
    *,
    dry_run: bool = True,
    deployment: str | None = None,
) -> list[Result]:
    """Act on every REAP decision (or, in a dry run, only say what would be done)."""
    results = []
    for d in decisions:
        if d.action is not Action.REAP:
            continue
        if dry_run:
            log.info(
                "Reaper (dry run): would %s %s %s: %s", d.verb, d.resource.kind.value, d.resource.id, d.reason
            )
            results.append(Result(decision=d, outcome=Outcome.PLANNED))
        else:
            results.append(act_on(clients, d, deployment=deployment))
    return results


def reap(
    clients: AwsClients,
    states: RunStateSource,
    *,
    dry_run: bool = True,
    reap_missing: bool = False,
    now: datetime | None = None,
    deployment: str | None = None,
) -> tuple[list[Decision], list[Result], tuple[str, ...]]:
    """One reaper pass: list our active resources, decide, act (unless ``dry_run``).

    ``deployment`` (default :func:`emr_dags.tags.deployment_id`) is whose resources may be acted on.
    """
    from emr_dags.ops.inventory import collect

    deployment = deployment or tags.deployment_id()
    inventory = collect(clients, table=None, active_only=True, now=now)
    decisions = plan(inventory.resources, states, now=now, reap_missing=reap_missing, deployment=deployment)
    return decisions, execute(clients, decisions, dry_run=dry_run, deployment=deployment), inventory.warnings
