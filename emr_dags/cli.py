"""The ``emr-dags`` command.

Each subcommand lives in its own module exposing ``register(subparsers)``; the module adds its
parser and sets ``func`` (called with the parsed args, returns an exit code). Modules are imported
only when the command runs, so ``emr-dags --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

# Modules that contribute subcommands, in help order.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "emr_dags.stack.commands",  # up, down, status, demo
    "emr_dags.emulator.cli",  # emulator
    "emr_dags.diagnostics.cli",  # diagnose
    "emr_dags.ops.cli",  # reap, cost
    "emr_dags.bench.cli",  # bench, chaos
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
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if not exc.name or not name.startswith(exc.name):  # a missing dependency inside it: say so
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    return int(func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
