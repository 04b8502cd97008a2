"""The integration tier: one emulator process per session, driven over HTTP with boto3.

The emulator runs as a subprocess (``python -m emr_dags_devkit.emulator --port 0``) so that moto's
process-wide state is not shared with unit tests that use ``mock_aws`` in this process. It is
always stopped (SIGTERM, then SIGKILL) at session end. It validates every request strictly against
AWS's model (the default); its counts are printed at the end of the session. Local execution is
asked for explicitly (``--local-exec``): the local-exec tests need it.
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
from validation_report import PROVOKED_VIOLATIONS, VALIDATION_REPORTS  # tests/validation_report.py

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

TIME_SCALE = 0.1  # real seconds per simulated minute: a cluster is ready in ~0.6 s, a step takes 0.2 s
REGION = "us-east-1"
REPO = Path(__file__).resolve().parents[2]


class EmulatorProcess:
    def __init__(self, proc: subprocess.Popen[str], endpoint_url: str, token: str) -> None:
        self.proc = proc
        self.endpoint_url = endpoint_url
        self.token = token

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@pytest.fixture(scope="session")
def emulator_process(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[EmulatorProcess]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("EMR_DAGS_EMULATOR_TOKEN", None)
    # Output goes to a file, not a pipe: a pipe nobody drains would block the emulator once full.
    folder = tmp_path_factory.mktemp("emulator")
    log_path = folder / "emulator.log"
    token_file = folder / "emulator_token"
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
            "--token-file",
            str(token_file),
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
            if found and token_file.exists():
                handle = EmulatorProcess(proc, found.group(1), token_file.read_text().strip())
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
            record_validation(request.config, "integration emulator", handle.endpoint_url, handle.token)
            handle.stop()
        elif proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        log_file.close()


def record_validation(config: pytest.Config, label: str, endpoint_url: str, token: str) -> None:
    """Keep the emulator's validation counts for the session summary (tests/conftest.py prints them)."""
    from emr_dags_devkit.emulator.client import EmulatorAdmin

    try:
        stats = EmulatorAdmin(endpoint_url, token=token, timeout=5).validation()
    except Exception as exc:  # the summary must not fail the session
        stats = {"error": repr(exc)}
    else:
        stats["provoked_violations"] = config.stash.get(PROVOKED_VIOLATIONS, 0)
    config.stash.setdefault(VALIDATION_REPORTS, []).append((label, stats))


@pytest.fixture(scope="session")
def endpoint_url(emulator_process: EmulatorProcess) -> str:
    return emulator_process.endpoint_url


@pytest.fixture(scope="session")
def admin_token(emulator_process: EmulatorProcess) -> str:
    return emulator_process.token


@pytest.fixture
def admin(endpoint_url: str, admin_token: str) -> Iterator[Any]:
    """The admin client; rules, faults and the time scale are restored after each test."""
    from emr_dags_devkit.emulator.client import EmulatorAdmin

    client = EmulatorAdmin(endpoint_url, token=admin_token)
    client.set_time_scale(TIME_SCALE)
    yield client
    client.clear_rules()
    client.clear_faults()
    client.set_time_scale(TIME_SCALE)


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder any user can read: local steps run as `nobody` when the emulator runs as root, and
    pytest's tmp_path (under /tmp/pytest-of-root, mode 0700) is not readable by `nobody`."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="emr-dags-shared-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _count_provoked_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests that send invalid requests on purpose (modules with ``PROVOKES_VIOLATIONS = True``) have
    their violations counted as provoked, so the session summary shows the unexpected ones apart."""
    if not getattr(request.module, "PROVOKES_VIOLATIONS", False):
        yield
        return
    from emr_dags_devkit.emulator.client import EmulatorAdmin

    process = request.getfixturevalue("emulator_process")
    client = EmulatorAdmin(process.endpoint_url, token=process.token)
    before = client.validation()["violations"]
    yield
    provoked = client.validation()["violations"] - before
    stash = request.config.stash
    stash[PROVOKED_VIOLATIONS] = stash.get(PROVOKED_VIOLATIONS, 0) + provoked


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
