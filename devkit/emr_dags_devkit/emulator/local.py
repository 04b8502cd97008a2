"""Local mode (``--local-exec``): run command-runner.jar / script-runner.jar steps for real.

A step runs as a subprocess when its command is a local program: an absolute path to an existing
file, or a program on PATH; for interpreters (python3, bash, sh, ...) the script argument must also
be an existing absolute path, so ``spark-submit s3://...`` or ``python3 -c ...`` stay emulated.
Arguments are passed as a list (never through a shell). The child gets ``AWS_ENDPOINT_URL``
pointing at the emulator and dummy credentials; its exit code decides the step's outcome and its
output becomes the step's logs.

Local execution is opt-in (``--local-exec``, ``start_emulator(local_exec=True)``, ``emr-dags up
--local-exec``): anyone who can add a step to the emulator can run a program on this machine. When
the emulator runs as root, steps run as ``nobody`` (its own group, no supplementary groups, a fresh
working directory it owns, ``HOME`` there), so the step's program and script must be readable and
executable by ``nobody`` (a Python under ``/root`` is not). If the privileges cannot be dropped, the
step is refused: it FAILS with the reason, it never runs as root.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emr_dags_devkit.emulator.engine import Engine

INTERPRETERS = {"python", "python3", "bash", "sh", "zsh", "perl", "ruby", "node"}
UNPRIVILEGED_USER = "nobody"


class LocalExecRefused(RuntimeError):
    """A local step cannot run without root privileges being kept; the step fails with this reason."""


def unprivileged() -> tuple[int, int] | None:
    """(uid, gid) to run steps as: ``nobody``'s when this process is root, None (stay) otherwise."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        raise LocalExecRefused(
            f"refusing to run a local step as root: there is no '{UNPRIVILEGED_USER}' user to run it as; "
            "run the emulator as an unprivileged user"
        ) from None
    if entry.pw_uid == 0:
        raise LocalExecRefused(f"refusing to run a local step as root: '{UNPRIVILEGED_USER}' has uid 0")
    return entry.pw_uid, entry.pw_gid


MAX_OUTPUT = 1 << 20  # keep the last MiB of each stream
# What an unprivileged step sees: the system's programs, as on an EMR node (a virtualenv under /root,
# say, is not executable by nobody).
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def stage_for_unprivileged(argv: list[str], cwd: Path, uid: int, gid: int) -> list[str]:
    """``argv`` for a step run as ``nobody``: an interpreter from the system PATH, and its script copied
    into the step's own folder (as EMR copies a step's script to the node), so a script under a
    folder only root can read still runs."""
    program = argv[0]
    name = Path(program).name
    if name in INTERPRETERS:
        program = shutil.which(name, path=SYSTEM_PATH) or program
    staged = [program]
    for arg in argv[1:]:
        path = Path(arg)
        if path.is_absolute() and path.is_file() and path.suffix in (".py", ".sh", ".pl", ".rb", ".js"):
            target = cwd / path.name
            shutil.copyfile(path, target)
            os.chown(target, uid, gid)
            target.chmod(0o755)
            arg = str(target)
        staged.append(arg)
    return staged


@dataclass(kw_only=True, slots=True)
class LocalProcess:
    argv: list[str]
    popen: subprocess.Popen[bytes] | None = None
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    killed: bool = False
    done: threading.Event = field(default_factory=threading.Event)


def local_argv(jar: str, args: list[str]) -> list[str] | None:
    """The argv to run for this step, or None when the step is not a local program."""
    jar_name = jar.rsplit("/", 1)[-1]
    if jar_name not in ("command-runner.jar", "script-runner.jar") or not args:
        return None
    argv = [a.removeprefix("file://") for a in args]
    program = argv[0]
    if jar_name == "script-runner.jar":
        path = Path(program)
        if not (path.is_absolute() and path.is_file()):
            return None
        if not os.access(path, os.X_OK):
            interpreter = {".py": "python3", ".sh": "bash"}.get(path.suffix)
            if interpreter is None or shutil.which(interpreter) is None:
                return None
            return [str(shutil.which(interpreter)), *argv]
        return argv
    resolved = program if Path(program).is_absolute() and Path(program).is_file() else shutil.which(program)
    if resolved is None:
        return None
    if Path(program).name in INTERPRETERS:
        script = next((a for a in argv[1:] if not a.startswith("-")), None)
        if script is None or not (Path(script).is_absolute() and Path(script).is_file()):
            return None
    return [resolved, *argv[1:]]


