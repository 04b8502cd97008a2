"""The ``emr-dags`` command.

Each subcommand lives in its own module exposing ``register(subparsers)``; the module adds its
parser and sets ``func`` (called with the parsed args, returns an exit code). The product's own
commands (``diagnose``, ``cost``, ``reap``) are listed below; the dev kit (``emr-dags-devkit``) adds the
local stack, the emulator, bench and chaos through the ``emr_dags.commands`` entry point group. Modules
are imported only when the parser is built, so ``emr-dags --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

# The product's modules that contribute subcommands, in help order.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "emr_dags.diagnostics.cli",  # diagnose
    "emr_dags.ops.cli",  # reap, cost
)
ENTRY_POINT_GROUP = "emr_dags.commands"
# Commands the dev kit provides: without it installed they still parse, and say how to get them.
DEVKIT_COMMANDS: dict[str, str] = {
    "up": "start the local stack (emulator + Airflow)",
    "down": "stop the local stack",
    "status": "show the local stack's components",
    "env": "print exports that point `airflow` at the local stack",
    "demo": "run the example pipelines on the local stack",
    "emulator": "run the EMR emulator",
    "bench": "benchmarks against the stock amazon provider",
    "chaos": "fault-injection runs",
}
DEVKIT_MISSING = (
    "`emr-dags {command}` is part of the emr-dags dev kit, which is not installed here: "
    "pip install emr-dags-devkit (a deployment needs only emr-dags)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emr-dags",
        description="Airflow building blocks for Amazon EMR, and a local stack to try them on.",
    )
    from emr_dags import __version__

    parser.add_argument("--version", action="version", version=f"emr-dags {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        entry.load()(subparsers)
    for command, summary in DEVKIT_COMMANDS.items():
        if command not in subparsers.choices:
            stub = subparsers.add_parser(command, help=f"{summary} (needs emr-dags-devkit)", add_help=False)
            stub.set_defaults(func=_devkit_missing)
    return parser


def _devkit_missing(args: Any) -> int:
    print(f"emr-dags: error: {DEVKIT_MISSING.format(command=args.command)}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    func = getattr(args, "func", None)
    if unknown and func is not _devkit_missing:  # a missing dev kit's options are not ours to judge
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if func is None:
        parser.print_help()
        return 2
    from emr_dags.console import answer_only

    # `--json`: stdout is the JSON answer and nothing else (library logging goes to stderr).
    with answer_only(bool(getattr(args, "json", False))):
        return int(func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
