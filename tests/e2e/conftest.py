"""The end-to-end tier: one real local stack (emulator + Airflow 3.3) per test session, always stopped.

Tests drive it as an operator would (the `airflow` CLI and the REST API) and assert on AWS-side
state through the emulator (boto3), not only on task states.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from validation_report import VALIDATION_REPORTS  # tests/validation_report.py

from emr_dags import tags
from emr_dags_devkit.stack.api import AirflowClient, backfill_create
from emr_dags_devkit.stack.runner import Stack, StackConfig, _processes_with_stack_id, free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

REPO = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).parent / "airflow")


@dataclass
class RunningStack:
    stack: Stack
    api: AirflowClient

    @property
    def api_url(self) -> str:
        return self.stack.config.api_url

    @property
    def emulator_url(self) -> str:
        return self.stack.config.emulator_url

    def admin(self) -> Any:
        """The emulator's admin client, carrying the stack's admin token."""
        return self.stack.config.emulator_admin()

    @property
    def airflow_home(self) -> Path:
        return self.stack.config.airflow_home

    @property
    def state_dir(self) -> Path:
        return Path(self.stack.config.state_dir)

    def airflow(
        self, *args: str, timeout: float = 300.0, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run `airflow ARGS` against this stack, as an operator in a shell would."""
        result = subprocess.run(
            [AIRFLOW, *args],
            env=self.stack.cli_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"airflow {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def backfill(self, dag_id: str, start: str, end: str, attempts: int = 8) -> None:
        """`airflow backfill create`, retried while SQLite answers "database is locked"
        (see `emr_dags_devkit.stack.api.backfill_create`)."""
        backfill_create(dag_id, start, end, env=self.stack.cli_env(), airflow=AIRFLOW, attempts=attempts)

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.emulator_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def clusters_of_run(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Every EMR cluster (any state) tagged as created by this DAG run."""
        emr = self.client("emr")
        found = []
        paginator = emr.get_paginator("list_clusters")
        for page in paginator.paginate():
            for summary in page["Clusters"]:
                cluster = emr.describe_cluster(ClusterId=summary["Id"])["Cluster"]
                cluster_tags = {t["Key"]: t["Value"] for t in cluster.get("Tags", [])}
                if cluster_tags.get(tags.DAG_ID) == dag_id and cluster_tags.get(tags.RUN_ID) == run_id:
                    found.append(cluster)
        return found

    def wait_for_cluster_state(self, cluster_id: str, states: set[str], timeout: float = 60.0) -> str:
        emr = self.client("emr")
        deadline = time.monotonic() + timeout
        while True:
            state = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"]
            if state in states or time.monotonic() > deadline:
                return str(state)
            time.sleep(1.0)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[RunningStack]:
    state_dir = tmp_path_factory.mktemp("stack")
    config = StackConfig(
        repo_root=str(REPO),
        state_dir=str(state_dir),
        compose_file=str(REPO / "docker-compose.yaml"),
        api_port=free_port(),
        emulator_port=free_port(),
        scheduler_health_port=free_port(),
        worker_log_port=free_port(),
        trigger_log_port=free_port(),
        time_scale=float(os.environ.get("EMR_DAGS_E2E_TIME_SCALE", "1.0")),
        fixture_dags=True,  # test_chaos drives the dev kit's chaos DAGs
        local_exec=True,  # the examples' word count runs as a real local step (as `emr-dags demo` does)
    )
    running = Stack(config)
    running.up(timeout=300)
    try:
        yield RunningStack(
            stack=running, api=AirflowClient(config.api_url, "admin", running.admin_password())
        )
    finally:
        try:
            stats = config.emulator_admin().validation()
        except Exception as exc:  # the summary must not fail the session
            stats = {"error": repr(exc)}
        request.config.stash.setdefault(VALIDATION_REPORTS, []).append(("e2e stack emulator", stats))
        running.down(quiet=True)
        leftovers = _processes_with_stack_id(config.stack_id, config.state_dir)
        assert leftovers == [], f"processes survived `down`: {leftovers}"
