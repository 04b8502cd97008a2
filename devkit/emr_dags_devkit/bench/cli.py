"""``emr-dags bench`` and ``emr-dags chaos``.

Both start their own local stack (temp state folder, free ports) when they need one, and always stop it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emr_dags.console import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    checked,
    exit_codes_epilog,
    number,
    whole_number,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

RESULTS = ".bench-results"
ROWS = ("api_calls", "slots", "latency", "parse", "triggerer", "backfill")
BENCH_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "every row ran; the table is on stdout, the JSON in --out"),
    (EXIT_FAILED, "some row reported a problem (listed after the table)"),
    (EXIT_USAGE, "bad arguments"),
)
CHAOS_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "every faulted emr-dags run ended clean (no leaked cluster or job run)"),
    (EXIT_FAILED, "some emr-dags run leaked or failed its audit (details in --out)"),
    (EXIT_USAGE, "bad arguments"),
)


def register(subparsers: Any) -> None:
    bench = subparsers.add_parser(
        "bench",
        help="benchmarks against the emulator, side by side with the stock amazon provider; one table",
        epilog=BENCH_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument(
        "--only",
        action="append",
        default=None,
        choices=ROWS,
        metavar="ROW",
        help=f"run only this row (repeatable): {', '.join(ROWS)}",
    )
    bench.add_argument(
        "--quick", action="store_true", help="fewer repetitions and sizes (minutes, not tens of)"
    )
    bench.add_argument(
        "--seed", action=checked(whole_number(0, "--seed 7")), default=7, help="random seed (default 7)"
    )
    bench.add_argument("--out", default=RESULTS, help=f"folder for the JSON results (default {RESULTS}/)")
    bench.set_defaults(func=cmd_bench)

    chaos = subparsers.add_parser(
        "chaos",
        help="pipeline runs in a real local stack under injected faults; audits AWS-side state",
        epilog=CHAOS_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    chaos.add_argument("--long", action="store_true", help="the long form: >= 100 faulted runs")
    chaos.add_argument(
        "--runs",
        action=checked(whole_number(1, "--runs 9")),
        default=None,
        help="faulted runs (default 9; --long: 121, 11 per kind, so >= 100 land even when some kills come after their task ended)",
    )
    chaos.add_argument(
        "--seed", action=checked(whole_number(0, "--seed 7")), default=7, help="random seed (default 7)"
    )
    chaos.add_argument(
        "--concurrency",
        action=checked(whole_number(1, "--concurrency 5")),
        default=None,
        help="runs in flight at once (default 5)",
    )
    chaos.add_argument(
        "--stock", action="store_true", help="also run the same faults on the stock-provider twin"
    )
    chaos.add_argument(
        "--run-timeout",
        action=checked(number("--run-timeout 600", inclusive=False)),
        default=600.0,
        help="seconds one run may take (default 600)",
    )
    chaos.add_argument("--out", default=RESULTS, help=f"folder for the JSON report (default {RESULTS}/)")
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