class LocalRunner:
    def __init__(self, engine: Engine, *, enabled: bool) -> None:
        self.engine = engine
        self.enabled = enabled
        self.endpoint_url: str | None = None
        self._live: set[int] = set()  # process-group ids of running children, killed on shutdown

    def maybe_start(self, cluster: Any, step: Any) -> LocalProcess | None:
        argv = local_argv(step.jar or "", [str(a) for a in step.args or []])
        if argv is None:
            return None
        env = dict(os.environ)
        env.update(
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SESSION_TOKEN": "testing",
                "AWS_DEFAULT_REGION": cluster._emu.region,
                "AWS_REGION": cluster._emu.region,
                "EMR_CLUSTER_ID": cluster.id,
                "EMR_STEP_ID": step.id,
            }
        )
        env.pop("AWS_PROFILE", None)
        if self.endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.endpoint_url
        proc = LocalProcess(argv=argv)
        try:
            cwd = tempfile.mkdtemp(prefix=f"emr-dags-{step.id}-")
            drop = unprivileged()
            privileges: dict[str, Any] = {}
            if drop is not None:
                uid, gid = drop
                os.chown(cwd, uid, gid)
                env["HOME"] = cwd
                env["USER"] = env["LOGNAME"] = UNPRIVILEGED_USER
                env["PATH"] = SYSTEM_PATH
                privileges = {"user": uid, "group": gid, "extra_groups": []}
                argv = proc.argv = stage_for_unprivileged(argv, Path(cwd), uid, gid)
            proc.popen = subprocess.Popen(  # noqa: S603 - argv list, no shell
                argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                cwd=cwd,
                start_new_session=True,
                **privileges,
            )
        except (OSError, LocalExecRefused, subprocess.SubprocessError) as exc:
            proc.returncode = 126 if isinstance(exc, LocalExecRefused | PermissionError) else 127
            hint = ""
            if isinstance(exc, PermissionError) and os.geteuid() == 0:
                hint = (
                    f" (the emulator runs as root, so local steps run as '{UNPRIVILEGED_USER}': the program "
                    f"and its script must be readable and executable by '{UNPRIVILEGED_USER}')"
                )
            proc.stderr = f"failed to start {argv[0]}: {exc}{hint}\n"
            proc.done.set()
            threading.Thread(target=self._report, args=(cluster, step), daemon=True).start()
            return proc
        self._live.add(proc.popen.pid)
        threading.Thread(
            target=self._wait, args=(proc, cluster, step), daemon=True, name=f"local-{step.id}"
        ).start()
        return proc

    def _wait(self, proc: LocalProcess, cluster: Any, step: Any) -> None:
        assert proc.popen is not None
        out, err = proc.popen.communicate()
        proc.stdout = out[-MAX_OUTPUT:].decode("utf-8", "replace")
        proc.stderr = err[-MAX_OUTPUT:].decode("utf-8", "replace")
        proc.returncode = proc.popen.returncode
        self._live.discard(proc.popen.pid)
        proc.done.set()
        self._report(cluster, step)

    def _report(self, cluster: Any, step: Any) -> None:
        with self.engine.lock:
            self.engine.emr.on_local_exit(cluster, step)
            self.engine.dirty()

    def kill(self, proc: LocalProcess | None, *, hard: bool) -> None:
        if proc is None or proc.popen is None or proc.returncode is not None:
            return
        proc.killed = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.popen.pid, signal.SIGKILL if hard else signal.SIGINT)

    def shutdown(self) -> None:
        """Kill every child still running (the emulator is going away)."""
        for pgid in list(self._live):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        self._live.clear()
