"""The backfill row: a real ``airflow backfill create`` of N daily dates per flavour, counted on the AWS side.

The emr-dags N=1 pipeline and its stock twin (``dags/bench_backfill.py``, ``@daily``) are backfilled
one after the other on the bench's stack (see ``BackfillDriver``). When every run has ended, the emulator's state says how
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
from functools import partial
from typing import TYPE_CHECKING, Any

from emr_dags import tags as tagmod

if TYPE_CHECKING:
    from collections.abc import Callable

DAGS = {"emr-dags": "bench_emr_backfill_n1", "stock": "bench_stock_backfill_n1"}
FULL_DATES = 30
QUICK_DATES = 5
# The DAGs' (dags/bench_backfill.py) and the backfills' max active runs: several dates at once, so a
# 30-date backfill finishes in minutes.
MAX_ACTIVE_RUNS = 10
# Retries on both sides, as in the example DAGs: Airflow 3.3.2 can fail a deferred task that resumes
# while its previous process is still being reaped ("state changed externally"); with no retries that
# failed 2 of 30 emr-dags runs in a first run of this row (and their clusters were never terminated).
RETRIES = 2
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
    cluster_hours: float = 0.0  # simulated; a cluster still alive counts up to the measurement
    instance_hours: int = 0  # sum of NormalizedInstanceHours (EMR rounds each cluster up to an hour)
    lifetimes_minutes: list[float] = field(default_factory=list)  # simulated, per cluster


def _of_dag(cluster: dict[str, Any], dag_id: str) -> bool:
    tags = cluster.get("tags") or {}
    return bool(tags.get(tagmod.DAG_ID) == dag_id or cluster.get("name") == f"bench-{dag_id}")


def _as_dt(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def usage(
    state: dict[str, Any],
    timelines: dict[str, dict[str, Any]],
    dag_id: str,
    now: dt.datetime | None = None,
) -> BackfillUsage:
    """Count ``dag_id``'s clusters in an emulator ``state()`` and sum their simulated lifetimes.

    ``timelines``: cluster id -> ``Status.Timeline`` as ListClusters returns it (real wall-clock
    ``CreationDateTime`` / ``EndDateTime``); ``state["time_scale"]`` turns real seconds into simulated
    minutes (the time scale must not have changed while the clusters lived). A cluster without an
    end counts until ``now`` (default: the wall clock) and is listed in ``still_active``.
    """
    now = now or dt.datetime.now(dt.UTC)
    scale = float(state["time_scale"])
    ours = [c for c in state["clusters"] if _of_dag(c, dag_id)]
    per_run: dict[str, int] = {}
    for c in ours:
        run_id = (c.get("tags") or {}).get(tagmod.RUN_ID, "?")
        per_run[run_id] = per_run.get(run_id, 0) + 1
    lifetimes: list[float] = []
    for c in ours:
        timeline = timelines.get(c["id"]) or {}
        if not timeline.get("CreationDateTime"):
            continue
        end = _as_dt(timeline["EndDateTime"]) if timeline.get("EndDateTime") else now
        lifetimes.append((end - _as_dt(timeline["CreationDateTime"])).total_seconds() / scale)
    return BackfillUsage(
        dag_id=dag_id,
        clusters=len(ours),
        runs_with_clusters=len(per_run),
        runs_with_several={r: n for r, n in sorted(per_run.items()) if n > 1},
        still_active=sorted(c["id"] for c in ours if c["state"] in ACTIVE_CLUSTER),
        cluster_hours=round(sum(lifetimes) / 60.0, 2),
        instance_hours=sum(int(c.get("normalized_instance_hours") or 0) for c in ours),
        lifetimes_minutes=[round(x, 1) for x in lifetimes],
    )


def retried_tasks(task_instances: list[dict[str, Any]]) -> dict[str, int]:
    """Task id -> how many of the backfill's task instances needed more than one try."""
    out: dict[str, int] = {}
    for ti in task_instances:
        if int(ti.get("try_number") or 0) > 1:
            out[ti["task_id"]] = out.get(ti["task_id"], 0) + 1
    return out


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


