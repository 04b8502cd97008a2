"""The integration tier: one emulator process per session, driven over HTTP with boto3.

The emulator runs as a subprocess (``python -m emr_dags_devkit.emulator --port 0``) so that moto's
process-wide state is not shared with unit tests that use ``mock_aws`` in this process. It is
always stopped (SIGTERM, then SIGKILL) at session end.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

TIME_SCALE = 0.1  # real seconds per simulated minute: a cluster is ready in ~0.6 s, a step takes 0.2 s
REGION = "us-east-1"
REPO = Path(__file__).resolve().parents[2]


class EmulatorProcess:
    def __init__(self, proc: subprocess.Popen[str], endpoint_url: str) -> None:
        self.proc = proc
        self.endpoint_url = endpoint_url

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@pytest.fixture(scope="session")
def emulator_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    # Output goes to a file, not a pipe: a pipe nobody drains would block the emulator once full.
    log_path = tmp_path_factory.mktemp("emulator") / "emulator.log"
    log_file = open(log_path, "w")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emr_dags_devkit.emulator",
            "--port",
            "0",
            "--time-scale",
            str(TIME_SCALE),
            "--local-exec",
            "--seed",
            "7",
        ],
        cwd=REPO,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        text=True,
    )
    handle = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and handle is None:
            found = re.search(r"listening on (http://\S+)", log_path.read_text())
            if found:
                handle = EmulatorProcess(proc, found.group(1))
            elif proc.poll() is not None:
                raise RuntimeError(
                    f"emulator exited early with code {proc.returncode}: {log_path.read_text()[-2000:]}"
                )
            else:
                time.sleep(0.05)
        if handle is None:
            raise RuntimeError("emulator did not report its endpoint within 60 s")
        yield handle
    finally:
        if handle is not None:
            handle.stop()
        elif proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        log_file.close()


@pytest.fixture(scope="session")
def endpoint_url(emulator_process: EmulatorProcess) -> str:
    return emulator_process.endpoint_url


@pytest.fixture
def admin(endpoint_url: str) -> Iterator[Any]:
    """The admin client; rules, faults and the time scale are restored after each test."""
    from emr_dags_devkit.emulator.client import EmulatorAdmin

    client = EmulatorAdmin(endpoint_url)
    client.set_time_scale(TIME_SCALE)
    yield client
    client.clear_rules()
    client.clear_faults()
    client.set_time_scale(TIME_SCALE)


@pytest.fixture(scope="session")
def aws(endpoint_url: str) -> Callable[..., Any]:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    config = Config(retries={"max_attempts": 1, "mode": "standard"})

    def client(service: str, **kwargs: Any) -> Any:
        return session.client(
            service, endpoint_url=endpoint_url, config=kwargs.pop("config", config), **kwargs
        )

    return client


@pytest.fixture
def emr(aws: Callable[..., Any]) -> Any:
    return aws("emr")


@pytest.fixture
def s3(aws: Callable[..., Any]) -> Any:
    return aws("s3")


@pytest.fixture
def log_bucket(s3: Any) -> str:
    name = f"logs-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name
