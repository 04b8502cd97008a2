"""Read ``docker-compose.yaml`` and translate its services into local processes.

The compose file is the single source of the local stack's topology. Docker users run it as is;
``emr-dags up`` runs the same services' commands, environment and healthchecks as processes on this
machine. The translation is small and explicit:

* ``${VAR:-default}`` is interpolated as Docker Compose does (``$$`` is a literal ``$``);
* service hostnames (``emulator``, ``postgres``, ``airflow-apiserver``) become ``127.0.0.1``;
* container paths become the host paths of the service's volumes, and the image's ``AIRFLOW_HOME``
  (``/opt/airflow``) becomes the stack's state folder;
* the official image's entrypoint is mimicked: ``python ...`` runs this interpreter, anything else
  is an ``airflow`` subcommand;
* healthchecks become HTTP checks, or a component of Airflow's ``/api/v2/monitor/health``;
* Docker-only services are skipped: those labelled ``dev.emr-dags.native: skip`` and any Celery
  command (the broker and the workers); the executor is forced to the ``LocalExecutor``;
* a one-shot service labelled ``dev.emr-dags.native-command`` runs that Airflow command natively
  instead of its Docker command (``airflow-init``'s folder/secret script is Docker's business: the
  native stack writes its secrets itself).

Anything the translation does not understand raises :class:`ComposeError`, so the file and the
native stack cannot drift apart silently (a unit test translates every service).
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emr_dags.errors import EmrDagsError

if TYPE_CHECKING:
    from pathlib import Path

IMAGE_AIRFLOW_HOME = "/opt/airflow"
LOCALHOST = "127.0.0.1"

# `airflow jobs check --job-type X` -> the component of /api/v2/monitor/health that reports X.
JOB_TYPE_COMPONENTS = {
    "SchedulerJob": "scheduler",
    "TriggererJob": "triggerer",
    "DagProcessorJob": "dag_processor",
}

# Environment that only makes sense inside the official image.
DOCKER_ONLY_ENV = frozenset(
    {
        "_PIP_ADDITIONAL_REQUIREMENTS",
        "_AIRFLOW_WWW_USER_PASSWORD",
        "DUMB_INIT_SETSID",
        "PGPORT",
        # Docker's short heartbeat timeout retries a killed Celery worker's task sooner; on the native
        # stack's SQLite, heartbeats can stall behind a busy writer, so Airflow's default (300 s) stays.
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT",
    }
)
DOCKER_ONLY_ENV_PREFIXES = ("AIRFLOW__CELERY__",)
# The native stack runs every task in the scheduler's LocalExecutor: there is no broker or worker.
NATIVE_EXECUTOR = "LocalExecutor"
# Service labels that steer the translation (Docker ignores them).
LABEL_NATIVE = "dev.emr-dags.native"  # "skip": a Docker-only service
LABEL_NATIVE_COMMAND = "dev.emr-dags.native-command"  # the Airflow command a one-shot runs natively
# With many runs in flight, SQLite's default 5 s busy timeout gives "database is locked".
SQLITE_BUSY_TIMEOUT_S = 30


class ComposeError(EmrDagsError):
    """The compose file says something the native stack cannot reproduce."""


@dataclass(frozen=True, kw_only=True, slots=True)
class HealthCheck:
    """How to tell that a service is up: an HTTP URL, or a component of Airflow's monitor health."""

    kind: str  # "http" | "airflow-component" | "postgres"
    target: str  # URL, component name, or "host:port"


@dataclass(frozen=True, kw_only=True, slots=True)
class NativeService:
    name: str
    argv: tuple[str, ...]
    env: dict[str, str]
    healthcheck: HealthCheck | None
    one_shot: bool
    depends_on: dict[str, str] = field(default_factory=dict)  # service -> condition
    ports: tuple[int, ...] = ()


