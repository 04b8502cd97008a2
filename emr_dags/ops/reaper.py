"""The orphan reaper: stop what emr-dags started when the DAG run that owned it is over.

A resource is reaped only if all of these hold:

1. it carries ``emr-dags:managed=true`` (checked when listed *and* again right before acting),
2. it is still active (a cluster not yet terminating, a job run not yet finished),
3. its ``emr-dags:deadline`` has passed, or the DAG run named by its tags has finished
   (``success``/``failed``). A run Airflow does not know is reported, and reaped only with
   ``reap_missing=True``; a run whose state cannot be read is left alone.

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
from emr_dags.ops.inventory import (
    ACTIVE_CLUSTER_STATES,
    ACTIVE_EKS_STATES,
    ACTIVE_SERVERLESS_STATES,
    Kind,
    ManagedResource,
)
from emr_dags.ops.run_state import (
    FINISHED_STATES,
    CachedRunStates,
    RunStateSource,
    RunStateUnavailable,
    normalize,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from emr_dags.ops.clients import AwsClients

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
    resource: ManagedResource, states: RunStateSource, *, now: datetime, reap_missing: bool = False
) -> Decision:
    """Whether one resource is an orphan, and why (the reason is shown to humans verbatim)."""
    if not resource.managed:
        return Decision(resource=resource, action=Action.KEEP, reason="not tagged emr-dags:managed=true")
    if not resource.active:
        return Decision(resource=resource, action=Action.KEEP, reason=f"already {resource.state}")
    deadline = resource.deadline
    if deadline is not None and deadline <= now:
        return Decision(
            resource=resource, action=Action.REAP, reason=f"deadline {deadline.isoformat()} has passed"
        )
    if not resource.dag_id or not resource.run_id:
        return Decision(
            resource=resource, action=Action.KEEP, reason="no DAG run tags; only a deadline could reap it"
        )
    try:
        state = normalize(states(resource.dag_id, resource.run_id))
    except RunStateUnavailable as exc:
        return Decision(resource=resource, action=Action.KEEP, reason=f"DAG run state unknown ({exc})")
    if state is None:
        if reap_missing:
            return Decision(resource=resource, action=Action.REAP, reason="DAG run not found in Airflow")
        return Decision(
            resource=resource,
            action=Action.KEEP,
            reason="DAG run not found in Airflow (reap with --reap-missing)",
        )
    if state in FINISHED_STATES:
        return Decision(
            resource=resource, action=Action.REAP, reason=f"DAG run ended ({state})", run_state=state
        )
    return Decision(resource=resource, action=Action.KEEP, reason=f"DAG run is {state}", run_state=state)


def plan(
    resources: Iterable[ManagedResource],
    states: RunStateSource,
    *,
    now: datetime | None = None,
    reap_missing: bool = False,
) -> list[Decision]:
    now = now or datetime.now(UTC)
    cached = CachedRunStates(states)
    decisions = [decide(r, cached, now=now, reap_missing=reap_missing) for r in resources]
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
            ACTIVE_CLUSTER_STATES,
        )
    if r.kind is Kind.SERVERLESS:
        j = clients.serverless.get_job_run(applicationId=r.parent_id, jobRunId=r.id)["jobRun"]
        t = j.get("tags")
        if t is None:
            t = clients.serverless.list_tags_for_resource(resourceArn=j["arn"]).get("tags", {})
        return dict(t), j["state"], ACTIVE_SERVERLESS_STATES
    j = clients.containers.describe_job_run(id=r.id, virtualClusterId=r.parent_id)["jobRun"]
    t = j.get("tags")
    if t is None:
        t = clients.containers.list_tags_for_resource(resourceArn=j["arn"]).get("tags", {})
    return dict(t), j["state"], ACTIVE_EKS_STATES


def _stop(clients: AwsClients, r: ManagedResource) -> None:
    if r.kind is Kind.CLUSTER:
        clients.emr.terminate_job_flows(JobFlowIds=[r.id])
    elif r.kind is Kind.SERVERLESS:
        clients.serverless.cancel_job_run(applicationId=r.parent_id, jobRunId=r.id)
    else:
        clients.containers.cancel_job_run(id=r.id, virtualClusterId=r.parent_id)


def act_on(clients: AwsClients, decision: Decision) -> Result:
    """Stop one resource after proving, against AWS's current answer, that it is still ours and live."""
    r = decision.resource
    try:
        current_tags, state, active_states = _current(clients, r)
        if current_tags.get(tags.MANAGED) != "true":
            log.warning("Skipped %s %s: no longer tagged emr-dags:managed=true", r.kind.value, r.id)
            return Result(decision=decision, outcome=Outcome.SKIPPED, detail="not tagged as ours")
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


def execute(clients: AwsClients, decisions: Iterable[Decision], *, dry_run: bool = True) -> list[Result]:
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
            results.append(act_on(clients, d))
    return results


def reap(
    clients: AwsClients,
    states: RunStateSource,
    *,
    dry_run: bool = True,
    reap_missing: bool = False,
    now: datetime | None = None,
) -> tuple[list[Decision], list[Result], tuple[str, ...]]:
    """One reaper pass: list our active resources, decide, act (unless ``dry_run``)."""
    from emr_dags.ops.inventory import collect

    inventory = collect(clients, table=None, active_only=True, now=now)
    decisions = plan(inventory.resources, states, now=now, reap_missing=reap_missing)
    return decisions, execute(clients, decisions, dry_run=dry_run), inventory.warnings
