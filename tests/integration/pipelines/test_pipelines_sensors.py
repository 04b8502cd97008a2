"""The batch-wait sensors against the emulator, in poke mode, reschedule mode and deferred: one verdict
for a set of ids, and a killed sensor leaves the work it watches running."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from emulator_helpers import run_cluster, step, step_states, unique, wait_cluster
from pipeline_helpers import FakeTI, context_for, run_operator

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
        task_id="w", cluster_id=cluster_id, step_ids=good, poke_interval=0.1, deferrable=deferrable
    )
    assert run_operator(sensor, _ti("w")) == dict.fromkeys(good, "COMPLETED")

    bad = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step(unique("bad-"))])["StepIds"]
    sensor = EmrStepsSensor(
        task_id="w2", cluster_id=cluster_id, step_ids=[*good, *bad], poke_interval=0.1, deferrable=deferrable
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
        task_id="w", application_id=app_id, job_run_ids=runs, poke_interval=0.1, deferrable=deferrable
    )
    with pytest.raises(EmrJobRunFailed, match=f"{runs[1]}.*FAILED"):
        run_operator(sensor, _ti("w"))


class RescheduledTI(FakeTI):
    def get_first_reschedule_date(self, context: Any) -> None:
        return None


def test_steps_sensor_in_reschedule_mode_gives_the_slot_back_between_checks(
    aws_conn: str, emr: Any, admin: Any
) -> None:
    from airflow.sdk.exceptions import AirflowRescheduleException

    admin.add_rule(match={"step_name": "slow-*"}, outcome="succeed", duration_minutes=20)
    cluster_id = run_cluster(emr)
    wait_cluster(emr, cluster_id, "WAITING")
    ids = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step(unique("slow-"))])["StepIds"]
    sensor = EmrStepsSensor(
        task_id="w",
        cluster_id=cluster_id,
        step_ids=ids,
        mode="reschedule",
        poke_interval=0.1,
        deferrable=False,
    )
    ctx = context_for(RescheduledTI("d", f"manual__{unique('r')}", "w"))
    admin.reset_calls()
    tries = 0
    while True:  # what the scheduler does: run the task again after each reschedule
        tries += 1
        try:
            result = sensor.execute(ctx)
            break
        except AirflowRescheduleException:
            assert tries < 200
            asyncio.run(asyncio.sleep(0.1))
    assert result == dict.fromkeys(ids, "COMPLETED")
    assert tries > 1
    assert admin.call_count("emr", "ListSteps") == tries  # one listing call per try
    emr.terminate_job_flows(JobFlowIds=[cluster_id])


def test_a_killed_sensor_never_cancels_the_steps_or_runs_it_watches(
    aws_conn: str, emr: Any, aws: Any, admin: Any
) -> None:
    from airflow.sdk.exceptions import TaskDeferred

    from emr_dags.triggers._poller import active_pollers

    admin.add_rule(match={"step_name": "long-*"}, outcome="hang")
    admin.add_rule(match={"service": "serverless", "job_name": "long-*"}, outcome="hang")
    cluster_id = run_cluster(emr)
    wait_cluster(emr, cluster_id, "WAITING")
    step_ids = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step(unique("long-"))])["StepIds"]
    sl = aws("emr-serverless")
    app_id = sl.create_application(name=unique("app"), releaseLabel="emr-7.5.0", type="SPARK")[
        "applicationId"
    ]
    driver = {"sparkSubmit": {"entryPoint": "s3://code/job.py"}}
    run_id = sl.start_job_run(
        applicationId=app_id, executionRoleArn=ROLE, name=unique("long-"), jobDriver=driver
    )["jobRunId"]
    sensors = [
        EmrStepsSensor(
            task_id="w", cluster_id=cluster_id, step_ids=step_ids, poke_interval=0.1, deferrable=True
        ),
        EmrServerlessJobsSensor(
            task_id="sw", application_id=app_id, job_run_ids=[run_id], poke_interval=0.1, deferrable=True
        ),
    ]
    admin.reset_calls()
    for sensor in sensors:
        with pytest.raises(TaskDeferred) as deferred:
            sensor.execute(context_for(_ti(sensor.task_id)))
        trigger = deferred.value.trigger

        async def watch_then_kill(trigger: Any = trigger) -> None:
            run = asyncio.ensure_future(anext(aiter(trigger.run())))
            for _ in range(200):  # until the trigger has polled at least once (10 s at most)
                poller = active_pollers().get(trigger.poll_key())
                if poller is not None and poller.polls >= 1:
                    break
                await asyncio.sleep(0.05)
            run.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await run
            await trigger.on_kill()  # the triggerer removing a killed task's trigger

        asyncio.run(watch_then_kill())
        sensor.on_kill()  # a worker killing a poking sensor
    assert admin.call_count("emr", "CancelSteps") == 0
    assert admin.call_count("emr-serverless", "CancelJobRun") == 0
    assert admin.call_count("emr", "ListSteps") >= 2  # it did watch: the first check, then the trigger
    assert step_states(emr, cluster_id, step_ids) == ["RUNNING"]
    # (the job run's own state is not checked: on a loaded machine the emulator's simulated clock can
    # reach the run's default execution timeout; the call count above is what proves we left it alone)
    emr.terminate_job_flows(JobFlowIds=[cluster_id])
