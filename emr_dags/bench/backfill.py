"""The backfill row: a real ``airflow backfill create`` of N daily dates per flavour, counted on the AWS side.

The emr-dags N=1 pipeline and its stock twin (``dags/bench_backfill.py``, ``@daily``) are backfilled
one after the other on the bench's stack. When every run has ended, the emulator's state says how
many clusters each DAG created (clusters carry the DAG id as a tag; the stock twin's are also named
``bench-<dag id>``), how many are still active, and their ``NormalizedInstanceHours``; ListClusters'
timelines give each cluster's life (creation -> end, real seconds), which at the stack's time scale
(real seconds per simulated minute) is simulated time. Neither flavour pools clusters, so both should
create one per date; the row measures it instead of assuming it.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emr_dags import tags as tagmod

if TYPE_CHECKING:
    from collections.abc import Callable

DAGS = {"emr-dags": "bench_emr_backfill_n1", "stock": "bench_stock_backfill_n1"}
FULL_DATES = 30
QUICK_DATES = 5
MAX_ACTIVE_RUNS = 10  # the DAGs' max_active_runs too (dags/bench_backfill.py)
FIRST_DATE = dt.date(2026, 1, 1)  # shapes.START; the DAGs' schedule ends at shapes.BACKFILL_END
ACTIVE_CLUSTER = frozenset({"STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING", "TERMINATING"})
STEP_MINUTES_RULE_ARG = "*--run backfill__*"  # backfill run ids start with "backfill__"


def date_range(dates: int) -> tuple[str, str]:
    """``--from-date`` / ``--to-date`` (both inclusive) for ``dates`` daily logical dates."""
    return FIRST_DATE.isoformat(), (FIRST_DATE + dt.timedelta(days=dates - 1)).isoformat()


@dataclass(frozen=True, kw_only=True, slots=True)
class BackfillUsage:
    """What one DAG's clusters cost, from the emulator's state and the clusters' timelines."""

    dag_id: str
    clusters: int
    runs_with_clusters: int
    runs_with_several: dict[str, int] = field(default_factory=dict)  # run id -> clusters, when > 1
    still_active: list[str] = field(default_factory=list)  # cluster ids not TERMINATED*
    cluster_hours: float | None = None  # simulated; None when a cluster has not ended
    instance_hours: int = 0  # sum of NormalizedInstanceHours (EMR rounds each cluster up to an hour)
    lifetimes_minutes: list[float] = field(default_factory=list)  # simulated, per ended cluster


def _of_dag(cluster: dict[str, Any], dag_id: str) -> bool:
    tags = cluster.get("tags") or {}
    return bool(tags.get(tagmod.DAG_ID) == dag_id or cluster.get("name") == f"bench-{dag_id}")


