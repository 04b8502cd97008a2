"""``emr-dags bench`` and ``emr-dags chaos``.

Both start their own local stack (temp state folder, free ports) when they need one, and always stop it.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator

RESULTS = ".bench-results"


def register(subparsers: Any) -> None:
    bench = subparsers.add_parser(
        "bench",
        help="benchmarks against the emulator, side by side with the stock amazon provider; one table",
    )
    bench.add_argument(
        "--only",
        action="append",
        default=None,
        metavar="ROW",
        help="run only this row (repeatable): api_calls, slots, latency, parse, triggerer, backfill",
    )
    bench.add_argument(
        "--quick", action="store_true", help="fewer repetitions and sizes (minutes, not tens of)"
    )
    bench.add_argument("--seed", type=int, default=7)
    bench.add_argument("--out", default=RESULTS, help=f"folder for the JSON results (default {RESULTS}/)")
    bench.set_defaults(func=cmd_bench)

    chaos = subparsers.add_parser(
        "chaos", help="pipeline runs in a real local stack under injected faults; audits AWS-side state"
    )
    chaos.add_argument("--long", action="store_true", help="the long form: >= 100 faulted runs")
    chaos.add_argument(
        "--runs",
        type=int,
        default=None,
        help="faulted runs (default 9; --long: 121, 11 per kind, so >= 100 land even when some kills come after their task ended)",
    )
    chaos.add_argument("--seed", type=int, default=7)
    chaos.add_argument("--concurrency", type=int, default=None, help="runs in flight at once (default 5)")
    chaos.add_argument(
        "--stock", action="store_true", help="also run the same faults on the stock-provider twin"
    )
    chaos.add_argument("--run-timeout", type=float, default=600.0, help="seconds one run may take")
    chaos.add_argument("--out", default=RESULTS)
    chaos.set_defaults(func=cmd_chaos)


@contextlib.contextmanager
def temp_stack(time_scale: float = 1.0) -> Iterator[Any]:
    """A fresh local stack in a temp folder on free ports; always stopped."""
    from emr_dags_devkit.bench.chaos import ChaosTarget
    from emr_dags_devkit.stack.api import AirflowClient
    from emr_dags_devkit.stack.commands import repo_root
    from emr_dags_devkit.stack.runner import Stack, StackConfig, free_port

    root = repo_root()
    with tempfile.TemporaryDirectory(prefix="emr-dags-bench-") as state:
        config = StackConfig(
            repo_root=str(root),
            state_dir=state,
            compose_file=str(root / "docker-compose.yaml"),
            api_port=free_port(),
            emulator_port=free_port(),
            scheduler_health_port=free_port(),
            time_scale=time_scale,
            fixture_dags=True,
        )
        stack = Stack(config, echo=lambda msg: print(f"  stack: {msg}", file=sys.stderr))
        # SIGTERM (kill, a CI timeout) must stop the stack too, not only Ctrl-C: turn it into SystemExit
        # so the finally below runs.
        previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            stack.up(timeout=600)
            api = AirflowClient(config.api_url, "admin", stack.admin_password())
            yield ChaosTarget(stack=stack, api=api, emulator_url=config.emulator_url)
        finally:
            stack.down(quiet=True)
            signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def cmd_chaos(args: argparse.Namespace) -> int:
    from emr_dags_devkit.bench.chaos import run_chaos, write_report

    runs = args.runs or (121 if args.long else 9)
    concurrency = args.concurrency or 5
    flavours = ("emr-dags", "stock") if args.stock else ("emr-dags",)
    with temp_stack() as target:
        report = run_chaos(
            target,
            runs=runs,
            seed=args.seed,
            flavours=flavours,
            concurrency=concurrency,
            run_timeout=args.run_timeout,
        )
    path = write_report(report, args.out)
    for flavour in flavours:
        print(report.line(flavour))
    print(f"details: {path}", file=sys.stderr)
    return 1 if report.failed("emr-dags") else 0


def cmd_bench(args: argparse.Namespace) -> int:
    from emr_dags_devkit.bench.runner import run_bench

    report = run_bench(only=args.only, quick=args.quick, seed=args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-{report['started']}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    print(report["table"])
    for problem in report["problems"]:
        print(f"problem: {problem}")
    print(f"details: {path}", file=sys.stderr)
    return 1 if report["problems"] else 0