_VAR = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\}")


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Docker Compose's ``${VAR}`` / ``${VAR:-default}`` interpolation, with ``$$`` as a literal ``$``."""

    def repl(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name")
        default = match.group("default")
        value = variables.get(name)
        if value in (None, "") and default is not None:
            return default
        return value or ""

    return _VAR.sub(repl, value)


def _interpolate_tree(node: Any, variables: dict[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, variables)
    if isinstance(node, list):
        return [_interpolate_tree(item, variables) for item in node]
    if isinstance(node, dict):
        return {key: _interpolate_tree(value, variables) for key, value in node.items()}
    return node


def load_compose(path: Path, variables: dict[str, str]) -> dict[str, Any]:
    """Parse the compose file (anchors and ``<<`` merge keys included) and interpolate it."""
    import yaml

    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise ComposeError(
            f"{path} not found; run emr-dags from the repository root or pass --compose-file"
        ) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("services"), dict):
        raise ComposeError(f"{path}: no 'services' mapping; is this a docker-compose file?")
    return dict(_interpolate_tree(raw, variables))


def _env_dict(environment: Any, service: str) -> dict[str, str]:
    if environment is None:
        return {}
    if isinstance(environment, dict):
        return {str(k): "" if v is None else str(v) for k, v in environment.items()}
    if isinstance(environment, list):
        pairs = (item.split("=", 1) for item in environment)
        return {k: v for k, v in pairs}
    raise ComposeError(f"service {service}: 'environment' must be a mapping or a list of KEY=VALUE")


def _argv(command: Any, service: str) -> list[str]:
    if command is None:
        raise ComposeError(f"service {service}: no 'command'; the native stack needs one to know what to run")
    if isinstance(command, str):
        return shlex.split(command)
    return [str(part) for part in command]


@dataclass(frozen=True, kw_only=True, slots=True)
class Translation:
    """Where things are on this machine."""

    repo_root: Path
    airflow_home: Path
    airflow_bin: Path
    python: str = sys.executable
    sqlite: bool = True
    # Host folders the stack builds itself instead of the project's own, by the volume's host path
    # relative to the project ("dags" -> <state>/dags: the examples plus, for bench/chaos, fixtures).
    host_dirs: tuple[tuple[str, str], ...] = ()

    def path_map(self, volumes: list[Any]) -> list[tuple[str, str]]:
        mapping: list[tuple[str, str]] = []
        for volume in volumes or []:
            if not isinstance(volume, str) or ":" not in volume:
                continue
            host, container = volume.split(":")[:2]
            if not host.startswith((".", "/")):
                continue  # a named volume: nothing on the host to map to
            built = dict(self.host_dirs).get(os.path.normpath(host))
            real = built or str((self.repo_root / host).resolve())
            mapping.append((container.rstrip("/") or "/", real))
        mapping.append((IMAGE_AIRFLOW_HOME, str(self.airflow_home)))
        # Longest container path first, so /opt/airflow/dags wins over /opt/airflow.
        return sorted(mapping, key=lambda pair: len(pair[0]), reverse=True)


def _map_paths(value: str, mapping: list[tuple[str, str]]) -> str:
    for container, host in mapping:
        if value == container or value.startswith(container + "/"):
            return host + value[len(container) :]
    return value


def _map_command_paths(value: str, mapping: list[tuple[str, str]]) -> str:
    """A ``*_CMD`` setting is a command line: map each word that is a container path."""
    return " ".join(_map_paths(word, mapping) for word in value.split(" "))


def _map_hosts(value: str, hostnames: list[str]) -> str:
    for host in hostnames:
        value = re.sub(rf"(?<=[/@]){re.escape(host)}(?=[:/]|$)", LOCALHOST, value)
    return value.replace("//localhost:", f"//{LOCALHOST}:")


def _healthcheck(spec: Any, service: str, hostnames: list[str]) -> HealthCheck | None:
    if not spec:
        return None
    test = spec.get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    if not isinstance(test, list) or not test:
        raise ComposeError(f"service {service}: healthcheck.test must be a list")
    kind, args = test[0], [str(a) for a in test[1:]]
    if kind == "CMD" and args[:1] == ["curl"]:
        url = next((a for a in args if a.startswith("http")), None)
        if url:
            return HealthCheck(kind="http", target=_map_hosts(url, hostnames))
    if kind == "CMD" and args[:1] == ["pg_isready"]:
        return HealthCheck(kind="postgres", target=service)
    if kind == "CMD-SHELL" and args:
        component = _airflow_jobs_check(args[0])
        if component:
            return HealthCheck(kind="airflow-component", target=component)
    raise ComposeError(
        f"service {service}: healthcheck {test!r} has no native equivalent; use curl or airflow jobs check"
    )


def _airflow_jobs_check(shell: str) -> str | None:
    """The Airflow component an ``[timeout N] airflow jobs check --job-type X`` healthcheck checks."""
    words = shlex.split(shell)
    if words[:1] == ["timeout"] and len(words) > 2:
        words = words[2:]  # `timeout N cmd`: the native check has its own timeout
    if words[:3] == ["airflow", "jobs", "check"] and "--job-type" in words:
        return JOB_TYPE_COMPONENTS.get(words[words.index("--job-type") + 1])
    return None


def _ports(spec: Any) -> tuple[int, ...]:
    """Host ports of ``[ip:]host:container`` entries (``127.0.0.1:8080:8080`` -> 8080)."""
    ports = []
    for entry in spec or []:
        parts = str(entry).split(":")
        host = parts[-2] if len(parts) >= 2 else ""
        if host.isdigit():
            ports.append(int(host))
    return tuple(ports)


def _labels(spec: dict[str, Any]) -> dict[str, str]:
    labels = spec.get("labels") or {}
    if isinstance(labels, list):
        return dict(str(item).split("=", 1) for item in labels if "=" in str(item))
    return {str(k): str(v) for k, v in labels.items()}


def docker_only(spec: dict[str, Any]) -> bool:
    """A service the native stack does not run: labelled so, or a Celery process (broker, worker, flower)."""
    if _labels(spec).get(LABEL_NATIVE) == "skip":
        return True
    command = spec.get("command")
    first = (shlex.split(command) if isinstance(command, str) else list(command or []))[:1]
    return first == ["celery"]


def _native_argv(spec: dict[str, Any], service: str) -> list[str]:
    override = _labels(spec).get(LABEL_NATIVE_COMMAND)
    if override:
        return shlex.split(override)
    return _argv(spec.get("command"), service)


def translate(compose: dict[str, Any], where: Translation, *, with_postgres: bool) -> list[NativeService]:
    """Turn the compose services into native services, in start order."""
    services: dict[str, Any] = compose["services"]
    hostnames = sorted(services, key=len, reverse=True)
    one_shots = {
        dep
        for spec in services.values()
        for dep, cond in _depends(spec).items()
        if cond == "service_completed_successfully"
    }
    natives: list[NativeService] = []
    for name, spec in services.items():
        if name == "postgres":
            continue  # started by emr_dags_devkit.stack.postgres from its environment when --postgres
        if docker_only(spec):
            continue
        mapping = where.path_map(spec.get("volumes", []))
        env = {}
        for key, value in _env_dict(spec.get("environment"), name).items():
            if key in DOCKER_ONLY_ENV or key.startswith(DOCKER_ONLY_ENV_PREFIXES):
                continue
            # Containers listen on every interface; natively we listen on loopback only.
            value = LOCALHOST if value == "0.0.0.0" else value
            value = _map_hosts(value, hostnames)
            env[key] = (
                _map_command_paths(value, mapping) if key.endswith("_CMD") else _map_paths(value, mapping)
            )
        if "AIRFLOW__CORE__EXECUTOR" in env:
            env["AIRFLOW__CORE__EXECUTOR"] = NATIVE_EXECUTOR
        if "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" in env and not with_postgres:
            env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = (
                f"sqlite:///{where.airflow_home / 'airflow.db'}?timeout={SQLITE_BUSY_TIMEOUT_S}"
            )
        argv = [_map_paths(a.replace("0.0.0.0", LOCALHOST), mapping) for a in _native_argv(spec, name)]
        if argv[0] in ("python", "python3"):
            argv = [where.python, *argv[1:]]
        elif argv[0] != "bash":
            argv = [str(where.airflow_bin), *argv]  # the official image's entrypoint runs `airflow <command>`
        natives.append(
            NativeService(
                name=name,
                argv=tuple(argv),
                env=env,
                healthcheck=_healthcheck(spec.get("healthcheck"), name, hostnames),
                one_shot=name in one_shots,
                depends_on={
                    dep: cond for dep, cond in _depends(spec).items() if dep != "postgres" or with_postgres
                },
                ports=_ports(spec.get("ports")),
            )
        )
    return _start_order(natives)


def _depends(spec: dict[str, Any]) -> dict[str, str]:
    depends = spec.get("depends_on") or {}
    if isinstance(depends, list):
        return {dep: "service_started" for dep in depends}
    return {dep: (cond or {}).get("condition", "service_started") for dep, cond in depends.items()}


def _start_order(natives: list[NativeService]) -> list[NativeService]:
    by_name = {svc.name: svc for svc in natives}
    ordered: list[NativeService] = []
    seen: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in seen:
            return
        if name in trail:
            raise ComposeError(f"depends_on cycle: {' -> '.join((*trail, name))}")
        for dep in by_name[name].depends_on:
            if dep in by_name:
                visit(dep, (*trail, name))
        seen.add(name)
        ordered.append(by_name[name])

    for name in by_name:
        visit(name, ())
    return ordered


def default_variables() -> dict[str, str]:
    """The variables compose would read: the process environment."""
    return dict(os.environ)