class BackfillDriver:
    """Creates and runs the row's backfills on ``target`` (a ``ChaosTarget``).

    Both backfills are created first, while their DAGs are paused and the scheduler is quiet: on the
    SQLite metadata DB, ``backfill create`` racing a busy scheduler fails with "database is locked",
    and Airflow 3.3.2's clean-up of that half-created backfill deletes DAG runs the scheduler is
    already handling, which crashed the scheduler (ObjectDeletedError) in an earlier run of this
    bench. Then each flavour is unpaused on its own, so each has the machine to itself.
    """

    def __init__(self, target: Any, dates: int, *, airflow: str, say: Callable[[str], None]) -> None:
        self.t = target
        self.dates = dates
        self.airflow = airflow
        self.say = say
        self.restarts: list[str] = []

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        from emr_dags_devkit.bench.chaos import _api_retry

        return [r for r in _api_retry(lambda: self.t.api.dag_runs(dag_id)) if r.get("run_type") == "backfill"]

    def create(self, flavour: str) -> None:
        from emr_dags_devkit.bench.chaos import _api_retry
        from emr_dags_devkit.stack.api import backfill_create

        dag_id = DAGS[flavour]
        start, end = date_range(self.dates)
        _api_retry(lambda: self.t.api.pause(dag_id))
        for _ in range(3):  # a locked attempt can leave a backfill without runs; Airflow drops it in 2 min
            backfill_create(
                dag_id,
                start,
                end,
                env=self.t.stack.cli_env(),
                airflow=self.airflow,
                max_active_runs=MAX_ACTIVE_RUNS,
            )
            if _wait(lambda: len(self.runs(dag_id)) >= self.dates, timeout=150):
                break
            self.say(f"backfill {dag_id}: runs not created yet; creating the backfill again")
        self.say(f"backfill {dag_id}: {self.dates} dates {start}..{end} created (paused)")

    def _all_ended(self, dag_id: str) -> list[dict[str, Any]] | None:
        restarted = self.t.ensure_running()  # a crashed scheduler would leave the runs queued forever
        if restarted:
            self.restarts += restarted
            self.say(f"backfill {dag_id}: {restarted} had stopped; started again")
        runs = self.runs(dag_id)
        ended = len(runs) >= self.dates and all(r["state"] in ("success", "failed") for r in runs)
        return runs if ended else None

    def run(self, flavour: str, *, timeout: float = 3600.0) -> dict[str, Any]:
        """Unpause ``flavour``'s DAG, wait for its backfill runs to end; the row's figures."""
        from emr_dags_devkit.bench.chaos import _api_retry

        dag_id = DAGS[flavour]
        _api_retry(lambda: self.t.api.unpause(dag_id))
        self.say(f"backfill {dag_id}: unpaused, max {MAX_ACTIVE_RUNS} runs at once")
        started = time.monotonic()
        runs = _wait(lambda: self._all_ended(dag_id), timeout=timeout, every=10.0) or self.runs(dag_id)
        seconds = time.monotonic() - started
        admin, emr = self.t.admin(), self.t.emr()

        def settled() -> dict[str, Any] | None:  # teardown's TERMINATING -> TERMINATED (1 sim-min)
            state = admin.state()
            return state if not usage(state, _timelines(emr), dag_id).still_active else None

        state = _wait(settled, timeout=60, every=2.0) or admin.state()
        measured = usage(state, _timelines(emr), dag_id)
        _api_retry(lambda: self.t.api.pause(dag_id))
        tis = [
            ti for r in runs for ti in _api_retry(partial(self.t.api.task_instances, dag_id, r["dag_run_id"]))
        ]
        states = run_states(runs)
        start, end = date_range(self.dates)
        result = {
            "dag_id": dag_id,
            "dates": self.dates,
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
            "components_restarted": list(self.restarts),
            "retried_tasks": retried_tasks(tis),
        }
        self.restarts.clear()
        shown = {k: v for k, v in result.items() if k != "cluster_lifetimes_sim_minutes"}
        self.say(f"backfill {dag_id}: {shown}")
        return result


def run_backfills(
    target: Any, dates: int, *, airflow: str, say: Callable[[str], None]
) -> dict[str, dict[str, Any]]:
    """Both flavours' backfills: created up front, run one after the other."""
    driver = BackfillDriver(target, dates, airflow=airflow, say=say)
    for flavour in DAGS:
        driver.create(flavour)
    return {flavour: driver.run(flavour) for flavour in DAGS}


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
    if result.get("components_restarted"):
        out.append(
            f"{result['dag_id']}: {result['components_restarted']} died during the backfill (restarted)"
        )
    return out
