"""Diagnosing a failed EMR on EC2 step from the emulator's logs, over HTTP, as the operator does.

The emulator writes a step's container logs under the YARN application id the step's own stderr
names (as EMR does); the collector lists that folder directly, so a diagnosis quotes the driver
container's cause at once instead of waiting out its budget for logs filed under another id.
"""

from __future__ import annotations

import time

import pytest
from emulator_helpers import run_cluster, step, wait_cluster, wait_steps_done

from emr_dags.diagnostics import diagnose_emr_step

pytestmark = pytest.mark.integration

APP = "application_1764800000000_0042"
CLIENT_STDERR = (
    "26/12/04 10:00:01 INFO Client: Requesting a new application from cluster with 2 NodeManagers\n"
    f"26/12/04 10:00:02 INFO YarnClientImpl: Submitted application {APP}\n"
    f'Exception in thread "main" org.apache.spark.SparkException: Application {APP} finished with failed status\n'
)
DRIVER_STDERR = (
    "26/12/04 10:00:05 INFO SparkContext: Running Spark version 3.5.2\n"
    "Traceback (most recent call last):\n"
    '  File "/mnt/yarn/usercache/hadoop/appcache/sessionize.py", line 3, in <module>\n'
    "    import pyarrow\n"
    "ModuleNotFoundError: No module named 'pyarrow'\n"
)
BUDGET = 30.0


def test_a_failed_step_is_diagnosed_from_the_container_its_stderr_names(emr, s3, admin, log_bucket):
    admin.add_rule(
        match={"step_name": "sessionize"},
        outcome="fail",
        reason="Step failed",
        stderr=CLIENT_STDERR,
        container_stderr=DRIVER_STDERR,
    )
    cluster_id = run_cluster(emr, LogUri=f"s3://{log_bucket}/emr/")
    wait_cluster(emr, cluster_id, "WAITING")
    ids = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step("sessionize")])["StepIds"]
    assert wait_steps_done(emr, cluster_id, ids) == ["FAILED"]
    driver = f"emr/{cluster_id}/containers/{APP}/container_1764800000000_0042_01_000001/stderr.gz"

    started = time.monotonic()
    diagnosis = diagnose_emr_step(emr, s3, cluster_id, ids[0], wait_seconds=BUDGET, poll_seconds=1)
    elapsed = time.monotonic() - started

    assert elapsed < 5, f"took {elapsed:.1f}s of a {BUDGET:.0f}s budget"
    assert diagnosis.category.value == "python_module_missing", diagnosis.to_dict()
    assert diagnosis.decisive_line is not None
    assert diagnosis.decisive_line.file == f"s3://{log_bucket}/{driver}"
    assert "No module named 'pyarrow'" in diagnosis.decisive_line.text
    assert not any("no container logs" in m or "not uploaded" in m for m in diagnosis.missing), (
        diagnosis.missing
    )
