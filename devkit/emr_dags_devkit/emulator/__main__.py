"""``python -m emr_dags_devkit.emulator [options]``: the ``emr-dags emulator`` command on its own."""

from __future__ import annotations

import argparse
import sys

from emr_dags_devkit.emulator import cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emr_dags_devkit.emulator")
    subparsers = parser.add_subparsers(dest="command")
    cli.register(subparsers)
    args = parser.parse_args(["emulator", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
