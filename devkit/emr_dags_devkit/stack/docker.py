"""``emr-dags up --docker`` / ``down --docker``: the compose stack on this machine's Docker engine.

One command does what a Docker user would do by hand, in order, skipping what is already done:

1. install what is missing (Debian's ``docker.io``, ``docker-compose``, ``debootstrap``) and start
   ``dockerd`` when no engine answers;
2. build the images. Where no container registry is reachable (``--local-base``, the default), the
   base images are built here: a Debian bookworm rootfs from ``debootstrap`` loaded with
   ``docker import``, then an Airflow base equivalent to the official image (docker/local-base),
   PostgreSQL and Redis from Debian's packages. The rootfs tarball and the images are kept (in
   ``~/.cache/emr-dags/docker`` and the engine) and reused; only what is missing is rebuilt;
3. build the emr-dags and dev-kit wheels and the two project images FROM the base (docker/airflow,
   docker/emulator): Docker's layer cache makes this a no-op when the wheels did not change (they are
   built reproducibly, ``SOURCE_DATE_EPOCH``);
4. ``docker-compose up -d`` and wait until every service is healthy, one line per change.

The compose project gets its own folder (``AIRFLOW_PROJ_DIR``, under the state folder) with a copy
of the example DAGs and the ``logs``/``config``/``plugins`` folders ``airflow-init`` hands to
``AIRFLOW_UID``, so nothing in the checkout is written by containers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emr_dags.errors import EmrDagsError

if TYPE_CHECKING:
    from collections.abc import Callable

AIRFLOW_VERSION = "3.3.2"
OFFICIAL_AIRFLOW_IMAGE = f"apache/airflow:{AIRFLOW_VERSION}-python3.11"
DEBIAN_IMAGE = "emr-dags/debian:bookworm"
LOCAL_AIRFLOW_BASE = f"emr-dags/airflow-base:{AIRFLOW_VERSION}-python3.11"
LOCAL_POSTGRES_IMAGE = "emr-dags/postgres:15"
LOCAL_REDIS_IMAGE = "emr-dags/redis:7"
APT_PACKAGES = ("docker.io", "docker-compose", "debootstrap")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# debootstrap --variant=minbase plus what the images need: Python for Airflow, curl for healthchecks,
# tini as PID 1 (the official images use dumb-init).
ROOTFS_PACKAGES = ("python3", "python3-venv", "ca-certificates", "curl", "tini")
# Pins of constraints.txt that Debian bookworm's Python (3.11.2) cannot install (they need >= 3.11.5);
# the local base lets the resolver pick an older release of these instead.
LOCAL_BASE_UNPINNED = ("soupsieve",)
DEFAULT_PROJECT = "emr-dags"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


class DockerStackError(EmrDagsError):
    """The Docker stack cannot be built, started or stopped; the message says what to do."""


def cache_dir() -> Path:
    return Path(os.environ.get("EMR_DAGS_DOCKER_CACHE", "~/.cache/emr-dags/docker")).expanduser()


def _version() -> str:
    from importlib.metadata import version

    return version("emr-dags-devkit")


@dataclass(kw_only=True)
class DockerStack:
    """One compose project: where its files are, what it is called, which ports it publishes."""

    repo_root: Path
    state_dir: Path
    project_name: str = DEFAULT_PROJECT
    api_port: int = 8080
    emulator_port: int = 5055
    time_scale: float = 1.0
    local_base: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    echo: Callable[[str], None] = print

    @property
    def compose_file(self) -> Path:
        return self.repo_root / "docker-compose.yaml"

    @property
    def docker_dir(self) -> Path:
        return self.repo_root / "docker"

    @property
    def project_dir(self) -> Path:
        """AIRFLOW_PROJ_DIR: dags (a copy of the examples), logs, config, plugins."""
        return self.state_dir / "docker"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    def images(self) -> dict[str, str]:
        tag = _version()
        return {
            "AIRFLOW_IMAGE_NAME": f"emr-dags-airflow:{tag}",
            "EMR_DAGS_EMULATOR_IMAGE": f"emr-dags-emulator:{tag}",
            "POSTGRES_IMAGE": LOCAL_POSTGRES_IMAGE if self.local_base else "postgres:16",
            "REDIS_IMAGE": LOCAL_REDIS_IMAGE if self.local_base else "redis:7.2-bookworm",
        }

    def variables(self) -> dict[str, str]:
        """The compose file's ${...} values (the process environment wins over a .env file)."""
        uid = os.getuid()
        return {
            **self.images(),
            "AIRFLOW_UID": str(uid if uid != 0 else 50000),
            "AIRFLOW_PROJ_DIR": str(self.project_dir),
            "EMR_DAGS_API_PORT": str(self.api_port),
            "EMR_DAGS_EMULATOR_PORT": str(self.emulator_port),
            "EMR_DAGS_TIME_SCALE": str(self.time_scale),
            "EMR_DAGS_IDLE_TIMEOUT_FACTOR": f"{60.0 / self.time_scale:g}",
            "EMR_DAGS_EMULATOR_TOKEN": self.emulator_token(),
            **self.extra_env,
        }

    @property
    def emulator_token_file(self) -> Path:
        from emr_dags_devkit.emulator.client import TOKEN_FILE_NAME

        return self.state_dir / TOKEN_FILE_NAME

    def emulator_token(self) -> str:
        """The emulator's admin token: generated once per state folder (mode 0600), given to the
        emulator container through the environment."""
        from emr_dags_devkit.stack.runner import _secret

        return _secret(self.emulator_token_file)

    def emulator_admin(self) -> Any:
        from emr_dags_devkit.emulator.client import EmulatorAdmin

        return EmulatorAdmin(self.emulator_url, token=self.emulator_token())

    # ------------------------------------------------------------------ compose
    def compose(self, *args: str, check: bool = True, capture: bool = True, timeout: float = 600.0) -> str:
        cmd = [*compose_command(), "-p", self.project_name, "-f", str(self.compose_file), *args]
        result = subprocess.run(
            cmd,
            env={**os.environ, **self.variables()},
            cwd=self.repo_root,
            capture_output=capture,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise DockerStackError(
                f"`{' '.join(cmd[len(compose_command()) :])}` failed ({result.returncode}):\n"
                f"{(result.stdout or '')[-3000:]}\n{(result.stderr or '')[-3000:]}"
            )
        return result.stdout or ""

    def containers(self) -> dict[str, dict[str, Any]]:
        """Every container of the project (running or not): service -> state, health, exit code."""
        ids = _docker(
            "ps", "-aq", "--filter", f"label=com.docker.compose.project={self.project_name}"
        ).split()
        if not ids:
            return {}
        found: dict[str, dict[str, Any]] = {}
        for item in json.loads(_docker("inspect", *ids)):
            service = item["Config"]["Labels"].get("com.docker.compose.service", item["Name"])
            state = item["State"]
            found[service] = {
                "id": item["Id"][:12],
                "status": state["Status"],
                "health": (state.get("Health") or {}).get("Status"),
                "exit_code": state.get("ExitCode"),
            }
        return found

    # ----------------------------------------------------------------------- up
    def up(self, *, timeout: float = 600.0, build: bool = True) -> dict[str, float]:
        """Everything `emr-dags up --docker` does; returns seconds per phase."""
        timings: dict[str, float] = {}
        start = time.monotonic()
        ensure_engine(self.echo, need_debootstrap=self.local_base)
        timings["engine"] = time.monotonic() - start
        if build:
            timings.update(build_images(self))
        self._prepare_project_dir()
        start = time.monotonic()
        self.echo(f"starting the compose project {self.project_name} (docker-compose up -d)")
        try:
            self.compose("up", "-d", "--remove-orphans", timeout=timeout)
            self.wait_healthy(timeout=timeout)
        except BaseException:
            self.echo("start-up failed; the logs of the unhealthy services follow")
            self.echo(self.unhealthy_logs())
            raise
        from emr_dags_devkit.stack.seed import seed_demo_fixtures

        for item in seed_demo_fixtures(self.emulator_url):
            self.echo(f"created {item} in the emulator (the example DAGs use it)")
        timings["up"] = time.monotonic() - start
        return timings

    def _prepare_project_dir(self) -> None:
        dags = self.project_dir / "dags"
        if dags.exists():
            shutil.rmtree(dags)
        shutil.copytree(self.repo_root / "dags", dags, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for name in ("logs", "config", "plugins"):
            (self.project_dir / name).mkdir(parents=True, exist_ok=True)

    def wait_healthy(self, *, timeout: float) -> None:
        services = self.services()
        deadline = time.monotonic() + timeout
        seen: dict[str, str] = {}
        while True:
            containers = self.containers()
            pending = []
            for name in services:
                info = containers.get(name)
                state = _describe(info)
                if seen.get(name) != state:
                    self.echo(f"  {name:24} {state}")
                    seen[name] = state
                if name == "airflow-init":
                    if info and info["status"] == "exited" and info["exit_code"] != 0:
                        raise DockerStackError(f"airflow-init failed:\n{self.logs('airflow-init')}")
                    if not info or info["status"] != "exited":
                        pending.append(name)
                elif not info or info["health"] not in (None, "healthy") or info["status"] != "running":
                    pending.append(name)
            if not pending:
                self.echo("every service is healthy")
                return
            if time.monotonic() > deadline:
                raise DockerStackError(f"not healthy after {timeout:.0f}s: {', '.join(pending)}")
            time.sleep(3.0)

    def services(self) -> list[str]:
        return self.compose("config", "--services").split()

    def logs(self, service: str, tail: int = 60) -> str:
        return self.compose("logs", "--no-color", "--tail", str(tail), service, check=False)

    def unhealthy_logs(self) -> str:
        parts = []
        for name, info in self.containers().items():
            if info["health"] not in (None, "healthy") or info["status"] not in ("running", "exited"):
                parts.append(f"--- {name} ({_describe(info)})\n{self.logs(name)}")
        return "\n".join(parts) or "(every container is running)"

    def admin_password(self) -> str:
        out = self.compose(
            "exec",
            "-T",
            "airflow-apiserver",
            "cat",
            "/opt/airflow/secrets/simple_auth_manager_passwords.json",
        )
        return str(json.loads(out)["admin"])

    # --------------------------------------------------------------------- down
    def down(self) -> list[str]:
        """Remove the project's containers, network and volumes; returns what was there."""
        if not _engine_running():
            self.echo("no Docker engine is running: nothing to stop")
            return []
        before = sorted(self.containers())
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "20")
        return before

    def leftovers(self) -> dict[str, list[str]]:
        """Containers, networks and volumes of this project still known to the engine."""
        label = f"label=com.docker.compose.project={self.project_name}"
        return {
            "containers": _docker("ps", "-aq", "--filter", label).split(),
            "networks": _docker("network", "ls", "-q", "--filter", label).split(),
            "volumes": _docker("volume", "ls", "-q", "--filter", label).split(),
        }


def _describe(info: dict[str, Any] | None) -> str:
    if not info:
        return "not created"
    if info["status"] == "exited":
        return f"exited ({info['exit_code']})"
    return f"{info['status']}, {info['health']}" if info["health"] else info["status"]


# ------------------------------------------------------------------- the engine
def compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return ["docker", "compose"]


def _docker(*args: str, timeout: float = 120.0) -> str:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise DockerStackError(f"docker {' '.join(args[:3])} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout


def _engine_running() -> bool:
    if not shutil.which("docker"):
        return False
    result = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30, check=False)
    return result.returncode == 0


def _have(tool: str) -> bool:
    return bool(shutil.which(tool) or any(Path(d, tool).exists() for d in ("/usr/sbin", "/sbin")))


def missing_tools(*, need_debootstrap: bool = True) -> list[str]:
    """The Debian packages this machine lacks for the Docker stack."""
    wanted = {"docker.io": "dockerd", "docker-compose": "docker-compose", "debootstrap": "debootstrap"}
    if not need_debootstrap:
        wanted.pop("debootstrap")
    missing = [pkg for pkg, tool in wanted.items() if not _have(tool)]
    if "docker-compose" in missing and shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            missing.remove("docker-compose")  # Compose v2 as a docker plugin does the same job
    if "docker.io" in missing and _engine_running():
        missing.remove("docker.io")  # an engine we did not install (Docker Desktop, a socket) answers
    return missing


def why_docker_cannot_run(*, need_debootstrap: bool = True) -> str | None:
    """None when the Docker stack can run here (perhaps after installing); else what is missing."""
    missing = missing_tools(need_debootstrap=need_debootstrap)
    if missing and os.getuid() != 0:
        return f"{', '.join(missing)} not installed and not root (install them: sudo apt-get install -y {' '.join(missing)})"
    if missing and not shutil.which("apt-get"):
        return f"{', '.join(missing)} not installed and no apt-get to install them with"
    if not _engine_running() and os.getuid() != 0:
        return "no Docker engine answers and not root (start dockerd, or add this user to the docker group)"
    return None


def ensure_engine(echo: Callable[[str], None], *, need_debootstrap: bool = True) -> None:
    """Install what is missing (apt, as root) and start dockerd when no engine answers."""
    missing = missing_tools(need_debootstrap=need_debootstrap)
    if missing:
        if os.getuid() != 0:
            raise DockerStackError(
                f"{', '.join(missing)} missing; install as root: sudo apt-get install -y {' '.join(missing)}"
            )
        if not shutil.which("apt-get"):
            raise DockerStackError(
                f"{', '.join(missing)} missing and this machine has no apt-get; install Docker "
                "(and docker-compose, debootstrap) with its package manager"
            )
        echo(f"installing {' '.join(missing)} with apt-get (about a minute)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
            result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise DockerStackError(f"{' '.join(cmd)} failed:\n{result.stderr[-2000:]}")
    if _engine_running():
        return
    if os.getuid() != 0:
        raise DockerStackError("no Docker engine answers; start it (sudo dockerd, or systemctl start docker)")
    log = cache_dir() / "dockerd.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    echo(f"starting dockerd (it keeps running after this command; log: {log})")
    with open(log, "ab") as handle:
        subprocess.Popen(
            ["dockerd"],
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while not _engine_running():
        if time.monotonic() > deadline:
            raise DockerStackError(f"dockerd did not answer within 60 s; see {log}")
        time.sleep(1.0)


# ------------------------------------------------------------------- the images
def image_exists(name: str) -> bool:
    result = subprocess.run(["docker", "image", "inspect", name], capture_output=True, check=False)
    return result.returncode == 0


def _build(stack: DockerStack, tag: str, dockerfile: Path, context: Path, **build_args: str) -> float:
    start = time.monotonic()
    stack.echo(f"building {tag}")
    cmd = ["docker", "build", "--force-rm", "--network", "host", "-t", tag, "-f", str(dockerfile)]
    for key, value in build_args.items():
        cmd += ["--build-arg", f"{key}={value}"]
    result = subprocess.run([*cmd, str(context)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DockerStackError(f"building {tag} failed:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}")
    took = time.monotonic() - start
    stack.echo(f"built {tag} in {took:.0f} s")
    return took


def _constraints(stack: DockerStack) -> str:
    lines = (stack.repo_root / "constraints.txt").read_text().splitlines()
    if stack.local_base:
        lines = [line for line in lines if line.split("==")[0].strip() not in LOCAL_BASE_UNPINNED]
    return "\n".join(lines) + "\n"


def build_debian_image(stack: DockerStack) -> float:
    """The bookworm rootfs (debootstrap, cached as a tarball) loaded with `docker import`."""
    start = time.monotonic()
    tarball = cache_dir() / "bookworm-minbase.tar"
    if not tarball.exists():
        stack.echo(f"debootstrap --variant=minbase bookworm (about 1-4 minutes; cached in {tarball})")
        tarball.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=tarball.parent) as tmp:
            rootfs = Path(tmp) / "rootfs"
            cmd = [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(ROOTFS_PACKAGES)}",
                "bookworm",
                str(rootfs),
                DEBIAN_MIRROR,
            ]
            result = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise DockerStackError(
                    f"debootstrap failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
                )
            partial = tarball.with_suffix(".part")
            subprocess.run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], check=True)
            partial.rename(tarball)
    stack.echo(f"docker import {tarball.name} as {DEBIAN_IMAGE}")
    with open(tarball, "rb") as handle:
        result = subprocess.run(
            ["docker", "import", "-", DEBIAN_IMAGE], stdin=handle, capture_output=True, text=True, check=False
        )
    if result.returncode != 0:
        raise DockerStackError(f"docker import failed: {result.stderr[-2000:]}")
    return time.monotonic() - start


def build_wheels(stack: DockerStack) -> Path:
    """emr-dags and emr-dags-devkit wheels (reproducible) plus constraints, in docker/wheels."""
    wheels = stack.docker_dir / "wheels"
    if wheels.exists():
        shutil.rmtree(wheels)
    wheels.mkdir(parents=True)
    uv = shutil.which("uv", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "315532800"}  # same sources, same bytes, cached layers
    for source in (stack.repo_root, stack.repo_root / "devkit"):
        if uv:
            cmd = [uv, "build", "--wheel", "-q", "-o", str(wheels), str(source)]
        else:
            cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise DockerStackError(f"building the wheel of {source} failed:\n{result.stderr[-3000:]}")
    (wheels / "constraints.txt").write_text(_constraints(stack))
    for leftover in wheels.glob("*.tar.gz"):
        leftover.unlink()
    return wheels


def build_images(stack: DockerStack) -> dict[str, float]:
    """Build what is not built; returns seconds per image built."""
    if not stack.docker_dir.is_dir():
        raise DockerStackError(
            f"no docker/ folder in {stack.repo_root}: `emr-dags up --docker` builds its images from a "
            "checkout of emr-dags (git clone, then run it from there)"
        )
    timings: dict[str, float] = {}
    base = OFFICIAL_AIRFLOW_IMAGE
    if stack.local_base:
        base = LOCAL_AIRFLOW_BASE
        if not image_exists(DEBIAN_IMAGE):
            timings["debian rootfs"] = build_debian_image(stack)
        missing = [
            tag
            for tag in (LOCAL_AIRFLOW_BASE, LOCAL_POSTGRES_IMAGE, LOCAL_REDIS_IMAGE)
            if not image_exists(tag)
        ]
        if LOCAL_AIRFLOW_BASE in missing:
            with tempfile.TemporaryDirectory() as tmp:
                context = Path(tmp)
                for item in (stack.docker_dir / "local-base").iterdir():
                    shutil.copy(item, context / item.name)
                (context / "constraints.txt").write_text(_constraints(stack))
                bundle = HOST_CA_BUNDLE if HOST_CA_BUNDLE.exists() else None
                (context / "ca-certificates.crt").write_bytes(bundle.read_bytes() if bundle else b"")
                timings["airflow base"] = _build(
                    stack, LOCAL_AIRFLOW_BASE, context / "Dockerfile", context, DEBIAN_IMAGE=DEBIAN_IMAGE
                )
        for tag, folder in ((LOCAL_POSTGRES_IMAGE, "postgres"), (LOCAL_REDIS_IMAGE, "redis")):
            if tag in missing:
                path = stack.docker_dir / folder
                timings[folder] = _build(stack, tag, path / "Dockerfile", path, DEBIAN_IMAGE=DEBIAN_IMAGE)
    start = time.monotonic()
    build_wheels(stack)
    timings["wheels"] = time.monotonic() - start
    images = stack.images()
    timings["emr-dags image"] = _build(
        stack,
        images["AIRFLOW_IMAGE_NAME"],
        stack.docker_dir / "airflow" / "Dockerfile",
        stack.docker_dir,
        AIRFLOW_BASE=base,
    )
    timings["emulator image"] = _build(
        stack,
        images["EMR_DAGS_EMULATOR_IMAGE"],
        stack.docker_dir / "emulator" / "Dockerfile",
        stack.docker_dir,
        EMR_DAGS_AIRFLOW_IMAGE=images["AIRFLOW_IMAGE_NAME"],
    )
    return timings