def _as_dt(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def usage(state: dict[str, Any], timelines: dict[str, dict[str, Any]], dag_id: str) -> BackfillUsage:
    """Count ``dag_id``'s clusters in an emulator ``state()`` and sum their simulated lifetimes.

    ``timelines``: cluster id -> ``Status.Timeline`` as ListClusters returns it (real wall-clock
    ``CreationDateTime`` / ``EndDateTime``); ``state["time_scale"]`` turns real seconds into simulated
    minutes (the time scale must not have changed while the clusters lived).
    """
    scale = float(state["time_scale"])
    ours = [c for c in state["clusters"] if _of_dag(c, dag_id)]
    per_run: dict[str, int] = {}
    for c in ours:
        run_id = (c.get("tags") or {}).get(tagmod.RUN_ID, "?")
        per_run[run_id] = per_run.get(run_id, 0) + 1
    lifetimes: list[float] = []
    unended = 0
    for c in ours:
        timeline = timelines.get(c["id"]) or {}
        if not timeline.get("EndDateTime") or not timeline.get("CreationDateTime"):
            unended += 1
            continue
        real = (_as_dt(timeline["EndDateTime"]) - _as_dt(timeline["CreationDateTime"])).total_seconds()
        lifetimes.append(real / scale)
    return BackfillUsage(
        dag_id=dag_id,
        clusters=len(ours),
        runs_with_clusters=len(per_run),
        runs_with_several={r: n for r, n in sorted(per_run.items()) if n > 1},
        still_active=sorted(c["id"] for c in ours if c["state"] in ACTIVE_CLUSTER),
        cluster_hours=None if unended else round(sum(lifetimes) / 60.0, 2),
        instance_hours=sum(int(c.get("normalized_instance_hours") or 0) for c in ours),
        lifetimes_minutes=[round(x, 1) for x in lifetimes],
    )


def run_states(dag_runs: list[dict[str, Any]]) -> dict[str, int]:
    """How many backfill runs ended in each state (manual or scheduled runs are not counted)."""
    out: dict[str, int] = {}
    for run in dag_runs:
        if run.get("run_type") == "backfill" or str(run.get("dag_run_id", "")).startswith("backfill__"):
            out[run["state"]] = out.get(run["state"], 0) + 1
    return out


# ------------------------------------------------------------------------------ on the stack
def _timelines(emr: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for page in emr.get_paginator("list_clusters").paginate():
        for c in page["Clusters"]:
            out[c["Id"]] = c["Status"].get("Timeline") or {}
    return out


def _wait(cond: Callable[[], Any], timeout: float, every: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def run_backfill(
    target: Any,
    flavour: str,
    dates: int,
    *,
    airflow: str,
    say: Callable[[str], None],
    timeout: float = 3600.0,
) -> dict[str, Any]:
    """Backfill ``dates`` dates of ``flavour``'s DAG on ``target`` (a ``ChaosTarget``); the row's figures."""
    from emr_dags.bench.chaos import _api_retry
    from emr_dags.stack.api import backfill_create

    dag_id = DAGS[flavour]
    start, end = date_range(dates)
    api = target.api

    def backfill_runs() -> list[dict[str, Any]]:
        runs = _api_retry(lambda: api.dag_runs(dag_id))
        return [r for r in runs if r.get("run_type") == "backfill"]

    _api_retry(lambda: api.unpause(dag_id))
    started = time.monotonic()
    for _ in range(3):  # a locked first attempt can leave a backfill without runs; Airflow drops it in 2 min
        backfill_create(
            dag_id, start, end, env=target.stack.cli_env(), airflow=airflow, max_active_runs=MAX_ACTIVE_RUNS
        )
        if _wait(lambda: len(backfill_runs()) >= dates, timeout=150):
            break
        say(f"backfill {dag_id}: runs not created yet; creating the backfill again")
    say(f"backfill {dag_id}: {dates} dates {start}..{end} created, max {MAX_ACTIVE_RUNS} at once")

    def all_ended() -> list[dict[str, Any]] | None:
        runs = backfill_runs()
        return runs if len(runs) >= dates and all(r["state"] in ("success", "failed") for r in runs) else None

    runs = _wait(all_ended, timeout=timeout, every=10.0) or backfill_runs()
    seconds = time.monotonic() - started
    admin = target.admin()
    emr = target.emr()

    def settled() -> dict[str, Any] | None:  # teardown's TERMINATING -> TERMINATED (1 sim-min)
        state = admin.state()
        return state if not usage(state, _timelines(emr), dag_id).still_active else None

    state = _wait(settled, timeout=60, every=2.0) or admin.state()
    measured = usage(state, _timelines(emr), dag_id)
    states = run_states(runs)
    result = {
        "dag_id": dag_id,
        "dates": dates,
        "from_date": start,
        "to_date": end,
        "seconds": round(seconds, 1),
        "run_states": states,
        "runs_success": states.get("success", 0),
        "runs_not_ended": sum(n for s, n in states.items() if s not in ("success", "failed")),
        "clusters": measured.clusters,
        "runs_with_clusters": measured.runs_with_clusters,
        "runs_with_several_clusters": measured.runs_with_several,
        "clusters_left_active": measured.still_active,
        "cluster_hours": measured.cluster_hours,
        "normalized_instance_hours": measured.instance_hours,
        "cluster_lifetimes_sim_minutes": measured.lifetimes_minutes,
        "time_scale": state["time_scale"],
    }
    say(f"backfill {dag_id}: { {k: v for k, v in result.items() if k != 'cluster_lifetimes_sim_minutes'} }")
    return result


def problems(result: dict[str, Any]) -> list[str]:
    """What makes a backfill measurement not a clean one (shown in the row and the exit code)."""
    out = []
    if result["runs_success"] != result["dates"]:
        out.append(
            f"{result['dag_id']}: {result['runs_success']}/{result['dates']} runs success {result['run_states']}"
        )
    if result["clusters_left_active"]:
        out.append(f"{result['dag_id']}: clusters still active {result['clusters_left_active']}")
    if result["runs_not_ended"]:
        out.append(f"{result['dag_id']}: {result['runs_not_ended']} runs not ended")
    return out
