"""EMR on EC2 operators and triggers against the emulator: exactly-once, cancellation, chaos."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred
from emulator_helpers import wait_for
from pipeline_helpers import FakeTI, cluster_request, run_operator, run_trigger, step_request

from emr_dags.aws.errors import EmrStepFailed
from emr_dags.operators.emr import EmrCreateClusterOperator, EmrStepOperator, EmrTerminateClusterOperator

pytestmark = pytest.mark.integration


def _run_id() -> str:
    return f"manual__{uuid.uuid4().hex[:8]}"


def _clusters_named(emr: Any, prefix: str) -> list[dict[str, Any]]:
    return [c for c in emr.list_clusters()["Clusters"] if c["Name"].startswith(prefix)]


def _steps_named(emr: Any, cluster_id: str, prefix: str) -> list[dict[str, Any]]:
    return [s for s in emr.list_steps(ClusterId=cluster_id)["Steps"] if s["Name"].startswith(prefix)]


def _create(aws_conn: str, run_id: str, name: str, xcoms: dict[Any, Any], **kw: Any) -> dict[str, Any]:
    op = EmrCreateClusterOperator(
        task_id="p.create_cluster", cluster=cluster_request(name), poll_interval=0.1, **kw
    )
    return run_operator(op, FakeTI("d", run_id, "p.create_cluster", xcoms=xcoms))


def test_retry_reattaches_to_the_cluster_and_the_step_of_try_1(aws_conn: str, emr: Any, admin: Any) -> None:
    run_id, xcoms, name = _run_id(), {}, f"reattach-{uuid.uuid4().hex[:6]}"
    admin.add_rule(match={"step_name": "etl*"}, outcome="hang")
    first = _create(aws_conn, run_id, name, xcoms)
    second = _create(aws_conn, run_id, name, xcoms)
    assert (first["reattached"], second["reattached"]) == (False, True)
    assert second["cluster_id"] == first["cluster_id"]
    assert len(_clusters_named(emr, name)) == 1

    cluster_id = first["cluster_id"]
    op = EmrStepOperator(task_id="p.etl", cluster_id=cluster_id, step=step_request("etl"), poll_interval=0.1)
    ids = []
    for try_number in (1, 2):  # the worker "dies" while each try is deferred
        with pytest.raises(TaskDeferred) as deferred:
            op.execute({"ti": FakeTI("d", run_id, "p.etl", try_number=try_number, xcoms=xcoms)})
        ids.append(deferred.value.trigger.step_ids[0])
    assert ids[0] == ids[1]
    assert len(_steps_named(emr, cluster_id, "etl")) == 1
    emr.terminate_job_flows(JobFlowIds=[cluster_id])


def test_retry_after_a_failed_step_adds_one_fresh_step(aws_conn: str, emr: Any, admin: Any) -> None:
    run_id, xcoms = _run_id(), {}
    admin.add_rule(match={"step_name": "flaky*"}, outcome="fail", reason="boom", times=1)
    cluster_id = _create(aws_conn, run_id, f"flaky-{uuid.uuid4().hex[:6]}", xcoms)["cluster_id"]
    op = EmrStepOperator(
        task_id="p.flaky", cluster_id=cluster_id, step=step_request("flaky"), poll_interval=0.1
    )
    with pytest.raises(EmrStepFailed):
        run_operator(op, FakeTI("d", run_id, "p.flaky", xcoms=xcoms))
    result = run_operator(op, FakeTI("d", run_id, "p.flaky", try_number=2, xcoms=xcoms))
    assert result["state"] == "COMPLETED"
    states = sorted(s["Status"]["State"] for s in _steps_named(emr, cluster_id, "flaky"))
    assert states == ["COMPLETED", "FAILED"]
    emr.terminate_job_flows(JobFlowIds=[cluster_id])


def test_user_kill_while_deferred_cancels_the_step_but_cleanup_does_not(
    aws_conn: str, emr: Any, admin: Any
) -> None:
    run_id, xcoms = _run_id(), {}
    admin.add_rule(match={"step_name": "long*"}, outcome="hang")
    cluster_id = _create(aws_conn, run_id, f"kill-{uuid.uuid4().hex[:6]}", xcoms)["cluster_id"]
    op = EmrStepOperator(
        task_id="p.long", cluster_id=cluster_id, step=step_request("long"), poll_interval=0.1
    )
    with pytest.raises(TaskDeferred) as deferred:
        op.execute({"ti": FakeTI("d", run_id, "p.long", xcoms=xcoms)})
    trigger = deferred.value.trigger
    step_id = trigger.step_ids[0]
    state = lambda: emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]["Status"]["State"]  # noqa: E731
    wait_for(state, lambda s: s == "RUNNING")

    asyncio.run(trigger.cleanup())  # a triggerer restart: must not cancel
    assert state() == "RUNNING"

    asyncio.run(trigger.on_kill())  # the user marked/cleared the task
    assert wait_for(state, lambda s: s in ("CANCELLED", "CANCEL_PENDING", "INTERRUPTED")) != "RUNNING"
    emr.terminate_job_flows(JobFlowIds=[cluster_id])


def test_one_list_steps_per_interval_serves_every_waiting_step(aws_conn: str, emr: Any, admin: Any) -> None:
    run_id, xcoms = _run_id(), {}
    cluster_id = _create(aws_conn, run_id, f"batch-{uuid.uuid4().hex[:6]}", xcoms)["cluster_id"]
    triggers = []
    for i in range(5):
        op = EmrStepOperator(
            task_id=f"p.s{i}", cluster_id=cluster_id, step=step_request(f"s{i}"), poll_interval=0.1
        )
        with pytest.raises(TaskDeferred) as deferred:
            op.execute({"ti": FakeTI("d", run_id, f"p.s{i}", xcoms=xcoms)})
        triggers.append(deferred.value.trigger)
    admin.reset_calls()

    async def wait_all() -> list[dict[str, Any]]:
        return await asyncio.gather(*(run_trigger(t) for t in triggers))

    events = asyncio.run(wait_all())
    assert {e["status"] for e in events} == {"success"}
    calls = admin.calls()["services"].get("emr", {})
    assert calls.get("DescribeStep", 0) == 0
    assert calls.get("DescribeCluster", 0) == 0
    # One shared poller: ListSteps calls ~ number of intervals, not intervals x 5 steps.
    assert calls.get("ListSteps", 0) <= 60
    emr.terminate_job_flows(JobFlowIds=[cluster_id])


def test_throttling_and_server_errors_do_not_fail_the_pipeline(aws_conn: str, emr: Any, admin: Any) -> None:
    run_id, xcoms, name = _run_id(), {}, f"chaos-{uuid.uuid4().hex[:6]}"
    admin.set_faults([{"service": "emr", "throttle": 0.3, "error_5xx": 0.05}], seed=11)
    try:
        cluster_id = _create(aws_conn, run_id, name, xcoms)["cluster_id"]
        results = [
            run_operator(
                EmrStepOperator(
                    task_id=f"p.c{i}", cluster_id=cluster_id, step=step_request(f"c{i}"), poll_interval=0.1
                ),
                FakeTI("d", run_id, f"p.c{i}", xcoms=xcoms),
            )
            for i in range(3)
        ]
        done = run_operator(
            EmrTerminateClusterOperator(task_id="p.terminate_cluster", cluster_id=cluster_id),
            FakeTI("d", run_id, "p.terminate_cluster", xcoms=xcoms),
        )
    finally:
        admin.clear_faults()
    assert [r["state"] for r in results] == ["COMPLETED"] * 3
    assert done["state"] in ("TERMINATING", "TERMINATED")
    assert len(_clusters_named(emr, name)) == 1
    for i in range(3):
        assert len(_steps_named(emr, cluster_id, f"c{i}")) == 1


def test_teardown_finds_the_cluster_of_a_create_that_never_pushed_its_id(
    aws_conn: str, emr: Any, admin: Any
) -> None:
    run_id, name = _run_id(), f"orphan-{uuid.uuid4().hex[:6]}"
    cluster_id = _create(aws_conn, run_id, name, {}, generation="3")["cluster_id"]  # XComs thrown away
    other_generation = run_operator(
        EmrTerminateClusterOperator(
            task_id="p.terminate_cluster", cluster_id="", owner_task_id="p.create_cluster", generation="4"
        ),
        FakeTI("d", run_id, "p.terminate_cluster"),
    )
    assert other_generation == {"cluster_id": None, "state": None}  # another key: not this cluster
    done = run_operator(
        EmrTerminateClusterOperator(
            task_id="p.terminate_cluster", cluster_id="", owner_task_id="p.create_cluster", generation="3"
        ),
        FakeTI("d", run_id, "p.terminate_cluster"),
    )
    assert done["cluster_id"] == cluster_id
    assert emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"] in (
        "TERMINATING",
        "TERMINATED",
    )


def test_keep_cluster_on_failure_leaves_it_with_an_idle_timeout(aws_conn: str, emr: Any, admin: Any) -> None:
    run_id, xcoms = _run_id(), {}
    admin.add_rule(match={"step_name": "bad*"}, outcome="fail", reason="boom")
    cluster_id = _create(aws_conn, run_id, f"keep-{uuid.uuid4().hex[:6]}", xcoms)["cluster_id"]
    with pytest.raises(EmrStepFailed):
        run_operator(
            EmrStepOperator(
                task_id="p.bad", cluster_id=cluster_id, step=step_request("bad"), poll_interval=0.1
            ),
            FakeTI("d", run_id, "p.bad", xcoms=xcoms),
        )
    kept = run_operator(
        EmrTerminateClusterOperator(
            task_id="p.terminate_cluster", cluster_id=cluster_id, keep_cluster_on_failure=True
        ),
        FakeTI("d", run_id, "p.terminate_cluster", xcoms=xcoms),
    )
    assert kept["kept_for_debugging"] is True
    assert emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"] == "WAITING"
    emr.terminate_job_flows(JobFlowIds=[cluster_id])


def test_sync_path_kill_cancels_the_running_step(aws_conn: str, emr: Any, admin: Any) -> None:
    import threading

    run_id, xcoms = _run_id(), {}
    admin.add_rule(match={"step_name": "syncwait*"}, outcome="hang")
    cluster_id = _create(aws_conn, run_id, f"sync-{uuid.uuid4().hex[:6]}", xcoms)["cluster_id"]
    op = EmrStepOperator(
        task_id="p.syncwait",
        cluster_id=cluster_id,
        step=step_request("syncwait"),
        poll_interval=0.1,
        deferrable=False,
    )
    outcome: list[BaseException] = []

    def work() -> None:
        try:
            op.execute({"ti": FakeTI("d", run_id, "p.syncwait", xcoms=xcoms)})
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    # RUNNING in EMR, and known to the task: on a busy machine the step can start before the
    # worker thread has read AddJobFlowSteps' answer, and a kill then has no step to cancel yet.
    wait_for(
        lambda: _steps_named(emr, cluster_id, "syncwait"),
        lambda s: s and s[0]["Status"]["State"] == "RUNNING" and op._step_id == s[0]["Id"],
        timeout=60,
    )
    op.on_kill()  # what the task runner calls on SIGTERM
    worker.join(timeout=60)
    assert outcome
    assert isinstance(outcome[0], EmrStepFailed)
    assert _steps_named(emr, cluster_id, "syncwait")[0]["Status"]["State"] in ("CANCELLED", "INTERRUPTED")
    emr.terminate_job_flows(JobFlowIds=[cluster_id])


def test_a_step_added_while_the_cluster_starts_waits_for_it_and_completes(
    aws_conn: str, emr: Any, admin: Any
) -> None:
    """The pipeline's default (create_cluster's wait_for_ready=False): EMR holds the step PENDING
    until the cluster is ready, so no cluster time is spent between ready and the first step."""
    run_id, xcoms = _run_id(), {}
    created = _create(aws_conn, run_id, f"early-{uuid.uuid4().hex[:6]}", xcoms, wait_for_ready=False)
    assert created["state"] in ("STARTING", "BOOTSTRAPPING")
    op = EmrStepOperator(
        task_id="p.early", cluster_id=created["cluster_id"], step=step_request("early"), poll_interval=0.1
    )
    result = run_operator(op, FakeTI("d", run_id, "p.early", xcoms=xcoms))
    assert result["state"] == "COMPLETED"
    cluster = emr.describe_cluster(ClusterId=created["cluster_id"])["Cluster"]
    import datetime as dt

    started = dt.datetime.fromisoformat(result["started_at"])
    assert started >= cluster["Status"]["Timeline"]["ReadyDateTime"], (result, cluster["Status"])
    emr.terminate_job_flows(JobFlowIds=[created["cluster_id"]])


def test_a_step_for_a_cluster_that_already_ended_fails_naming_the_cluster_reason(
    aws_conn: str, emr: Any, admin: Any
) -> None:
    from emr_dags.aws.errors import EmrClusterFailed

    run_id, xcoms = _run_id(), {}
    cluster_id = _create(aws_conn, run_id, f"gone-{uuid.uuid4().hex[:6]}", xcoms, wait_for_ready=False)[
        "cluster_id"
    ]
    emr.terminate_job_flows(JobFlowIds=[cluster_id])
    op = EmrStepOperator(
        task_id="p.late", cluster_id=cluster_id, step=step_request("late"), poll_interval=0.1
    )
    with pytest.raises(
        EmrClusterFailed,
        match=r"is TERMINAT\w+, so step 'p.late' cannot be added: USER_REQUEST: Terminated by user request",
    ):
        run_operator(op, FakeTI("d", run_id, "p.late", xcoms=xcoms))
    assert _steps_named(emr, cluster_id, "late") == []
