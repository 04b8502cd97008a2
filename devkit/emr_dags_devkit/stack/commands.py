"""``emr-dags up | down | status | demo``: the local stack from the command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from emr_dags.errors import EmrDagsError
from emr_dags_devkit.layout import project


def repo_root() -> Path:
    """The folder holding docker-compose.yaml and dags/ (see :mod:`emr_dags_devkit.layout`)."""
    return project().root


def default_state_dir() -> Path:
    return project().default_state_dir


def _add_location_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="where the stack keeps AIRFLOW_HOME, PIDs and logs (default: <repo>/.state, or $EMR_DAGS_STATE_DIR)",
    )


def _state_dir(args: argparse.Namespace) -> Path:
    if args.state_dir:
        return Path(args.state_dir).resolve()
    env = os.environ.get("EMR_DAGS_STATE_DIR")
    return Path(env).resolve() if env else default_state_dir()


def register(subparsers: Any) -> None:
    up = subparsers.add_parser("up", help="start the local stack (emulator + Airflow) in the background")
    _add_location_args(up)
    _add_up_args(up)
    up.set_defaults(func=cmd_up)

    down = subparsers.add_parser("down", help="stop everything `up` started")
    _add_location_args(down)
    down.set_defaults(func=cmd_down)

    status = subparsers.add_parser("status", help="show each component of the local stack and its health")
    _add_location_args(status)
    status.add_argument(
        "--json", action="store_true", help="print one JSON object (URLs, AIRFLOW_HOME, components)"
    )
    status.set_defaults(func=cmd_status)

    env = subparsers.add_parser(
        "env", help="print `export` lines that point the `airflow` command at the running stack (eval them)"
    )
    _add_location_args(env)
    env.set_defaults(func=cmd_env)

    demo = subparsers.add_parser(
        "demo", help="start the stack if needed and run the example pipelines to success"
    )
    _add_location_args(demo)
    _add_up_args(demo)
    demo.add_argument("--tag", default="demo", help="run the DAGs carrying this tag (default: demo)")
    demo.set_defaults(local_exec=True)
    demo.add_argument("--run-timeout", type=float, default=900.0, help="seconds to wait for the DAG runs")
    demo.set_defaults(func=cmd_demo)


def _add_up_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--compose-file", type=Path, default=None, help="default: <repo>/docker-compose.yaml")
    parser.add_argument("--api-port", type=int, default=8080)
    parser.add_argument("--emulator-port", type=int, default=5055)
    parser.add_argument("--scheduler-health-port", type=int, default=8974)
    parser.add_argument("--pg-port", type=int, default=5433)
    parser.add_argument("--worker-log-port", type=int, default=8793, help="Airflow's task log server")
    parser.add_argument("--trigger-log-port", type=int, default=8794, help="Airflow's triggerer log server")
    parser.add_argument("--time-scale", type=float, default=1.0, help="real seconds per simulated minute")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL 15 instead of SQLite")
    parser.add_argument(
        "--local-exec", action=argparse.BooleanOptionalAction, default=False,
        help="let the emulator run local command-runner steps as real processes (as `nobody` when run as "
        "root); off for `up`, on for `demo` (its word count runs this way)",
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds to wait for the stack to be healthy"
    )


def _config(args: argparse.Namespace) -> Any:
    from emr_dags_devkit.stack.runner import StackConfig

    root = repo_root()
    return StackConfig(
        repo_root=str(root),
        state_dir=str(_state_dir(args)),
        compose_file=str((args.compose_file or root / "docker-compose.yaml").resolve()),
        api_port=args.api_port,
        emulator_port=args.emulator_port,
        scheduler_health_port=args.scheduler_health_port,
        pg_port=args.pg_port,
        worker_log_port=args.worker_log_port,
        trigger_log_port=args.trigger_log_port,
        time_scale=args.time_scale,
        postgres=args.postgres,
        local_exec=args.local_exec,
    )


def _existing(args: argparse.Namespace) -> Any:
    from emr_dags_devkit.stack.runner import Stack, load_config

    config = load_config(_state_dir(args))
    return Stack(config) if config else None


def _fail(exc: Exception) -> int:
    print(f"emr-dags: error: {exc}", file=sys.stderr)
    return 1


def _print_login(stack: Any) -> None:
    cfg = stack.config
    print(f"\nAirflow UI:   {cfg.api_url}   (user: admin, password: in {cfg.password_file})")
    print(
        f"Emulator:     {cfg.emulator_url}   (boto3 endpoint_url; admin API under /emr-dags/, "
        f"token in {cfg.emulator_token_file}; local execution {'on' if cfg.local_exec else 'off'})"
    )
    print(f"AIRFLOW_HOME: {cfg.airflow_home}")
    print(f"Logs:         {stack.log_dir}")
    default = default_state_dir()
    where = "" if Path(cfg.state_dir) == default else f" --state-dir {cfg.state_dir}"
    print(f"Stop it with: {Path(sys.executable).parent / 'emr-dags'} down{where}")


def cmd_up(args: argparse.Namespace) -> int:
    from emr_dags_devkit.stack.runner import Stack

    try:
        stack = Stack(_config(args))
        stack.up(timeout=args.timeout)
    except EmrDagsError as exc:
        return _fail(exc)
    print("the local stack is healthy")
    _print_login(stack)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    stack = _existing(args)
    if stack is None:
        print(f"no stack in {_state_dir(args)}: nothing to stop")
        return 0
    stopped = stack.down()
    print(f"stopped {len(stopped)} component(s)" if stopped else "nothing was running")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    stack = _existing(args)
    if stack is None:
        report: dict[str, Any] = {"state_dir": str(_state_dir(args)), "healthy": False, "components": {}}
    else:
        report = stack.status()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0 if report["healthy"] else 1
    if stack is None:
        print(f"no stack in {report['state_dir']}; start one with `emr-dags up`")
        return 1
    for name, comp in report["components"].items():
        health = "healthy" if comp["healthy"] else ("running, not healthy" if comp["running"] else "stopped")
        print(f"{name:24} pid {str(comp['pid'] or '-'):>8}  {health}")
    print(
        f"\nAirflow API: {report['api_url']}\nEmulator:    {report['emulator_url']}\nAIRFLOW_HOME: {report['airflow_home']}"
    )
    return 0 if report["healthy"] else 1


# Settings the `airflow` CLI does not need and that must not be echoed into a terminal or a CI log.
_SECRET_ENV = frozenset({"AIRFLOW__API_AUTH__JWT_SECRET"})


def cmd_env(args: argparse.Namespace) -> int:
    import shlex

    stack = _existing(args)
    if stack is None:
        print(
            f"emr-dags: error: no stack in {_state_dir(args)}; start one with `emr-dags up`", file=sys.stderr
        )
        return 1
    env = stack.cli_env()
    keys = sorted(k for k in env if k.startswith(("AIRFLOW", "AWS_")) and k not in _SECRET_ENV)
    for key in keys:
        print(f"export {key}={shlex.quote(env[key])}")
    print(f"export PATH={shlex.quote(env['PATH'])}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from emr_dags_devkit.stack.demo import run_demo
    from emr_dags_devkit.stack.runner import Stack

    stack = _existing(args)
    try:
        if stack is None or not stack.status()["healthy"]:
            if stack is not None:
                stack.down(quiet=True)
            stack = Stack(_config(args))
            stack.up(timeout=args.timeout)
        ok = run_demo(stack, tag=args.tag, timeout=args.run_timeout)
    except EmrDagsError as exc:
        return _fail(exc)
    _print_login(stack)
    return 0 if ok else 1
