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


def orphans(
    resources: Sequence[ManagedResource], states: RunStateSource, now: datetime, deployment: str | None = None
) -> list[Decision]:
    """This deployment's active resources whose DAG run has ended (REAP), plus, shown but never
    terminable (KEEP), those whose DAG run Airflow does not know."""
    from emr_dags.ops.reaper import Action, plan

    decisions = plan([r for r in resources if r.active], states, now=now, deployment=deployment)
    return [d for d in decisions if d.action is Action.REAP or d.reason.startswith("DAG run not found")]


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


# --- the diagnosis of one task try ------------------------------------------------------------

# Airflow ids are at most 250 characters (ID_LEN); longer values cannot name anything.
MAX_ID_LEN = 250
# Live task-instance states of a try that has not started running (its start_date, if any, is the
# previous try's): such a try cannot have stored anything yet.
NOT_STARTED_STATES = frozenset(
    {None, "", "none", "scheduled", "queued", "upstream_failed", "skipped", "removed"}
)


class BadDiagnosisQuery(ValueError):
    """A query parameter of the diagnosis view is missing or malformed; the message names the fix."""


class DiagnosisNotFound(LookupError):
    """No diagnosis for the asked try; the message says why, naming the dag, run and task."""


@dataclass(frozen=True, kw_only=True, slots=True)
class TaskTry:
    """One try of one task instance, as the diagnosis link names it (``try_number`` None: the latest)."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1
    try_number: int | None = None

    def describe(self) -> str:
        where = f"dag_id={self.dag_id!r}, run_id={self.run_id!r}, task_id={self.task_id!r}"
        if self.map_index >= 0:
            where += f", map_index={self.map_index}"
        return where + (f", try {self.try_number}" if self.try_number is not None else "")


def _int_param(name: str, raw: str | None, *, minimum: int, expected: str) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise BadDiagnosisQuery(f"{name}: {raw!r} is not valid; expected {expected}")
    return value


def task_try_from_query(
    dag_id: str | None,
    run_id: str | None,
    task_id: str | None,
    map_index: str | None = None,
    try_number: str | None = None,
) -> TaskTry:
    """Validate the view's query parameters (all strings, as they arrive) into a :class:`TaskTry`."""
    ids = {"dag_id": dag_id, "run_id": run_id, "task_id": task_id}
    missing = [name for name, value in ids.items() if not value]
    if missing:
        raise BadDiagnosisQuery(
            f"missing query parameter(s): {', '.join(missing)}; expected "
            "?dag_id=...&run_id=...&task_id=...[&map_index=N][&try_number=N] "
            "(the task's 'Probable cause' link carries all of them)"
        )
    for name, value in ids.items():
        if len(str(value)) > MAX_ID_LEN:
            raise BadDiagnosisQuery(
                f"{name}: longer than {MAX_ID_LEN} characters, so it names nothing in Airflow"
            )
    index = _int_param(
        "map_index",
        map_index,
        minimum=-1,
        expected="an integer, -1 (not mapped, the default) or a map index >= 0",
    )
    tried = _int_param(
        "try_number", try_number, minimum=1, expected="an integer >= 1 (omit it for the latest try)"
    )
    return TaskTry(
        dag_id=str(dag_id),
        run_id=str(run_id),
        task_id=str(task_id),
        map_index=-1 if index is None else index,
        try_number=tried,
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class TryRecord:
    """What the metadata DB says about one try (task_instance_history, or the live task instance)."""

    try_number: int
    state: str | None
    start_date: datetime | None

    @property
    def started(self) -> bool:
        return self.state not in NOT_STARTED_STATES


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredDiagnosis:
    """A task instance's tries and its ``diagnosis`` XCom (None when there is none)."""

    tries: tuple[TryRecord, ...]
    value: Any = None
    pushed_at: datetime | None = None
    region_name: str | None = None  # from the step/job link payload, for the S3 console link
    aws_domain: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class FoundDiagnosis:
    task: TaskTry  # try_number resolved
    diagnosis: dict[str, Any]
    source_url: str | None  # the S3 console for an s3:// source

    def to_dict(self) -> dict[str, Any]:
        return {
            "dag_id": self.task.dag_id,
            "run_id": self.task.run_id,
            "task_id": self.task.task_id,
            "map_index": self.task.map_index,
            "try_number": self.task.try_number,
            "diagnosis": self.diagnosis,
            "source_console_url": self.source_url,
        }


def _owner_try(stored: StoredDiagnosis) -> int | None:
    """The try that stored the XCom: Airflow clears a task's XComs when a new try starts, so it is
    the latest started try that had started by the time it was pushed."""
    started = [t for t in stored.tries if t.started]
    if not started:
        return None
    if stored.pushed_at is not None:
        before = [
            t.try_number for t in started if t.start_date is not None and t.start_date <= stored.pushed_at
        ]
        if before:
            return max(before)
    return max(t.try_number for t in started)


def resolve_diagnosis(task: TaskTry, stored: StoredDiagnosis | None) -> FoundDiagnosis:
    """The diagnosis of exactly ``task``'s try, or :class:`DiagnosisNotFound` saying why not."""
    from emr_dags.links.base import DOMAINS, S3_SCHEMES, s3_console_url

    if stored is None or not stored.tries:
        raise DiagnosisNotFound(
            f"No task instance {task.describe()} in Airflow: check the DAG id, run id, task id and map index."
        )
    numbers = sorted({t.try_number for t in stored.tries})
    owner = _owner_try(stored)
    wanted = task.try_number if task.try_number is not None else (owner or numbers[-1])
    task = TaskTry(
        dag_id=task.dag_id,
        run_id=task.run_id,
        task_id=task.task_id,
        map_index=task.map_index,
        try_number=wanted,
    )
    if wanted not in numbers:
        raise DiagnosisNotFound(
            f"No try {wanted} of task instance {task.describe()}: Airflow has tries {', '.join(map(str, numbers))}."
        )
    value = stored.value
    if value is None:
        raise DiagnosisNotFound(
            f"No diagnosis for {task.describe()}. emr-dags stores one when an EMR step, EMR Serverless job "
            "run or EMR on EKS job run fails; this try has none (it did not fail that way, has not "
            "finished, or the diagnosis could not be made: see its task log)."
        )
    if not (isinstance(value, dict) and value.get("category")):
        raise DiagnosisNotFound(
            f"The 'diagnosis' XCom of {task.describe()} is not an emr-dags diagnosis (is a custom XCom "
            "backend keeping values outside the metadata DB?); the task log has the Probable cause block."
        )
    if owner is not None and owner != wanted:
        raise DiagnosisNotFound(
            f"No diagnosis stored for {task.describe()}: the one stored belongs to try {owner}, and Airflow "
            f"keeps the XComs of a task's latest try only. Try {wanted}'s Probable cause block is at the "
            "end of its task log."
        )
    # The XCom may predate redaction (written by an older emr-dags) or come from elsewhere: the page
    # and the JSON endpoint both show this redacted copy, never the stored value itself.
    from emr_dags.diagnostics.redact import redact_value

    value = redact_value(dict(value))
    source = value.get("source")
    source_url = None
    if isinstance(source, str) and source.startswith(S3_SCHEMES):
        source_url = s3_console_url(source, stored.region_name, stored.aws_domain or DOMAINS["aws"])
    return FoundDiagnosis(task=task, diagnosis=value, source_url=source_url)
