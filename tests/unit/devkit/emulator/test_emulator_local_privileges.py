"""Local execution never runs a step as root: it drops to `nobody`, or refuses."""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace

import pytest

from emr_dags_devkit.emulator import local
from emr_dags_devkit.emulator.local import LocalExecRefused, LocalRunner, unprivileged


class _Emr:
    def __init__(self) -> None:
        self.exited = threading.Event()

    def on_local_exit(self, cluster, step):
        self.exited.set()


def _runner() -> tuple[LocalRunner, _Emr]:
    emr = _Emr()
    engine = SimpleNamespace(lock=threading.RLock(), emr=emr, dirty=lambda: None)
    return LocalRunner(engine, enabled=True), emr


def _cluster_and_step(argv):
    cluster = SimpleNamespace(id="j-1", _emu=SimpleNamespace(region="us-east-1"))
    step = SimpleNamespace(id="s-1", jar="command-runner.jar", args=argv)
    return cluster, step


def test_an_unprivileged_emulator_keeps_its_user(monkeypatch):
    monkeypatch.setattr(local.os, "geteuid", lambda: 1000)
    assert unprivileged() is None


def test_root_without_a_nobody_user_refuses(monkeypatch):
    monkeypatch.setattr(local.os, "geteuid", lambda: 0)

    def missing(name):
        raise KeyError(name)

    monkeypatch.setattr(local.pwd, "getpwnam", missing)
    with pytest.raises(LocalExecRefused, match="refusing to run a local step as root"):
        unprivileged()


def test_a_refused_step_fails_with_the_reason_and_never_starts(monkeypatch, tmp_path):
    marker = tmp_path / "ran"
    monkeypatch.setattr(local.os, "geteuid", lambda: 0)
    monkeypatch.setattr(local.pwd, "getpwnam", lambda name: SimpleNamespace(pw_uid=0, pw_gid=0))
    runner, emr = _runner()
    cluster, step = _cluster_and_step(["/usr/bin/touch", str(marker)])
    proc = runner.maybe_start(cluster, step)
    assert proc is not None
    assert proc.popen is None
    assert proc.returncode == 126
    assert "refusing to run a local step as root" in proc.stderr
    assert emr.exited.wait(5)
    assert not marker.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")
def test_as_root_the_step_runs_as_nobody_in_a_directory_it_owns():
    import pwd

    runner, emr = _runner()
    cluster, step = _cluster_and_step(["/usr/bin/id", "-u"])
    proc = runner.maybe_start(cluster, step)
    assert proc is not None
    assert proc.done.wait(10)
    assert emr.exited.wait(10)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(pwd.getpwnam("nobody").pw_uid) != "0"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")
def test_a_program_nobody_cannot_run_fails_with_a_hint(tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    program = private / "job.sh"
    program.write_text("#!/bin/sh\necho hi\n")
    program.chmod(0o755)
    runner, emr = _runner()
    cluster, step = _cluster_and_step([str(program)])
    proc = runner.maybe_start(cluster, step)
    assert proc is not None
    assert proc.done.wait(10)
    assert proc.returncode == 126
    assert "must be readable and executable by 'nobody'" in proc.stderr
