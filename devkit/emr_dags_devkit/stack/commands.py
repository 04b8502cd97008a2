"""``emr-dags up | down | status | demo``: the local stack from the command line."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from emr_dags.console import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    Progress,
    checked,
    exit_codes_epilog,
    number,
    port,
    print_json,
)
from emr_dags.errors import EmrDagsError
from emr_dags_devkit.layout import project

UP_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "the stack is healthy"),
    (EXIT_FAILED, "it could not start (a port in use, a service exited or was not healthy in time); "
     "what was started was stopped again"),
    (EXIT_USAGE, "bad arguments"),
)  # fmt: skip
DOWN_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "nothing of the stack is running any more (or there was no stack)"),
    (EXIT_FAILED, "some process of the stack could not be stopped (listed on stderr)"),
    (EXIT_USAGE, "bad arguments"),
)
STATUS_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "every component is running and healthy"),
    (EXIT_FAILED, "no stack, or some component is stopped or unhealthy"),
    (EXIT_USAGE, "bad arguments"),
)
ENV_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "exports printed"),
    (EXIT_FAILED, "no stack in the state folder"),
    (EXIT_USAGE, "bad arguments"),
)
DEMO_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "every example DAG run succeeded"),
    (EXIT_FAILED, "a DAG run failed or timed out, no DAG carries the tag, or the stack could not start"),
    (EXIT_USAGE, "bad arguments"),
)


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


def _parser(subparsers: Any, name: str, help: str, epilog: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help, description=help, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    return parser


def register(subparsers: Any) -> None:
    up = _parser(
        subparsers, "up", "start the local stack (emulator + Airflow) in the background", UP_EXIT_CODES
    )
    _add_location_args(up)
    _add_up_args(up)
    up.set_defaults(func=cmd_up)

    down = _parser(subparsers, "down", "stop everything `up` started", DOWN_EXIT_CODES)
    _add_location_args(down)
    _add_docker_args(down)
    down.set_defaults(func=cmd_down)

    status = _parser(
        subparsers, "status", "show each component of the local stack and its health", STATUS_EXIT_CODES
    )
    _add_location_args(status)
    status.add_argument(
        "--json", action="store_true", help="print one JSON object (URLs, AIRFLOW_HOME, components)"
    )
    status.set_defaults(func=cmd_status)

    env = _parser(
        subparsers,
        "env",
        "print `export` lines that point the `airflow` command at the running stack (eval them)",
        ENV_EXIT_CODES,
    )
    _add_location_args(env)
    env.set_defaults(func=cmd_env)

    demo = _parser(
        subparsers,
        "demo",
        "start the stack if needed and run the example pipelines to success",
        DEMO_EXIT_CODES,
    )
    _add_location_args(demo)
    _add_up_args(demo)
    demo.add_argument("--tag", default="demo", help="run the DAGs carrying this tag (default: demo)")
    demo.set_defaults(local_exec=True)
    demo.add_argument(
        "--run-timeout",
        action=checked(number("--run-timeout 900", inclusive=False)),
        default=900.0,
        help="seconds to wait for each DAG run (default 900)",
    )
    demo.set_defaults(func=cmd_demo)


def _add_up_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--compose-file",
        type=Path,
        default=None,
        help="the compose file describing the services (default: <repo>/docker-compose.yaml)",
    )
    ports = (
        ("--api-port", 8080, "Airflow's api-server and UI"),
        ("--emulator-port", 5055, "the EMR emulator (boto3 endpoint_url)"),
        ("--scheduler-health-port", 8974, "the scheduler's health check server"),
        ("--pg-port", 5433, "PostgreSQL, with --postgres"),
        ("--worker-log-port", 8793, "Airflow's task log server"),
        ("--trigger-log-port", 8794, "Airflow's triggerer log server"),
    )
    for flag, default, what in ports:
        parser.add_argument(
            flag,
            action=checked(port),
            default=default,
            metavar="PORT",
            help=f"port of {what} (default {default})",
        )
    parser.add_argument(
        "--time-scale",
        action=checked(number("--time-scale 1", inclusive=False)),
        default=1.0,
        help="real seconds per simulated minute in the emulator (default 1: a cluster is ready in ~6 s)",
    )
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL 15 instead of SQLite")
    parser.add_argument(
        "--local-exec", action=argparse.BooleanOptionalAction, default=False,
        help="let the emulator run local command-runner steps as real processes (as `nobody` when run as "
        "root); off for `up`, on for `demo` (its word count runs this way)",
    )  # fmt: skip
    parser.add_argument(
        "--timeout",
        action=checked(number("--timeout 300", inclusive=False)),
        default=300.0,
        help="seconds to wait for the stack to be healthy (default 300)",
    )
    _add_docker_args(parser)


def _add_docker_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Docker (docker-compose.yaml on this machine's Docker engine)")
    group.add_argument(
        "--docker",
        action="store_true",
        help="the compose stack in Docker (CeleryExecutor, PostgreSQL, Redis, two workers) instead of "
        "local processes; installs Docker and builds the images first when needed",
    )
    group.add_argument("--project-name", default=None, help="the compose project name (default: emr-dags)")
    group.add_argument(
        "--official-images",
        action="store_true",
        help="build FROM apache/airflow and use the postgres/redis images of a registry, instead of "
        "base images built here from Debian packages (for machines that can pull)",
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
    return Stack(config, progress=Progress(args.command or "stack")) if config else None


def _fail(exc: Exception, command: str) -> int:
    print(f"emr-dags {command}: error: {exc}", file=sys.stderr)
    return EXIT_FAILED


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


def _docker_stack(args: argparse.Namespace) -> Any:
    from emr_dags_devkit.stack.docker import DEFAULT_PROJECT, DockerStack

    return DockerStack(
        repo_root=repo_root(),
        state_dir=_state_dir(args),
        project_name=args.project_name or DEFAULT_PROJECT,
        api_port=getattr(args, "api_port", 8080),
        emulator_port=getattr(args, "emulator_port", 5055),
        time_scale=getattr(args, "time_scale", 1.0),
        local_base=not args.official_images,
        extra_env={"EMR_DAGS_LOCAL_EXEC": "true" if getattr(args, "local_exec", False) else "false"},
    )


def cmd_up_docker(args: argparse.Namespace) -> int:
    import time

    stack = _docker_stack(args)
    start = time.monotonic()
    try:
        timings = stack.up(timeout=max(args.timeout, 600.0))
        password = stack.admin_password()
    except EmrDagsError as exc:
        return _fail(exc)
    spent = ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
    print(f"the Docker stack is healthy ({time.monotonic() - start:.0f} s: {spent})")
    print(f"\nAirflow UI:   {stack.api_url}   (user: admin, password: {password})")
    print(f"Emulator:     {stack.emulator_url}   (boto3 endpoint_url; admin API under /emr-dags/)")
    print(f"Project dir:  {stack.project_dir}   (AIRFLOW_PROJ_DIR: dags, logs, config, plugins)")
    name = "" if stack.project_name == "emr-dags" else f" --project-name {stack.project_name}"
    print(f"Stop it with: {Path(sys.executable).parent / 'emr-dags'} down --docker{name}")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from emr_dags_devkit.stack.runner import Stack

    if args.docker:
        return cmd_up_docker(args)
    try:
        stack = Stack(_config(args), progress=Progress("up"))
        stack.up(timeout=args.timeout)
    except EmrDagsError as exc:
        return _fail(exc, "up")
    print("the local stack is healthy")
    _print_login(stack)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    if args.docker:
        try:
            stack = _docker_stack(args)
            removed = stack.down()
            left = stack.leftovers() if removed else {}
        except EmrDagsError as exc:
            return _fail(exc)
        print(
            f"removed {len(removed)} container(s) and the project's network and volumes"
            if removed
            else "nothing was running"
        )
        if any(left.values()):
            return _fail(EmrDagsError(f"left behind by docker-compose down: {left}"))
        return 0
    stack = _existing(args)
    if stack is None:
        print(f"no stack in {_state_dir(args)}: nothing to stop")
        return 0
    stopped = stack.down()
    print(f"stopped {len(stopped)} component(s)" if stopped else "nothing was running")
    if stack.survivors:
        print(
            f"emr-dags down: error: {len(stack.survivors)} process(es) of the stack could not be stopped: "
            f"{stack.survivors}; stop them by hand (kill -9 PID), then run `emr-dags down` again",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    stack = _existing(args)
    if stack is None:
        report: dict[str, Any] = {"state_dir": str(_state_dir(args)), "healthy": False, "components": {}}
    else:
        report = stack.status()
    if args.json:
        print_json(report)
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
            f"emr-dags env: error: no stack in {_state_dir(args)}; start one with `emr-dags up`",
            file=sys.stderr,
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

    if args.docker:
        return _fail(EmrDagsError("demo runs on the native stack; for Docker: emr-dags up --docker"))
    stack = _existing(args)
    try:
        if stack is None or not stack.status()["healthy"]:
            if stack is not None:
                stack.down(quiet=True)
            stack = Stack(_config(args), progress=Progress("demo"))
            stack.up(timeout=args.timeout)
        ok = run_demo(stack, tag=args.tag, timeout=args.run_timeout, progress=Progress("demo"))
    except EmrDagsError as exc:
        return _fail(exc, "demo")
    _print_login(stack)
    return 0 if ok else 1
