"""The batch-wait sensors against the emulator, synchronous and deferred: one verdict for a set of ids."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_helpers import run_cluster, step, unique, wait_cluster
from pipeline_helpers import FakeTI, run_operator

from emr_dags.aws.errors import EmrJobRunFailed, EmrStepFailed
from emr_dags.sensors.emr import EmrStepsSensor
from emr_dags.sensors.serverless import EmrServerlessJobsSensor

pytestmark = pytest.mark.integration
ROLE = "arn:aws:iam::123456789012:role/job"


def _ti(task_id: str) -> FakeTI:
    return FakeTI("d", f"manual__{unique('r')}", task_id)


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferred"])
def test_steps_sensor_waits_for_every_step_and_names_the_failed_one(
    aws_conn: str, emr: Any, admin: Any, deferrable: bool
) -> None:
    admin.add_rule(match={"step_name": "bad-*"}, outcome="fail", duration_minutes=1)
    cluster_id = run_cluster(emr)
    wait_cluster(emr, cluster_id, "WAITING")
    good = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step(unique("ok")), step(unique("ok"))])[
        "StepIds"
    ]
    sensor = EmrStepsSensor(
        task_id="w", cluster_id=cluster_id, step_ids=good, poll_interval=0.1, deferrable=deferrable
    )
    assert run_operator(sensor, _ti("w")) == dict.fromkeys(good, "COMPLETED")

    bad = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step(unique("bad-"))])["StepIds"]
    sensor = EmrStepsSensor(
        task_id="w2", cluster_id=cluster_id, step_ids=[*good, *bad], poll_interval=0.1, deferrable=deferrable
    )
    with pytest.raises(EmrStepFailed, match=f"{bad[0]}.*FAILED"):
        run_operator(sensor, _ti("w2"))
    emr.terminate_job_flows(JobFlowIds=[cluster_id])


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferred"])
def test_serverless_sensor_fails_when_one_run_fails(
    aws_conn: str, aws: Any, admin: Any, deferrable: bool
) -> None:
    sl = aws("emr-serverless")
    admin.add_rule(match={"service": "serverless", "job_name": "bad-*"}, outcome="fail", duration_minutes=0.5)
    app_id = sl.create_application(name=unique("app"), releaseLabel="emr-7.5.0", type="SPARK")[
        "applicationId"
    ]
    driver = {"sparkSubmit": {"entryPoint": "s3://code/job.py"}}
    runs = [
        sl.start_job_run(applicationId=app_id, executionRoleArn=ROLE, name=name, jobDriver=driver)["jobRunId"]
        for name in (unique("ok"), unique("bad-"))
    ]
    sensor = EmrServerlessJobsSensor(
        task_id="w", application_id=app_id, job_run_ids=runs, poll_interval=0.1, deferrable=deferrable
    )
    with pytest.raises(EmrJobRunFailed, match=f"{runs[1]}.*FAILED"):
        run_operator(sensor, _ti("w"))
