"""`airflow dags test` of DAGs built with emr-dags task groups, against the emulator.

A temporary AIRFLOW_HOME with SQLite, the connection from AIRFLOW_CONN_AWS_DEFAULT, the same way a
user tries a DAG locally. Slow-ish (~1 min): one migrate, two DAG runs.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]

FAILING_DAG = textwrap.dedent(
    """
    import pendulum
    from airflow.sdk import DAG
    from emr_dags.task_groups.emr import transient_cluster_pipeline

    def step(name):
        return {"Name": name, "ActionOnFailure": "CONTINUE",
                "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["spark-submit", "s3://code/job.py"]}}

    with DAG("emr_dags_failing_pipeline", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
        transient_cluster_pipeline(
            "p",
            cluster={"Name": "failing-pipeline", "ReleaseLabel": "emr-7.5.0",
                     "Instances": {"MasterInstanceType": "m5.xlarge", "SlaveInstanceType": "m5.xlarge",
                                   "InstanceCount": 2, "KeepJobFlowAliveWhenNoSteps": True},
                     "JobFlowRole": "EMR_EC2_DefaultRole", "ServiceRole": "EMR_DefaultRole"},
            steps=[step("doomed"), step("after")],
            poll_interval=0.5,
        )
    """
)


@pytest.fixture(scope="module")
def airflow_env(endpoint_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("airflow_home")
    dags = home / "dags"
    dags.mkdir()
    shutil.copy(REPO / "dags" / "emr_nightly_analytics.py", dags)
    (dags / "emr_dags_failing_pipeline.py").write_text(FAILING_DAG)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(
            {"conn_type": "aws", "extra": {"endpoint_url": endpoint_url, "region_name": "us-east-1"}}
        ),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONPATH": str(REPO),
    }
    airflow = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    env["_AIRFLOW_BIN"] = airflow
    return env


def _dags_test(env: dict[str, str], dag_id: str) -> dict[str, str]:
    proc = subprocess.run(
        [env["_AIRFLOW_BIN"], "dags", "test", dag_id], env=env, capture_output=True, text=True, timeout=600
    )
    db = sqlite3.connect(Path(env["AIRFLOW_HOME"]) / "airflow.db")
    try:
        row = db.execute("SELECT state FROM dag_run WHERE dag_id = ?", (dag_id,)).fetchone()
        assert row is not None, (
            f"no DAG run (rc={proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
        (run_state,) = row
        states = dict(
            db.execute("SELECT task_id, state FROM task_instance WHERE dag_id = ?", (dag_id,)).fetchall()
        )
    finally:
        db.close()
    assert states, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {"__run__": run_state, **states}


def _clusters(emr: Any, prefix: str) -> list[dict[str, Any]]:
    return [c for c in emr.list_clusters()["Clusters"] if c["Name"].startswith(prefix)]


def test_example_dag_runs_green_and_terminates_its_cluster(airflow_env: dict[str, str], emr: Any) -> None:
    states = _dags_test(airflow_env, "emr_nightly_analytics")
    assert states["__run__"] == "success", states
    assert set(states.values()) == {"success"}
    clusters = _clusters(emr, "nightly-analytics-")
    assert len(clusters) == 1
    assert clusters[0]["Status"]["State"] in ("TERMINATING", "TERMINATED")


def test_a_failing_step_fails_the_run_and_the_teardown_still_terminates(
    airflow_env: dict[str, str], emr: Any, admin: Any
) -> None:
    admin.add_rule(match={"step_name": "doomed*"}, outcome="fail", reason="Container exited with code 1")
    states = _dags_test(airflow_env, "emr_dags_failing_pipeline")
    assert states["__run__"] == "failed", states
    assert states["p.doomed"] == "failed"
    assert states["p.after"] == "upstream_failed"
    assert states["p.terminate_cluster"] == "success"
    (cluster,) = _clusters(emr, "failing-pipeline")
    assert cluster["Status"]["State"] in ("TERMINATING", "TERMINATED")
