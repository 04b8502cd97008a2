"""``emr-dags bench``: every row measures emr-dags and the stock amazon provider in the same run.

Rows (``--only ROW``):

- ``api_calls``  AWS calls to run N concurrent steps on one cluster to completion, per action
  (emulator call accounting; real stack).
- ``slots``      executor-slot-seconds held per step: the time a LocalExecutor supervisor process
  (``airflow worker -- LocalExecutor: <ti>``) runs a step's task(s), sampled (psutil) every 0.2 s
  (real stack; the same runs as ``api_calls``).
- ``latency``    seconds from a step's EndDateTime in the emulator to the start of the downstream task
  (``terminate_cluster``) in Airflow (N = 1 runs).
- ``parse``      DAG-file parse time of a 20-step pipeline (fresh process with Airflow imported).
- ``triggerer``  CPU seconds and RSS of one asyncio process running 50/200/500 step waits.
- ``backfill``   clusters created, simulated cluster-hours and NormalizedInstanceHours of a real
  ``airflow backfill create`` of 30 daily dates (``--quick``: 5) of the N=1 pipeline, per flavour
  (``emr_dags_devkit.bench.backfill``).

Each row records its setup (N, poll interval, time scale, repetitions, seed).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

ROWS = ("api_calls", "slots", "latency", "parse", "triggerer", "backfill")
FLAVOURS = ("emr-dags", "stock")
POLL = 5.0  # seconds between status checks, both sides (the DAGs' poll_interval / poke_interval)
STACK_TIME_SCALE = 1.0  # real seconds per simulated minute in the real-stack rows
STEP_MINUTES = 20.0  # simulated minutes every benchmark step runs (20 s at scale 1)
MEASURED_ROWS = frozenset({"api_calls", "slots", "latency"})  # from the same measured runs


def _say(msg: str) -> None:
    print(f"[bench {dt.datetime.now(dt.UTC):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def _repo() -> Path:
    from emr_dags_devkit.stack.commands import repo_root

    return repo_root()


def _fixture_dags() -> Path:
    from emr_dags_devkit.layout import FIXTURE_DAGS

    return FIXTURE_DAGS


# ------------------------------------------------------------------------------- parse
PARSE_SNIPPET = """
import runpy, sys, time
import airflow, airflow.sdk  # a dag-processor has Airflow imported before it parses a file
t0 = time.perf_counter()
runpy.run_path(sys.argv[1])
print(time.perf_counter() - t0)
"""


def row_parse(quick: bool) -> dict[str, Any]:
    reps = 10 if quick else 20
    dags = _fixture_dags()
    files = {"emr-dags": "bench_emr_n20.py", "stock": "bench_stock_n20.py", "empty": "bench_empty_n20.py"}
    samples: dict[str, list[float]] = {k: [] for k in files}
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    for _ in range(reps):  # interleaved, so machine-load drift hits every flavour alike
        for name, fname in files.items():
            out = subprocess.run(
                [sys.executable, "-c", PARSE_SNIPPET, str(dags / fname)],
                capture_output=True,
                text=True,
                check=True,
                env=env,
                cwd=str(_repo()),
            )
            samples[name].append(float(out.stdout.strip().splitlines()[-1]))
    med = {k: statistics.median(v) for k, v in samples.items()}
    return {
        "row": "parse",
        "setup": f"20-step DAG file, fresh process with airflow imported, median of {reps}",
        "unit": "ms",
        "emr-dags": round(med["emr-dags"] * 1000, 1),
        "stock": round(med["stock"] * 1000, 1),
        "floor": round(med["empty"] * 1000, 1),
        "samples_ms": {k: [round(x * 1000, 1) for x in v] for k, v in samples.items()},
    }


# ---------------------------------------------------------------------------- triggerer
def row_triggerer(quick: bool, seed: int) -> list[dict[str, Any]]:
    import boto3

    from emr_dags_devkit.emulator import start_emulator

    sizes = (50, 200) if quick else (50, 200, 500)
    window = 20.0 if quick else 40.0
    per_cluster = 10
    rows = []
    hang = [{"name": "bench-hang", "match": {"service": "emr"}, "outcome": "hang"}]
    with start_emulator(time_scale=0.05, rules=hang, seed=seed) as emu:
        emr = boto3.client(
            "emr",
            endpoint_url=emu.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        from emr_dags_devkit.bench.shapes import cluster_request, step_request

        waits: list[list[str]] = []
        for i in range(max(sizes) // per_cluster):
            req = cluster_request(per_cluster)
            req["Name"] = f"bench-trigger-{i}"
            cid = emr.run_job_flow(**req)["JobFlowId"]
            steps = [step_request(f"step_{j:02d}") for j in range(per_cluster)]
            for s in steps:
                s["HadoopJarStep"]["Args"][-1] = "bench-triggerer"
            for sid in emr.add_job_flow_steps(JobFlowId=cid, Steps=steps)["StepIds"]:
                waits.append([cid, sid])
        conn = json.dumps(
            {
                "conn_type": "aws",
                "login": "testing",
                "password": "testing",
                "extra": {"endpoint_url": emu.endpoint_url, "region_name": "us-east-1"},
            }
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))}
        env.update({"AIRFLOW_CONN_AWS_DEFAULT": conn, "AWS_DEFAULT_REGION": "us-east-1"})
        for n in sizes:
            result: dict[str, Any] = {
                "row": f"triggerer_{n}",
                "setup": f"{n} step waits ({per_cluster}/cluster), poll {POLL:.0f}s, {window:.0f}s window, one asyncio loop",
            }
            for flavour in FLAVOURS:
                with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
                    json.dump({"waits": waits[:n], "interval": POLL, "window": window}, fh)
                emu.admin.reset_calls()
                out = subprocess.run(
                    [sys.executable, "-m", "emr_dags_devkit.bench.trigger_probe", flavour, fh.name],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=False,
                    timeout=window + 300,
                )
                Path(fh.name).unlink(missing_ok=True)
                calls = emu.admin.calls()
                if out.returncode != 0:
                    raise RuntimeError(f"trigger probe {flavour} n={n} failed:\n{out.stderr[-3000:]}")
                probe = json.loads(out.stdout.strip().splitlines()[-1])
                probe["api_calls_per_min"] = round(calls["total"] * 60.0 / window, 1)
                probe["calls"] = calls["services"].get("emr", {})
                result[flavour] = probe
                _say(f"triggerer n={n} {flavour}: {probe}")
            rows.append(result)
    return rows


# ------------------------------------------------------------------------- real stack rows
def _slot_sampler(
    scheduler_pid: Callable[[], int], stop: threading.Event, period: float = 0.2
) -> dict[str, float]:
    from emr_dags_devkit.bench import procs

    held: dict[str, float] = {}
    while not stop.wait(period):
        try:
            busy = procs.busy_slots(scheduler_pid())
        except Exception:  # a process ended mid-listing; next sample
            continue
        for ti in busy:
            held[ti] = held.get(ti, 0.0) + period
    return held


def _cpu_model() -> str | None:
    cpuinfo = Path("/proc/cpuinfo")  # Linux names the model here; elsewhere platform.processor() does
    if cpuinfo.exists():
        model = [x for x in cpuinfo.read_text().splitlines() if x.startswith("model name")]
        return model[0].split(":", 1)[1].strip() if model else None
    import platform

    return platform.processor() or None


def _ts(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


#: the N=1 emr-dags pipeline with ``end_from_trigger=True``, measured beside the default's rows
END_FROM_TRIGGER = "emr-dags end_from_trigger"


def _flavours(n: int) -> tuple[str, ...]:
    """What is measured at size ``n``: both flavours, and at N=1 the end_from_trigger variant too."""
    return FLAVOURS + ((END_FROM_TRIGGER,) if n == 1 else ())


def _dag_id(flavour: str, n: int) -> str:
    prefix = {"emr-dags": "emr", END_FROM_TRIGGER: "emreft", "stock": "stock"}[flavour]
    return f"bench_{prefix}_n{n}"


def _measure_run(target: Any, auditor: Any, flavour: str, n: int, seed: int) -> dict[str, Any]:
    dag_id = _dag_id(flavour, n)
    run_id = f"bench-{seed}-{int(time.time())}-{dag_id}"
    admin = target.admin()
    target.api.unpause(dag_id)
    admin.reset_calls()
    stop = threading.Event()
    held: dict[str, float] = {}

    def sample() -> None:
        held.update(_slot_sampler(lambda: target.pid("airflow-scheduler"), stop))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    started = time.monotonic()
    target.api.trigger(dag_id, run_id=run_id)
    run = target.api.wait_for_run(dag_id, run_id, timeout=1800)
    stop.set()
    thread.join()
    calls = admin.calls()  # before any audit call of ours
    tis = target.api.task_instances(dag_id, run_id)
    by_id = {ti["id"]: ti for ti in tis}
    step_tis = [t for t in tis if "step_" in t["task_id"]]
    step_slot = sum(held.get(t["id"], 0.0) for t in step_tis)
    total_slot = sum(held.values())
    clusters = auditor.clusters_of_run(dag_id, run_id)
    end_of_steps: dt.datetime | None = None
    lifetime = None
    for c in clusters:
        steps = auditor.steps(c["Id"])
        ends = [
            _ts(s["Status"]["Timeline"]["EndDateTime"])
            for s in steps
            if s["Status"]["Timeline"].get("EndDateTime")
        ]
        if ends:
            end_of_steps = max(ends)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            desc = auditor.emr.describe_cluster(ClusterId=c["Id"])["Cluster"]
            timeline = desc["Status"]["Timeline"]
            if timeline.get("EndDateTime"):
                lifetime = (_ts(timeline["EndDateTime"]) - _ts(timeline["CreationDateTime"])).total_seconds()
                break
            time.sleep(1)
    terminate = next((t for t in tis if t["task_id"].endswith("terminate_cluster")), None)
    latency = None
    if terminate and end_of_steps and terminate.get("start_date"):
        latency = (_ts(terminate["start_date"]) - end_of_steps.replace(tzinfo=dt.UTC)).total_seconds()
    result = {
        "dag_id": dag_id,
        "run_id": run_id,
        "state": run["state"],
        "seconds": round(time.monotonic() - started, 1),
        "api_calls": calls["total"],
        "api_calls_by_action": calls["services"].get("emr", {}),
        "slot_seconds_steps": round(step_slot, 1),
        "slot_seconds_total": round(total_slot, 1),
        "slot_seconds_by_task": {by_id[k]["task_id"]: round(v, 1) for k, v in held.items() if k in by_id},
        "latency_seconds": None if latency is None else round(latency, 2),
        "clusters": len(clusters),
        "cluster_lifetime_seconds": None if lifetime is None else round(lifetime, 1),
    }
    _say(f"{dag_id}: {json.dumps({k: v for k, v in result.items() if k != 'slot_seconds_by_task'})}")
    return result


def stack_rows(quick: bool, seed: int, wanted: set[str]) -> list[dict[str, Any]]:
    from emr_dags_devkit.bench import backfill
    from emr_dags_devkit.bench.chaos import Auditor
    from emr_dags_devkit.bench.cli import temp_stack

    sizes: tuple[int, ...] = (1, 5) if quick else (1, 5, 20)
    if (wanted & MEASURED_ROWS) <= {"latency"}:
        sizes = (1,) if "latency" in wanted else ()
    rules = [
        {
            "name": "bench-step-duration",
            "match": {"service": "emr", "arg": "*--run bench-*"},
            "outcome": "succeed",
            "duration_minutes": STEP_MINUTES,
        },
        {
            "name": "bench-backfill-step-duration",
            "match": {"service": "emr", "arg": backfill.STEP_MINUTES_RULE_ARG},
            "outcome": "succeed",
            "duration_minutes": STEP_MINUTES,
        },
    ]
    measured: dict[tuple[str, int], dict[str, Any]] = {}
    backfilled: dict[str, dict[str, Any]] = {}
    dates = backfill.QUICK_DATES if quick else backfill.FULL_DATES
    _say(f"starting a local stack (time scale {STACK_TIME_SCALE})")
    with temp_stack(STACK_TIME_SCALE) as target:
        target.ensure_bucket()
        target.admin().set_rules(rules)
        dag_ids = [_dag_id(f, n) for n in sizes for f in _flavours(n)]
        if "backfill" in wanted:
            dag_ids += list(backfill.DAGS.values())
        target.api.wait_for_dags(dag_ids, timeout=300)
        auditor = Auditor(target.emr())
        for n in sizes:
            for flavour in _flavours(n):
                measured[(flavour, n)] = _measure_run(target, auditor, flavour, n, seed)
        if "backfill" in wanted:
            airflow = str(Path(sys.executable).parent / "airflow")
            backfilled = backfill.run_backfills(target, dates, airflow=airflow, say=_say)
    setup = f"poll {POLL:.0f}s both sides, step {STEP_MINUTES:.0f} sim-min, time scale {STACK_TIME_SCALE} s/sim-min"
    rows = _measured_rows(measured, sizes, wanted, setup)
    if backfilled:
        rows += _backfill_rows(backfilled, dates, quick, setup)
    rows.append(
        {"row": "_runs", "runs": {f"{f}/n{n}": r for (f, n), r in measured.items()}, "backfills": backfilled}
    )
    return rows


def _lifetime_sim_minutes(run: dict[str, Any]) -> float | None:
    seconds = run["cluster_lifetime_seconds"]
    return None if seconds is None else round(seconds / STACK_TIME_SCALE, 1)


def _measured_rows(
    measured: dict[tuple[str, int], dict[str, Any]], sizes: tuple[int, ...], wanted: set[str], setup: str
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n in sizes:
        ours, stock = measured[("emr-dags", n)], measured[("stock", n)]
        if "api_calls" in wanted:
            rows.append(
                {
                    "row": f"api_calls_n{n}",
                    "unit": "calls",
                    "setup": f"N={n} concurrent steps on 1 cluster, {setup}",
                    "emr-dags": ours["api_calls"],
                    "stock": stock["api_calls"],
                    "by_action": {
                        "emr-dags": ours["api_calls_by_action"],
                        "stock": stock["api_calls_by_action"],
                    },
                }
            )
        if "slots" in wanted:
            rows.append(
                {
                    "row": f"slot_seconds_per_step_n{n}",
                    "unit": "slot-s",
                    "setup": f"N={n}, deferrable default vs stock default (poke), process sampling 0.2s, {setup}",
                    "emr-dags": round(ours["slot_seconds_steps"] / n, 1),
                    "stock": round(stock["slot_seconds_steps"] / n, 1),
                    "run_totals": {
                        "emr-dags": ours["slot_seconds_total"],
                        "stock": stock["slot_seconds_total"],
                    },
                }
            )
    if "latency" in wanted:
        ours, stock = measured[("emr-dags", 1)], measured[("stock", 1)]
        rows.append(
            {
                "row": "latency_step_end_to_downstream_start",
                "unit": "s",
                "setup": f"N=1, {setup}",
                "emr-dags": ours["latency_seconds"],
                "stock": stock["latency_seconds"],
            }
        )
    eft = measured.get((END_FROM_TRIGGER, 1))
    if eft is not None:
        stock = measured[("stock", 1)]
        what = f"N=1, emr-dags with end_from_trigger=True (no worker resume after the step) vs stock, {setup}"
        figures = [
            ("slot_seconds_per_step_n1_end_from_trigger", "slot-s", lambda r: r["slot_seconds_steps"]),
            ("latency_step_end_to_downstream_start_end_from_trigger", "s", lambda r: r["latency_seconds"]),
            ("cluster_lifetime_n1_end_from_trigger", "sim-min", _lifetime_sim_minutes),
        ]
        for row, unit, value in figures:
            if row.startswith("slot") and "slots" not in wanted:
                continue
            rows.append(
                {"row": row, "unit": unit, "setup": what, "emr-dags": value(eft), "stock": value(stock)}
            )
    return rows


def _backfill_rows(
    backfilled: dict[str, dict[str, Any]], dates: int, quick: bool, setup: str
) -> list[dict[str, Any]]:
    from emr_dags_devkit.bench import backfill

    ours, stock = backfilled["emr-dags"], backfilled["stock"]
    found = [p for r in (ours, stock) for p in backfill.problems(r)]
    outcome = (
        f"all {dates} runs success and nothing left running, both sides"
        if not found
        else "NOT CLEAN: " + "; ".join(found)
    )
    retried = {f: sum((r.get("retried_tasks") or {}).values()) for f, r in backfilled.items()}
    outcome += f"; task retries emr-dags {retried['emr-dags']}, stock {retried['stock']}"
    how = (
        f"`airflow backfill create` of {dates} daily dates"
        + (" (--quick; the full bench does 30)" if quick else "")
        + f", N=1 pipeline, max {backfill.MAX_ACTIVE_RUNS} runs at once, retries {backfill.RETRIES} both sides,"
        + " one flavour after the other"
    )
    prefix = f"backfill_{dates}_dates"

    def row(name: str, unit: str, key: str, what: str) -> dict[str, Any]:
        return {
            "row": f"{prefix}_{name}",
            "unit": unit,
            "setup": f"{what}; {how if name == 'clusters' else 'same backfills'}",
            "emr-dags": ours[key],
            "stock": stock[key],
            "problems": found,
        }

    return [
        row("clusters", "clusters", "clusters", f"clusters tagged with the DAG in the emulator; {outcome}"),
        row(
            "cluster_hours",
            "sim h",
            "cluster_hours",
            f"sum of cluster lifetimes (creation -> end) in simulated time; {setup}",
        ),
        row(
            "instance_hours",
            "NIH",
            "normalized_instance_hours",
            "sum of NormalizedInstanceHours (3 x m5.xlarge = 24 per started hour, rounded up per cluster)",
        ),
        row("wall_time", "s", "seconds", "from unpausing the backfilled DAG to its last run's end"),
    ]


# ---------------------------------------------------------------------------------- table
def _ratio(ours: Any, stock: Any) -> str:
    if not isinstance(ours, int | float) or not isinstance(stock, int | float) or not stock:
        return "-"
    return f"{ours / stock:.2f}x"


def format_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"{'row':40} {'unit':8} {'emr-dags':>10} {'stock':>10} {'emr/stock':>10}  setup",
        "-" * 120,
    ]
    for r in rows:
        if r["row"].startswith("_"):
            continue
        if r["row"].startswith("triggerer_"):
            for metric, unit in (
                ("cpu_seconds", "cpu-s"),
                ("rss_mib_added", "MiB"),
                ("api_calls_per_min", "calls/m"),
            ):
                ours, stock = r["emr-dags"][metric], r["stock"][metric]
                lines.append(
                    f"{r['row'] + ' ' + metric:40} {unit:8} {ours:>10} {stock:>10} {_ratio(ours, stock):>10}  {r['setup']}"
                )
            continue
        ours, stock = r.get("emr-dags"), r.get("stock")
        setup = r["setup"] + (f"; floor (EmptyOperator) {r['floor']} ms" if "floor" in r else "")
        lines.append(
            f"{r['row']:40} {r['unit']:8} {ours!s:>10} {stock!s:>10} {_ratio(ours, stock):>10}  {setup}"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    import platform

    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        info["load_avg_at_start"] = os.getloadavg()
        import psutil

        info["mem_gib"] = round(psutil.virtual_memory().total / 1024**3, 1)
        info["cpu_model"] = _cpu_model()
    except OSError:
        pass
    try:
        from importlib.metadata import version

        info["versions"] = {
            p: version(p) for p in ("apache-airflow", "apache-airflow-providers-amazon", "moto", "boto3")
        }
    except Exception:
        pass
    return info


def run_bench(*, only: list[str] | None, quick: bool, seed: int) -> dict[str, Any]:
    wanted = set(only or ROWS)
    unknown = wanted - set(ROWS)
    if unknown:
        raise SystemExit(f"emr-dags bench: unknown row(s) {sorted(unknown)}; expected some of {list(ROWS)}")
    started = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    info = machine()
    rows: list[dict[str, Any]] = []
    t0 = time.monotonic()
    if wanted & {"api_calls", "slots", "latency", "backfill"}:
        rows += stack_rows(quick, seed, wanted)
    if "parse" in wanted:
        _say("parse")
        rows.append(row_parse(quick))
    if "triggerer" in wanted:
        _say("triggerer")
        rows += row_triggerer(quick, seed)
    table = format_table(rows)
    problems = sorted({p for r in rows for p in r.get("problems", [])})
    return {
        "started": started,
        "quick": quick,
        "seed": seed,
        "seconds": round(time.monotonic() - t0, 1),
        "machine": info,
        "rows": rows,
        "table": table,
        "problems": problems,
    }
