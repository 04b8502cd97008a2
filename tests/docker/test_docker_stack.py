"""The Docker stack, as a Docker user gets it: built, started and driven on this machine's engine.

``emr-dags up --docker`` builds the images (the base images from Debian packages when no registry is
reachable, then emr-dags and the emulator from the built wheels) and starts docker-compose.yaml:
CeleryExecutor with Redis and two workers, PostgreSQL, the api-server, scheduler, dag-processor,
triggerer and the emulator. The tests then drive it as an operator would (REST API, ``docker-compose
exec``, ``docker kill``) and assert on AWS-side state in the emulator; ``emr-dags down --docker``
must leave no container, network or volume behind.

Skipped only where Docker cannot be installed (not root and not installed, or no apt-get); the skip
reason names what is missing and the end of the pytest report says so in capitals.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from docker_skip import NOT_RUN
from e2e_helpers import wait_until

from emr_dags import tags
from emr_dags_devkit.stack.api import AirflowClient
from emr_dags_devkit.stack.docker import DockerStack, why_docker_cannot_run
from emr_dags_devkit.stack.runner import free_port
from emr_dags_devkit.stack.seed import emulator_client

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1800)]

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "emr_dags.cli"]
WORKERS = ("airflow-worker-1", "airflow-worker-2")
KILL_DAG = "docker_worker_kill"
STEP_TASK = "pipeline.long_step"
# Long enough (seconds at time scale 1) to outlive the kill and the scheduler's heartbeat timeout.
STEP_MINUTES = 150

KILL_DAG_SOURCE = f'''
"""Test DAG of tests/docker: one non-deferrable step, so its task waits on the step in a worker."""
from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from emr_dags.task_groups.emr import transient_cluster_pipeline

with DAG(
    dag_id="{KILL_DAG}",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    schedule=None,
    catchup=False,
    tags=["docker-test"],
    default_args={{"retries": 2, "retry_delay": pendulum.duration(seconds=2)}},
):
    transient_cluster_pipeline(
        "pipeline",
        cluster={{
            "Name": "docker-kill",
            "ReleaseLabel": "emr-7.5.0",
            "Applications": [{{"Name": "Spark"}}],
            "Instances": {{
                "InstanceGroups": [
                    {{"Name": "primary", "InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}}
                ],
                "KeepJobFlowAliveWhenNoSteps": True,
            }},
            "JobFlowRole": "EMR_EC2_DefaultRole",
            "ServiceRole": "EMR_DefaultRole",
        }},
        steps={{
            "long_step": {{
                "Name": "long_step",
                "ActionOnFailure": "CONTINUE",
                "HadoopJarStep": {{
                    "Jar": "command-runner.jar",
                    "Args": ["spark-submit", "s3://emr-dags-demo/code/job.py", "--run", "{{{{ run_id }}}}"],
                }},
            }}
        }},
        deferrable=False,
        poll_interval=2.0,
    )
'''


@dataclass
class Running:
    stack: DockerStack
    api: AirflowClient
    timings: dict[str, float]

    def clusters_of_run(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        emr = emulator_client("emr", self.stack.emulator_url)
        found = []
        for summary in emr.list_clusters()["Clusters"]:
            cluster = emr.describe_cluster(ClusterId=summary["Id"])["Cluster"]
            cluster_tags = {t["Key"]: t["Value"] for t in cluster.get("Tags", [])}
            if cluster_tags.get(tags.DAG_ID) == dag_id and cluster_tags.get(tags.RUN_ID) == run_id:
                cluster["Steps"] = emr.list_steps(ClusterId=cluster["Id"])["Steps"]
                found.append(cluster)
        return found


def _cli(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    start = time.monotonic()
    result = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, check=False)
    print(f"emr-dags {' '.join(args)}: exit {result.returncode} in {time.monotonic() - start:.0f} s")
    out = result.stdout
    # The head has the build lines, the tail the health lines (and, on failure, the services' logs).
    print(out if len(out) < 8000 else f"{out[:3000]}\n[...]\n{out[-5000:]}")
    return result


@pytest.fixture(scope="module")
def docker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    reason = why_docker_cannot_run()
    if reason:
        NOT_RUN.append(reason)
        print(f"\n!!! THE DOCKER STAGE DID NOT RUN: {reason} !!!", file=sys.stderr)
        pytest.skip(f"Docker cannot be installed here: {reason}")
    state = tmp_path_factory.mktemp("docker-stack")
    stack = DockerStack(
        repo_root=REPO,
        state_dir=state,
        project_name=f"emr-dags-test-{datetime.now(UTC):%H%M%S}",
        api_port=free_port(),
        emulator_port=free_port(),
    )
    location = ["--state-dir", str(state), "--project-name", stack.project_name]
    start = time.monotonic()
    up = _cli(
        "up",
        "--docker",
        "--local-exec",  # the examples' word count runs for real, as in `emr-dags demo`
        *location,
        "--api-port",
        str(stack.api_port),
        "--emulator-port",
        str(stack.emulator_port),
        "--timeout",
        "600",
        timeout=1500,
    )
    try:
        assert up.returncode == 0, f"emr-dags up --docker failed:\n{up.stdout[-4000:]}\n{up.stderr[-4000:]}"
        (stack.project_dir / "dags" / f"{KILL_DAG}.py").write_text(KILL_DAG_SOURCE)
        api = AirflowClient(stack.api_url, "admin", stack.admin_password())
        yield Running(stack=stack, api=api, timings={"build+up": time.monotonic() - start})
    finally:
        _cli("down", "--docker", *location, timeout=300)


def _discover(api: AirflowClient, tag: str, expected: int) -> list[str]:
    def found() -> list[str]:
        ids = sorted(d["dag_id"] for d in api.dags(tags=[tag]))
        return ids if len(ids) >= expected else []

    return list(wait_until(found, 240, f"{expected} DAGs tagged {tag}"))


def _wait_runs(api: AirflowClient, runs: list[tuple[str, str]], timeout: float) -> dict[str, str]:
    return {
        f"{dag_id}/{run_id}": api.wait_for_run(dag_id, run_id, timeout=timeout)["state"]
        for dag_id, run_id in runs
    }


def test_up_builds_the_images_and_every_service_is_healthy(docker):
    containers = docker.stack.containers()
    assert containers["airflow-init"]["exit_code"] == 0
    for name in ("postgres", "redis", "emulator", *WORKERS, "airflow-apiserver", "airflow-scheduler"):
        assert containers[name]["health"] == "healthy", (name, containers[name])
    print(f"build + up: {docker.timings['build+up']:.0f} s")


def test_the_example_dags_succeed_on_the_celery_workers(docker):
    api = docker.api
    examples = [p for p in (REPO / "dags").glob("emr_*.py") if '"demo"' in p.read_text()]
    dag_ids = _discover(api, "demo", len(examples))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    runs = []
    for dag_id in dag_ids:
        runs.append((dag_id, api.trigger(dag_id, run_id=f"docker__{stamp}")["dag_run_id"]))
        api.unpause(dag_id)
    states = _wait_runs(api, runs, timeout=600)
    assert set(states.values()) == {"success"}, states
    hosts = {
        ti["hostname"]
        for dag_id, run_id in runs
        for ti in api.task_instances(dag_id, run_id)
        if ti["state"] == "success" and ti.get("hostname")
    }
    # Every task ran on a Celery worker (the scheduler runs none itself), and both workers took some.
    assert hosts == set(WORKERS), hosts


def test_a_three_date_backfill_through_compose_exec_succeeds(docker):
    dag_id = "emr_nightly_analytics"
    docker.stack.compose(
        "exec",
        "-T",
        "airflow-scheduler",
        "airflow",
        "backfill",
        "create",
        "--dag-id",
        dag_id,
        "--from-date",
        "2026-01-01",
        "--to-date",
        "2026-01-03",
        timeout=300,
    )

    def backfill_runs() -> list[dict[str, Any]]:
        runs = [r for r in docker.api.dag_runs(dag_id) if r["run_type"] == "backfill"]
        return runs if len(runs) == 3 else []

    runs = wait_until(backfill_runs, 120, "3 backfill runs")
    states = _wait_runs(docker.api, [(dag_id, r["dag_run_id"]) for r in runs], timeout=600)
    assert sorted(r["logical_date"][:10] for r in runs) == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert set(states.values()) == {"success"}, states


def _status(url: str, token: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_the_plugin_emr_page_needs_credentials(docker):
    page = f"{docker.stack.api_url}/emr-dags/"
    assert _status(page) == 401
    assert _status(page, docker.api.token()) == 200


def test_a_killed_worker_task_is_retried_on_the_other_worker_and_reattaches(docker):
    api, stack = docker.api, docker.stack
    stack.emulator_admin().add_rule(
        name="docker-kill-long-step", match={"arg": "*docker-kill*"}, duration_minutes=STEP_MINUTES
    )
    _discover(api, "docker-test", 1)
    api.unpause(KILL_DAG)
    run_id = api.trigger(KILL_DAG, run_id=f"docker-kill__{datetime.now(UTC):%Y%m%dT%H%M%S}")["dag_run_id"]

    def waiting_on_the_step() -> str | None:
        ti = api.task_instance(KILL_DAG, run_id, STEP_TASK)
        clusters = docker.clusters_of_run(KILL_DAG, run_id)
        steps = [s for c in clusters for s in c["Steps"]]
        running = any(s["Status"]["State"] == "RUNNING" for s in steps)
        return ti["hostname"] if ti["state"] == "running" and ti.get("hostname") and running else None

    victim = wait_until(waiting_on_the_step, 300, "the step task running on a worker, its step RUNNING")
    container = stack.containers()[victim]["id"]
    # No restart: the retry must go to the other worker.
    subprocess.run(["docker", "update", "--restart=no", container], check=True, capture_output=True)
    subprocess.run(["docker", "kill", container], check=True, capture_output=True)
    print(f"killed {victim} ({container}) while {STEP_TASK} waited on its step")

    run = api.wait_for_run(KILL_DAG, run_id, timeout=600)
    ti = api.task_instance(KILL_DAG, run_id, STEP_TASK)
    clusters = docker.clusters_of_run(KILL_DAG, run_id)
    assert run["state"] == "success", run
    assert ti["try_number"] >= 2, ti
    assert ti["hostname"] != victim, ti
    assert len(clusters) == 1, [c["Id"] for c in clusters]  # no second cluster
    steps = clusters[0]["Steps"]
    # Re-attached: one step (emr-dags suffixes its name with the idempotency token), not two.
    assert [s["Name"].split(" [")[0] for s in steps] == ["long_step"], steps
    assert steps[0]["Status"]["State"] == "COMPLETED"


def test_reap_finds_nothing_left_running(docker):
    api = docker.api

    def all_runs_ended() -> bool:
        dags = [d["dag_id"] for d in api.dags()]
        return all(r["state"] in ("success", "failed") for d in dags for r in api.dag_runs(d))

    wait_until(all_runs_ended, 600, "every DAG run to end")
    result = subprocess.run(
        [
            *CLI,
            "reap",
            "--json",
            "--endpoint-url",
            docker.stack.emulator_url,
            "--airflow-url",
            docker.stack.api_url,
            "--airflow-token",
            api.token(),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    assert report["decisions"] == [], report["decisions"]


def test_down_leaves_no_container_network_or_volume(docker):
    stack = docker.stack
    down = _cli(
        "down",
        "--docker",
        "--state-dir",
        str(stack.state_dir),
        "--project-name",
        stack.project_name,
        timeout=300,
    )
    assert down.returncode == 0, down.stderr[-3000:]
    assert stack.leftovers() == {"containers": [], "networks": [], "volumes": []}
