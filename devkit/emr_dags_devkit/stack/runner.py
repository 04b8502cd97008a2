"""Run the local stack as processes: start in dependency order, wait for health, stop without leftovers.

Every process we start carries ``EMR_DAGS_STACK_ID`` in its environment, and its children inherit it.
``down`` stops the scheduler first (Airflow 3.3's scheduler hangs when its whole process group gets
SIGTERM at once), then every other service's process group and the descendants of its leader, then
sweeps every process for anything that still carries our stack id and SIGKILLs it. No process may
survive ``down``. Processes are found through ``psutil`` (environment, working folder, process groups,
children), so the stack runs on Linux and macOS alike.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from emr_dags.console import Progress
from emr_dags.errors import EmrDagsError
from emr_dags_devkit.layout import FIXTURE_DAGS, build_dag_folder
from emr_dags_devkit.stack import postgres
from emr_dags_devkit.stack.compose import HealthCheck, NativeService, Translation, load_compose, translate

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

SCHEDULER = "airflow-scheduler"
ADMIN_USER = "admin"


class StackError(EmrDagsError):
    """The local stack cannot start, or stop, and the message says what to do."""


@dataclass(kw_only=True)
class StackConfig:
    """What `up` was asked for; saved in the state folder so `status` and `down` know the stack."""

    repo_root: str
    state_dir: str
    compose_file: str
    api_port: int = 8080
    emulator_port: int = 5055
    scheduler_health_port: int = 8974
    pg_port: int = 5433
    worker_log_port: int = 8793
    trigger_log_port: int = 8794
    time_scale: float = 1.0
    postgres: bool = False
    # Also mount the dev kit's bench/chaos fixture DAGs (only the stacks of `bench`/`chaos` and the
    # end-to-end tests do; a user's stack shows the examples only).
    fixture_dags: bool = False
    # Run the example DAGs' local command-runner steps as real processes in the emulator (opt-in:
    # anyone who can add a step could run a program here). `emr-dags demo` turns it on.
    local_exec: bool = False
    stack_id: str = field(default_factory=lambda: secrets.token_hex(8))

    @property
    def airflow_home(self) -> Path:
        return Path(self.state_dir) / "airflow"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    @property
    def dags_folder(self) -> Path:
        return Path(self.state_dir) / "dags"

    @property
    def plugins_folder(self) -> Path:
        return Path(self.state_dir) / "plugins"

    @property
    def secrets_dir(self) -> Path:
        """What the compose file's airflow-init writes in Docker (the ``airflow-secrets`` volume)."""
        return self.airflow_home / "secrets"

    @property
    def password_file(self) -> Path:
        return self.secrets_dir / "simple_auth_manager_passwords.json"

    @property
    def jwt_secret_file(self) -> Path:
        return self.secrets_dir / "jwt_secret"

    @property
    def emulator_token_file(self) -> Path:
        """The emulator's admin token (mode 0600), written by `up` and read by `EmulatorAdmin`."""
        from emr_dags_devkit.emulator.client import TOKEN_FILE_NAME

        return Path(self.state_dir) / TOKEN_FILE_NAME

    def emulator_token(self) -> str:
        return _secret(self.emulator_token_file)

    def emulator_admin(self) -> Any:
        """An ``EmulatorAdmin`` for this stack's emulator, carrying its token."""
        from emr_dags_devkit.emulator.client import EmulatorAdmin

        return EmulatorAdmin(self.emulator_url, token=self.emulator_token())

    def ports(self) -> dict[str, int]:
        ports = {
            "api-server": self.api_port,
            "emulator": self.emulator_port,
            "scheduler health check": self.scheduler_health_port,
            "worker log server": self.worker_log_port,
            "trigger log server": self.trigger_log_port,
        }
        if self.postgres:
            ports["postgres"] = self.pg_port
        return ports

    def variables(self) -> dict[str, str]:
        """Values for the compose file's ${...} placeholders."""
        return {
            "EMR_DAGS_API_PORT": str(self.api_port),
            "EMR_DAGS_EMULATOR_PORT": str(self.emulator_port),
            "EMR_DAGS_SCHEDULER_HEALTH_PORT": str(self.scheduler_health_port),
            "EMR_DAGS_PG_PORT": str(self.pg_port),
            "EMR_DAGS_WORKER_LOG_PORT": str(self.worker_log_port),
            "EMR_DAGS_TRIGGER_LOG_PORT": str(self.trigger_log_port),
            "EMR_DAGS_TIME_SCALE": str(self.time_scale),
            # Idle timeouts count real time (see Timings.idle_timeout_factor): Airflow's gaps between
            # tasks are not scaled, so a scaled 30-minute idle timeout would end clusters mid-pipeline.
            "EMR_DAGS_IDLE_TIMEOUT_FACTOR": f"{60.0 / self.time_scale:g}",
            "EMR_DAGS_EMULATOR_TOKEN": self.emulator_token(),
            "EMR_DAGS_EMULATOR_TOKEN_FILE": str(self.emulator_token_file),
            "EMR_DAGS_LOCAL_EXEC": "true" if self.local_exec else "false",
        }


