"""What the EMR page shows, computed from an inventory: pure functions, no HTTP and no AWS."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emr_dags.cost.model import CostEstimate, CostItem, rollup

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import datetime, timedelta

    from emr_dags.cost.prices import PriceTable
    from emr_dags.ops.inventory import ManagedResource
    from emr_dags.ops.reaper import Decision
    from emr_dags.ops.run_state import RunStateSource

STATE_FILTERS = ("all", "active", "ended")


def visible(
    resources: Iterable[ManagedResource], can_read_dag: Callable[[str], bool]
) -> list[ManagedResource]:
    """Only resources of DAGs the user may read; a resource without a DAG tag is shown to nobody."""
    allowed: dict[str, bool] = {}
    out = []
    for r in resources:
        if not r.dag_id:
            continue
        if r.dag_id not in allowed:
            allowed[r.dag_id] = can_read_dag(r.dag_id)
        if allowed[r.dag_id]:
            out.append(r)
    return out


def matches(r: ManagedResource, *, dag_id: str | None, state: str | None) -> bool:
    if dag_id and r.dag_id != dag_id:
        return False
    if not state or state == "all":
        return True
    if state == "active":
        return r.active
    if state == "ended":
        return not r.active
    return r.state.upper() == state.upper()


def orphans(resources: Sequence[ManagedResource], states: RunStateSource, now: datetime) -> list[Decision]:
    """Active resources whose DAG run has ended or whose deadline passed, plus those whose run is unknown."""
    from emr_dags.ops.reaper import Action, plan

    decisions = plan([r for r in resources if r.active], states, now=now)
    return [d for d in decisions if d.action is Action.REAP or "not found" in d.reason]


@dataclass(frozen=True, kw_only=True, slots=True)
class DagCost:
    dag_id: str
    runs: int
    resources: int
    estimate: CostEstimate
    per_run: tuple[tuple[str, CostEstimate], ...]
    # run_id -> ((task group, estimate), ...); "" is the DAG's top level
    per_group: dict[str, tuple[tuple[str, CostEstimate], ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id,
            "runs": self.runs,
            "resources": self.resources,
            **self.estimate.to_dict(),
            "per_run": [
                {
                    "run_id": run_id,
                    **e.to_dict(),
                    "task_groups": [
                        {"task_group": g, **ge.to_dict()} for g, ge in self.per_group.get(run_id, ())
                    ],
                }
                for run_id, e in self.per_run
            ],
        }


def cost_by_dag(table: PriceTable, resources: Iterable[ManagedResource]) -> list[DagCost]:
    """Per-DAG (and per-run within it) estimated cost, most expensive first."""
    items = [
        CostItem(dag_id=r.dag_id, run_id=r.run_id, task_id=r.task_id, estimate=r.cost, resource_id=r.id)
        for r in resources
        if r.cost is not None
    ]
    by_run = rollup(table, items, by="run")
    by_group = rollup(table, items, by="group")
    counts: dict[str, int] = {}
    for item in items:
        counts[item.dag_id] = counts.get(item.dag_id, 0) + 1
    out = []
    for (dag_id,), est in rollup(table, items, by="dag").items():
        runs = tuple((run_id, e) for (d, run_id), e in by_run.items() if d == dag_id)
        groups: dict[str, list[tuple[str, CostEstimate]]] = {}
        for (d, run_id, group), e in by_group.items():
            if d == dag_id:
                groups.setdefault(run_id, []).append((group, e))
        out.append(
            DagCost(
                dag_id=dag_id,
                runs=len(runs),
                resources=counts[dag_id],
                estimate=est,
                per_run=runs,
                per_group={k: tuple(v) for k, v in groups.items()},
            )
        )
    out.sort(key=lambda c: -(c.estimate.amount or 0.0))
    return out


def human_age(age: timedelta | None) -> str:
    if age is None:
        return "-"
    seconds = int(age.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h {seconds % 3600 // 60}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600}h"
