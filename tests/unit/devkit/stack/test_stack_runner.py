"""Start-up refusals that must name the fix, and the process bookkeeping behind `down`."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from emr_dags_devkit.bench import procs
from emr_dags_devkit.stack import runner
from emr_dags_devkit.stack.runner import Stack, StackConfig, StackError

REPO = Path(__file__).resolve().parents[4]


def _config(tmp_path: Path, **kw) -> StackConfig:
    return StackConfig(
        repo_root=str(REPO),
        state_dir=str(tmp_path / "state"),
        compose_file=str(REPO / "docker-compose.yaml"),
        api_port=runner.free_port(),
        emulator_port=runner.free_port(),
        scheduler_health_port=runner.free_port(),
        worker_log_port=runner.free_port(),
        trigger_log_port=runner.free_port(),
        **kw,
    )


def test_a_port_in_use_is_refused_with_the_flag_that_moves_it(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        config = _config(tmp_path)
        config.api_port = busy.getsockname()[1]
        with pytest.raises(StackError, match=rf"port {config.api_port} \(the api-server\).*--api-port"):
            Stack(config, echo=lambda _m: None).up(timeout=5)
    assert not (tmp_path / "state" / "pids").exists() or not list((tmp_path / "state" / "pids").iterdir())


def test_stale_pid_files_are_removed_and_reported(tmp_path):
    config = _config(tmp_path)
    stack = Stack(config, echo=(said := []).append)
    stack.pid_dir.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (stack.pid_dir / "airflow-scheduler.pid").write_text(str(dead.pid))
    stack._refuse_if_running()
    assert not (stack.pid_dir / "airflow-scheduler.pid").exists()
    assert any("stale PID file" in line for line in said)


def test_a_running_stack_is_not_started_twice(tmp_path):
    stack = Stack(_config(tmp_path), echo=lambda _m: None)
    stack.pid_dir.mkdir(parents=True)
    (stack.pid_dir / "airflow-apiserver.pid").write_text(str(runner.os.getpid()))
    with pytest.raises(StackError, match="already running.*emr-dags down"):
        stack._refuse_if_running()


def test_a_missing_airflow_install_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setattr(runner.sys, "executable", str(tmp_path / "bin" / "python"))
    monkeypatch.setattr(runner.shutil, "which", lambda _name: None)
    with pytest.raises(StackError, match=r"pip install emr-dags-devkit"):
        Stack(_config(tmp_path)).services()


def test_down_stops_a_process_group_and_sweeps_orphans_carrying_the_stack_id(tmp_path):
    config = _config(tmp_path)
    stack = Stack(config, echo=lambda _m: None)
    stack.pid_dir.mkdir(parents=True)
    env = {**runner.os.environ, "EMR_DAGS_STACK_ID": config.stack_id}
    # A parent that starts a child in a new session (escaping the group), then both sleep.
    script = (
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], env=env, start_new_session=True)
    (stack.pid_dir / "emulator.pid").write_text(str(parent.pid))
    deadline = runner.time.monotonic() + 10
    while len(runner._processes_with_stack_id(config.stack_id, config.state_dir)) < 2:
        assert runner.time.monotonic() < deadline, "child did not start"
        runner.time.sleep(0.1)
    stopped = stack.down(grace=2)
    parent.wait(timeout=5)
    assert stopped == ["emulator"]
    assert runner._processes_with_stack_id(config.stack_id, config.state_dir) == []
    assert not (stack.pid_dir / "emulator.pid").exists()


def test_status_of_a_stopped_stack_reports_unhealthy_components(tmp_path):
    config = _config(tmp_path)
    stack = Stack(config)
    report = stack.status()
    assert report["healthy"] is False
    assert report["emulator_url"] == f"http://127.0.0.1:{config.emulator_port}"
    assert {c["running"] for c in report["components"].values()} == {False}
    json.dumps(report)  # the --json form must serialise


def test_down_finds_a_renamed_process_whose_environment_was_overwritten(tmp_path):
    """Airflow's setproctitle overwrites the environment on Linux; the state folder still identifies it."""
    config = _config(tmp_path)
    stack = Stack(config, echo=lambda _m: None)
    stack.pid_dir.mkdir(parents=True)
    script = (
        "import setproctitle, time\n"
        "setproctitle.setproctitle('airflow worker -- LocalExecutor: ' + 'x' * 4000)\n"
        "time.sleep(60)\n"
    )
    env = {**runner.os.environ, "EMR_DAGS_STACK_ID": config.stack_id}
    renamed = subprocess.Popen(
        [sys.executable, "-c", script], env=env, cwd=stack.state_dir, start_new_session=True
    )
    deadline = runner.time.monotonic() + 10
    while "EMR_DAGS_STACK_ID" in psutil.Process(renamed.pid).environ():
        if sys.platform != "linux":
            break  # macOS keeps the environment readable: the marker itself finds the process
        assert runner.time.monotonic() < deadline, "setproctitle did not overwrite the environment"
        runner.time.sleep(0.1)
    assert runner._processes_with_stack_id(config.stack_id, config.state_dir) == [renamed.pid]
    stack.down(grace=1)  # no PID file: only the sweep can find it
    renamed.wait(timeout=5)
    assert runner._processes_with_stack_id(config.stack_id, config.state_dir) == []