def _secret(path: Path) -> str:
    """A per-state-folder random secret, created once, readable only by this user."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def config_path(state_dir: Path) -> Path:
    return state_dir / "stack.json"


def load_config(state_dir: Path) -> StackConfig | None:
    path = config_path(state_dir)
    if not path.exists():
        return None
    return StackConfig(**json.loads(path.read_text()))


class Stack:
    def __init__(
        self, config: StackConfig, *, echo: Callable[[str], None] = print, progress: Progress | None = None
    ) -> None:
        self.config = config
        self.echo = echo
        # progress lines of long waits, on stderr: `[up] waiting for airflow-apiserver health (12 s of 300 s)`
        self.progress = progress or Progress("stack")
        self.survivors: list[int] = []  # what the last `down` could not stop (empty: nothing survived)
        self._up_started = time.monotonic()
        self._up_budget = 0.0
        self.state_dir = Path(config.state_dir)
        self.pid_dir = self.state_dir / "pids"
        self.log_dir = self.state_dir / "logs"

    # ----------------------------------------------------------------- services
    def services(self) -> list[NativeService]:
        bin_dir = Path(sys.executable).parent
        airflow_bin = bin_dir / "airflow"
        if not airflow_bin.exists():
            found = shutil.which("airflow")
            if not found:
                raise StackError(
                    "the `airflow` command is missing; install the stack's dependencies: "
                    "pip install emr-dags-devkit (in a checkout: make install)"
                )
            airflow_bin = Path(found)
        compose = load_compose(Path(self.config.compose_file), {**os.environ, **self.config.variables()})
        where = Translation(
            repo_root=Path(self.config.repo_root),
            airflow_home=self.config.airflow_home,
            airflow_bin=airflow_bin,
            sqlite=not self.config.postgres,
            host_dirs=(("dags", str(self.config.dags_folder)), ("plugins", str(self.config.plugins_folder))),
        )
        return translate(compose, where, with_postgres=self.config.postgres)

    def _env(self, service: NativeService) -> dict[str, str]:
        # The caller's own AIRFLOW__* settings pass through (e.g. [emr_dags] options); the compose
        # file's settings win where both set the same key.
        env = dict(os.environ)
        env.update(service.env)
        env.update(
            {
                "AIRFLOW_HOME": str(self.config.airflow_home),
                "EMR_DAGS_STACK_ID": self.config.stack_id,
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def _build_folders(self) -> None:
        """Airflow's DAG folder (links to the project's examples, plus fixtures) and an empty plugins
        folder: the emr-dags plugin itself registers through its ``airflow.plugins`` entry point."""
        sources = [Path(self.config.repo_root) / "dags"]
        if self.config.fixture_dags:
            sources.append(FIXTURE_DAGS)
        build_dag_folder(self.config.dags_folder, sources)
        self.config.plugins_folder.mkdir(parents=True, exist_ok=True)

    # ----------------------------------------------------------------------- up
    def up(self, *, timeout: float = 240.0) -> None:
        self._refuse_if_running()
        self._check_ports()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        for folder in (self.pid_dir, self.log_dir, self.config.airflow_home, self.config.secrets_dir):
            folder.mkdir(parents=True, exist_ok=True)
        # The secrets airflow-init generates in Docker; the services read them from these files.
        _secret(self.config.jwt_secret_file)
        self._write_password_file()
        from emr_dags_devkit.emulator.client import new_token, write_token_file

        write_token_file(self.config.emulator_token_file, new_token())  # a new admin token per start
        self._build_folders()
        services = self.services_cache  # fails early on a compose file we cannot run
        config_path(self.state_dir).write_text(json.dumps(asdict(self.config), indent=2))
        self._up_started, self._up_budget = time.monotonic(), timeout
        deadline = self._up_started + timeout
        try:
            if self.config.postgres:
                self._start_postgres()
            for service in services:
                self._wait_for_dependencies(service, deadline)
                if service.one_shot:
                    self._run_once(service, deadline)
                else:
                    self._start(service)
            for service in services:
                if not service.one_shot:
                    self._wait_healthy(service, deadline)
            from emr_dags_devkit.stack.seed import seed_demo_fixtures

            for item in seed_demo_fixtures(self.config.emulator_url):
                self.echo(f"created {item} in the emulator (the example DAGs use it)")
        except BaseException:
            self.echo("start-up failed; stopping what was started")
            self.down(quiet=True)
            raise

    def _refuse_if_running(self) -> None:
        running = [name for name, pid in self._pids().items() if _alive(pid)]
        if running:
            raise StackError(
                f"the stack in {self.state_dir} is already running ({', '.join(sorted(running))}); "
                "see `emr-dags status`, or stop it with `emr-dags down`"
            )
        stale = list(self.pid_dir.glob("*.pid")) if self.pid_dir.exists() else []
        for path in stale:
            path.unlink()
        if stale:
            self.echo(
                f"removed {len(stale)} stale PID file(s) left by an earlier run that did not stop cleanly"
            )
        # Processes of an earlier stack in this folder whose PID files were lost.
        previous = load_config(self.state_dir)
        if previous and _processes_with_stack_id(previous.stack_id, self.config.state_dir):
            raise StackError(
                f"processes of an earlier stack in {self.state_dir} are still running without PID files; "
                "stop them with `emr-dags down`"
            )

    def _check_ports(self) -> None:
        for what, port in self.config.ports().items():
            if not _port_free(port):
                flag = {
                    "api-server": "--api-port",
                    "emulator": "--emulator-port",
                    "scheduler health check": "--scheduler-health-port",
                    "postgres": "--pg-port",
                    "worker log server": "--worker-log-port",
                    "trigger log server": "--trigger-log-port",
                }[what]
                raise StackError(
                    f"port {port} (the {what}) is already in use by another program; stop it, "
                    f"or pick another port: emr-dags up {flag} <free port>"
                )

    def _write_password_file(self) -> None:
        path = self.config.password_file
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump({ADMIN_USER: secrets.token_urlsafe(12)}, handle)

    def admin_password(self) -> str:
        return str(json.loads(self.config.password_file.read_text())[ADMIN_USER])

    def _start(self, service: NativeService) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{service.name}.log", "ab")  # noqa: SIM115 - the child owns it
        with log:
            proc = subprocess.Popen(
                list(service.argv),
                env=self._env(service),
                cwd=self.state_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group, so `down` can stop its children too
            )
        (self.pid_dir / f"{service.name}.pid").write_text(str(proc.pid))
        self.echo(f"started {service.name} (pid {proc.pid})")
        return proc

    def _run_once(self, service: NativeService, deadline: float) -> None:
        self.echo(f"running {service.name}: {' '.join(service.argv[1:])}")
        proc = self._start(service)
        try:
            while (code := proc.poll()) is None:
                if time.monotonic() > deadline:
                    raise StackError(f"{service.name} did not finish in time; see {self._log(service.name)}")
                self._tick(f"waiting for {service.name} to finish")
                time.sleep(0.5)
        finally:
            (self.pid_dir / f"{service.name}.pid").unlink(missing_ok=True)
        if code != 0:
            raise StackError(f"{service.name} failed (exit {code}):\n{self.tail(service.name)}")

    def _start_postgres(self) -> None:
        server = postgres.LocalPostgres(self.state_dir / "postgres", port=self.config.pg_port, echo=self.echo)
        server.init()
        proc = server.start(
            env={**os.environ, "EMR_DAGS_STACK_ID": self.config.stack_id},
            log_path=self.log_dir / "postgres.log",
        )
        (self.pid_dir / "postgres.pid").write_text(str(proc.pid))
        with self.progress.during("waiting for postgres to accept connections", budget=60):
            server.wait_ready(timeout=60)
        server.ensure_database("airflow")

    def _wait_for_dependencies(self, service: NativeService, deadline: float) -> None:
        by_name = {svc.name: svc for svc in self.services_cache}
        for dep, condition in service.depends_on.items():
            if condition == "service_healthy" and dep in by_name:
                self._wait_healthy(by_name[dep], deadline)

    @property
    def services_cache(self) -> list[NativeService]:
        if not hasattr(self, "_services"):
            self._services = self.services()
        return self._services

    def _wait_healthy(self, service: NativeService, deadline: float) -> None:
        pid = self._pids().get(service.name)
        while True:
            healthy, detail = self.check(service.healthcheck)
            if healthy:
                return
            if pid and not _alive(pid):
                raise StackError(f"{service.name} exited during start-up:\n{self.tail(service.name)}")
            if time.monotonic() > deadline:
                raise StackError(
                    f"{service.name} was not healthy in time ({detail}); see {self._log(service.name)}"
                )
            self._tick(f"waiting for {service.name} health")
            time.sleep(1.0)

    def _tick(self, what: str) -> None:
        """A progress line of `up`: elapsed since `up` began, of its whole budget."""
        self.progress.tick(what, budget=self._up_budget, started=self._up_started)

    def cli_env(self) -> dict[str, str]:
        """The environment of the Airflow services, for running `airflow ...` commands against this stack."""
        scheduler = next(svc for svc in self.services_cache if svc.name == SCHEDULER)
        env = self._env(scheduler)
        env.pop("EMR_DAGS_STACK_ID")  # a CLI call is not part of the stack: `down` must not sweep the caller
        return env

    # ------------------------------------------------------------------- health
    def check(self, healthcheck: HealthCheck | None) -> tuple[bool, str]:
        if healthcheck is None:
            return True, "no healthcheck"
        if healthcheck.kind == "http":
            return _http_ok(healthcheck.target)
        if healthcheck.kind == "airflow-component":
            monitor = self.monitor_health()
            status = (monitor or {}).get(healthcheck.target, {}).get("status")
            return status == "healthy", f"monitor/health says {status or 'unreachable'}"
        if healthcheck.kind == "postgres":
            return _port_open(self.config.pg_port), f"port {self.config.pg_port}"
        return False, f"unknown healthcheck kind {healthcheck.kind}"

    def monitor_health(self) -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(f"{self.config.api_url}/api/v2/monitor/health", timeout=5) as resp:
                return dict(json.load(resp))
        except (OSError, ValueError):
            return None

    def status(self) -> dict[str, Any]:
        components: dict[str, Any] = {}
        pids = self._pids()
        services = self.services()
        if self.config.postgres:
            alive = _alive(pids.get("postgres"))
            components["postgres"] = {
                "pid": pids.get("postgres"),
                "running": alive,
                "healthy": alive and _port_open(self.config.pg_port),
            }
        for service in services:
            if service.one_shot:
                continue
            pid = pids.get(service.name)
            running = _alive(pid)
            healthy, detail = self.check(service.healthcheck) if running else (False, "not running")
            components[service.name] = {"pid": pid, "running": running, "healthy": healthy, "detail": detail}
        return {
            "state_dir": str(self.state_dir),
            "airflow_home": str(self.config.airflow_home),
            "api_url": self.config.api_url,
            "ui_url": self.config.api_url,
            "emulator_url": self.config.emulator_url,
            "database": "postgresql" if self.config.postgres else "sqlite",
            "login": {"username": ADMIN_USER, "password_file": str(self.config.password_file)},
            "healthy": bool(components) and all(c["healthy"] for c in components.values()),
            "components": components,
        }

    # --------------------------------------------------------------------- down
    def down(self, *, quiet: bool = False, grace: float = 15.0) -> list[str]:
        """Stop everything this stack started. Returns what was stopped."""
        say = (lambda _msg: None) if quiet else self.echo
        pids = self._pids()
        stopped: list[str] = []
        # The scheduler first, alone: a group SIGTERM makes Airflow 3.3's scheduler hang.
        order = sorted(pids, key=lambda name: (name != SCHEDULER, name == "postgres", name == "emulator"))
        for name in order:
            pid = pids[name]
            if _alive(pid):
                with self.progress.during(f"waiting for {name} (pid {pid}) to stop", budget=grace + 5.0):
                    _stop(pid, group=name != SCHEDULER, grace=grace)
                stopped.append(name)
                say(f"stopped {name} (pid {pid})")
            (self.pid_dir / f"{name}.pid").unlink(missing_ok=True)
        with self.progress.during("sweeping leftover processes of this stack"):
            leftovers = _sweep(self.config.stack_id, self.config.state_dir)
            self.survivors = _processes_with_stack_id(self.config.stack_id, self.config.state_dir)
        if leftovers:
            say(f"killed {len(leftovers)} leftover process(es) of this stack: {leftovers}")
        if self.survivors:
            self.echo(f"could not stop process(es) of this stack: {self.survivors} (permissions?)")
        return stopped

    # ------------------------------------------------------------------ helpers
    def _pids(self) -> dict[str, int]:
        pids: dict[str, int] = {}
        if self.pid_dir.exists():
            for path in self.pid_dir.glob("*.pid"):
                with contextlib.suppress(ValueError):
                    pids[path.stem] = int(path.read_text().strip())
        return pids

    def _log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def tail(self, name: str, lines: int = 30) -> str:
        path = self._log(name)
        if not path.exists():
            return f"(no log at {path})"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# ---------------------------------------------------------------------- processes
def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            return True
    except psutil.ZombieProcess:
        pass
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True
    # A zombie is dead for our purposes (reap it if it is our child).
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
    return False


def _wait_gone(pids: Callable[[], list[int]], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not [pid for pid in pids() if _alive(pid)]:
            return True
        time.sleep(0.2)
    return False


def _group_members(pgid: int) -> list[int]:
    members = []
    for pid in psutil.pids():
        with contextlib.suppress(OSError):  # gone, or not ours to ask
            if os.getpgid(pid) == pgid:
                members.append(pid)
    return members


def _descendants(pid: int) -> list[int]:
    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def _stop(pid: int, *, group: bool, grace: float) -> None:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL the whole process group and what the leader
    started outside it (children that called setsid); the sweep of `down` catches the rest."""
    children = _descendants(pid)
    with contextlib.suppress(ProcessLookupError):
        if group:
            os.killpg(pid, signal.SIGTERM)
        else:
            os.kill(pid, signal.SIGTERM)
    if group:
        _wait_gone(lambda: _group_members(pid), grace)
    else:
        _wait_gone(lambda: [pid], grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    if group:
        for child in children:
            if _alive(child):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(child, signal.SIGKILL)
    _wait_gone(lambda: [pid, *_group_members(pid)], 5.0)


def _processes_with_stack_id(stack_id: str, state_dir: str | None = None) -> list[int]:
    """Processes of this stack: they carry EMR_DAGS_STACK_ID in their environment.

    Airflow renames its processes with setproctitle, which on Linux overwrites the memory its
    environment is read from; such a process is recognised instead by its working directory, the
    stack's state folder, which every process we start inherits. A process with an intact
    environment (a user's shell that happens to be in that folder) is never taken for ours.
    """
    home = str(Path(state_dir).resolve()) if state_dir else None
    found = []
    for proc in psutil.process_iter():
        if proc.pid == os.getpid():
            continue
        with contextlib.suppress(psutil.Error, OSError):
            environ = proc.environ()
            if environ.get("EMR_DAGS_STACK_ID") == stack_id:
                found.append(proc.pid)
            elif home and "PATH" not in environ:
                cwd = str(Path(proc.cwd()).resolve())
                if cwd == home or cwd.startswith(home + os.sep):
                    found.append(proc.pid)
    return [pid for pid in found if _alive(pid)]


def _sweep(stack_id: str, state_dir: str, rounds: int = 5) -> list[int]:
    """SIGKILL anything of this stack still running (double-forked children, orphans)."""
    killed: list[int] = []
    for _ in range(rounds):
        pids = _processes_with_stack_id(stack_id, state_dir)
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        _wait_gone(functools.partial(list, pids), 3.0)
    return sorted(set(killed))


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _http_ok(url: str) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status == 200, f"HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except OSError as exc:
        return False, f"unreachable ({exc.__class__.__name__})"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_stack(config: StackConfig, *, timeout: float = 300.0) -> Iterator[Stack]:
    """Start a stack and always stop it (the test fixture's shape)."""
    stack = Stack(config)
    stack.up(timeout=timeout)
    try:
        yield stack
    finally:
        stack.down()