def test_a_shell_sitting_in_the_state_folder_is_not_taken_for_the_stack(tmp_path):
    config = _config(tmp_path)
    Path(config.state_dir).mkdir(parents=True)
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], cwd=config.state_dir)
    try:
        runner.time.sleep(0.3)
        assert bystander.pid not in runner._processes_with_stack_id(config.stack_id, config.state_dir)
    finally:
        bystander.kill()
        bystander.wait()


def test_process_control_never_reads_proc_directly():
    """Processes are found through psutil, so the stack runs on macOS too."""
    for module in (runner, procs):
        assert '"/proc' not in Path(module.__file__).read_text()


def test_stop_kills_a_child_that_left_the_process_group(tmp_path):
    """A service's child that called setsid is outside the group SIGTERM reaches; `_stop` kills it too."""
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import signal, time; "
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)'], start_new_session=True)\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    leader = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    child = int(leader.stdout.readline())
    try:
        runner._stop(leader.pid, group=True, grace=1.0)
        leader.wait(timeout=5)
        assert runner._wait_gone(lambda: [child], 5.0), "the child that left the group survived"
    finally:
        for pid in (leader.pid, child):
            with contextlib.suppress(psutil.Error):
                psutil.Process(pid).kill()


def test_alive_treats_a_zombie_as_dead():
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = runner.time.monotonic() + 10
    while psutil.Process(zombie.pid).status() != psutil.STATUS_ZOMBIE:
        assert runner.time.monotonic() < deadline
        runner.time.sleep(0.05)
    assert runner._alive(zombie.pid) is False


def test_down_reports_no_survivors_after_a_clean_stop(tmp_path):
    config = _config(tmp_path)
    stack = Stack(config, echo=lambda _m: None)
    stack.pid_dir.mkdir(parents=True)
    env = {**runner.os.environ, "EMR_DAGS_STACK_ID": config.stack_id}
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env)
    (stack.pid_dir / "emulator.pid").write_text(str(sleeper.pid))
    assert stack.down(grace=2) == ["emulator"]
    sleeper.wait(timeout=5)
    assert stack.survivors == []


def test_up_prints_progress_while_waiting_for_health(tmp_path, monkeypatch, capsys):
    """`[up] waiting for <service> health (N s of BUDGET s)` on stderr, rate limited."""
    from emr_dags.console import Progress
    from emr_dags_devkit.stack.compose import HealthCheck, NativeService

    now = [0.0]
    monkeypatch.setattr(runner.time, "sleep", lambda s: now.__setitem__(0, now[0] + s))
    monkeypatch.setattr(runner.time, "monotonic", lambda: now[0])
    stack = Stack(_config(tmp_path), echo=lambda _m: None, progress=Progress("up", clock=lambda: now[0]))
    stack._up_started, stack._up_budget = 0.0, 30.0
    checks = iter([(False, "HTTP 503")] * 12 + [(True, "HTTP 200")])
    monkeypatch.setattr(stack, "check", lambda _hc: next(checks))
    service = NativeService(
        name="airflow-apiserver",
        argv=("airflow",),
        env={},
        healthcheck=HealthCheck(kind="http", target="x"),
        one_shot=False,
    )
    stack._wait_healthy(service, deadline=30.0)
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "[up] waiting for airflow-apiserver health (3 s of 30 s)",
        "[up] waiting for airflow-apiserver health (8 s of 30 s)",
    ]
