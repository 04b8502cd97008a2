"""EMR Serverless and EMR on EKS operators against the emulator: exactly-once runs, teardown, cancel."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred
from emulator_helpers import wait_for
from pipeline_helpers import FakeTI, run_operator

from emr_dags.operators.eks import EmrEksJobOperator
from emr_dags.operators.serverless import (
    EmrServerlessApplicationOperator,
    EmrServerlessJobOperator,
    EmrServerlessStopApplicationOperator,
)
from emr_dags.specs.eks import EksJobSpec
from emr_dags.specs.serverless import ServerlessApplicationSpec, ServerlessSparkJob

pytestmark = pytest.mark.integration
ROLE = "arn:aws:iam::123456789012:role/emr-serverless-job"


def _job(name: str) -> ServerlessSparkJob:
    return ServerlessSparkJob(name=name, execution_role_arn=ROLE, entry_point="s3://code/job.py")


def test_serverless_pipeline_runs_each_job_once_and_deletes_the_app_it_created(
    aws_conn: str, aws: Any
) -> None:
    client = aws("emr-serverless")
    run_id, xcoms, app_name = f"r-{uuid.uuid4().hex[:6]}", {}, f"app-{uuid.uuid4().hex[:6]}"
    ensure = EmrServerlessApplicationOperator(
        task_id="s.ensure_application",
        application=ServerlessApplicationSpec(name=app_name, release_label="emr-7.5.0"),
        poll_interval=0.1,
    )
    app = run_operator(ensure, FakeTI("d", run_id, "s.ensure_application", xcoms=xcoms))
    again = run_operator(ensure, FakeTI("d", run_id, "s.ensure_application", try_number=2, xcoms=xcoms))
    assert app["owned"]
    assert again["owned"]
    assert again["application_id"] == app["application_id"]
    app_id = app["application_id"]

    job = EmrServerlessJobOperator(
        task_id="s.spark", application_id=app_id, job=_job("spark"), poll_interval=0.1
    )
    first = run_operator(job, FakeTI("d", run_id, "s.spark", xcoms=xcoms))
    second = run_operator(job, FakeTI("d", run_id, "s.spark", try_number=2, xcoms=xcoms))
    assert first["state"] == "SUCCESS"
    assert second["reattached"] is True
    assert second["job_run_id"] == first["job_run_id"]
    assert len(client.list_job_runs(applicationId=app_id)["jobRuns"]) == 1

    stop = EmrServerlessStopApplicationOperator(
        task_id="s.stop_application",
        application_id=app_id,
        owner_task_id="s.ensure_application",
        poll_interval=0.1,
    )
    assert run_operator(stop, FakeTI("d", run_id, "s.stop_application", xcoms=xcoms))["action"] == "deleted"


def test_serverless_teardown_leaves_a_shared_application_running(aws_conn: str, aws: Any) -> None:
    client = aws("emr-serverless")
    shared = client.create_application(
        name=f"shared-{uuid.uuid4().hex[:6]}", releaseLabel="emr-7.5.0", type="SPARK"
    )
    stop = EmrServerlessStopApplicationOperator(
        task_id="s.stop_application",
        application_id=shared["applicationId"],
        owner_task_id="s.ensure_application",
    )
    result = run_operator(stop, FakeTI("d", "r", "s.stop_application"))
    assert result["action"] == "left-running"
    assert (
        client.get_application(applicationId=shared["applicationId"])["application"]["state"] != "TERMINATED"
    )


def test_serverless_kill_while_deferred_cancels_the_run(aws_conn: str, aws: Any, admin: Any) -> None:
    client = aws("emr-serverless")
    admin.add_rule(match={"service": "serverless", "job_name": "hang*"}, outcome="hang")
    app_id = client.create_application(
        name=f"k-{uuid.uuid4().hex[:6]}", releaseLabel="emr-7.5.0", type="SPARK"
    )["applicationId"]
    op = EmrServerlessJobOperator(
        task_id="s.hang", application_id=app_id, job=_job("hang"), poll_interval=0.1
    )
    with pytest.raises(TaskDeferred) as deferred:
        op.execute({"ti": FakeTI("d", "r", "s.hang")})
    run_id = deferred.value.trigger.job_run_ids[0]
    asyncio.run(deferred.value.trigger.on_kill())
    state = lambda: client.get_job_run(applicationId=app_id, jobRunId=run_id)["jobRun"]["state"]  # noqa: E731
    assert wait_for(state, lambda s: s in ("CANCELLING", "CANCELLED")) in ("CANCELLING", "CANCELLED")


def test_eks_job_runs_once_across_retries(aws_conn: str, aws: Any) -> None:
    client = aws("emr-containers")
    vc_name = f"vc-{uuid.uuid4().hex[:6]}"
    client.create_virtual_cluster(
        name=vc_name,
        containerProvider={"id": "eks", "type": "EKS", "info": {"eksInfo": {"namespace": "emr"}}},
    )
    spec = EksJobSpec(
        virtual_cluster_id="{{ params.vc }}",
        name="eks-spark",
        release_label="emr-7.5.0-latest",
        execution_role_arn=ROLE,
        entry_point="s3://code/job.py",
    )
    op = EmrEksJobOperator(task_id="e.spark", job=spec, virtual_cluster_name=vc_name, poll_interval=0.1)
    op.virtual_cluster_id = ""  # what "{{ params.vc }}" renders to when the param is empty
    xcoms: dict[Any, Any] = {}
    first = run_operator(op, FakeTI("d", "r", "e.spark", xcoms=xcoms))
    op.virtual_cluster_id = ""
    second = run_operator(op, FakeTI("d", "r", "e.spark", try_number=2, xcoms=xcoms))
    assert first["state"] == "COMPLETED"
    assert second["job_id"] == first["job_id"]
    assert len(client.list_job_runs(virtualClusterId=first["virtual_cluster_id"])["jobRuns"]) == 1


def test_an_eks_job_keeps_its_64_character_name_whole_and_reattaches_by_key(aws_conn: str, aws: Any) -> None:
    """Before: the name became 'daily-features-20261 [emr-dags:<key>]' (cut, and with characters the
    EMR on EKS name pattern forbids: AWS rejects it, the emulator does not check name patterns yet, so
    this test asserts the name that was sent instead)."""
    client = aws("emr-containers")
    vc_name = f"vc-{uuid.uuid4().hex[:6]}"
    client.create_virtual_cluster(
        name=vc_name,
        containerProvider={"id": "eks", "type": "EKS", "info": {"eksInfo": {"namespace": vc_name}}},
    )
    name = f"daily-features-20261204-{uuid.uuid4().hex[:8]}".ljust(64, "x")
    spec = EksJobSpec(
        virtual_cluster_id="{{ params.vc }}",
        name=name,
        release_label="emr-7.5.0-latest",
        execution_role_arn=ROLE,
        entry_point="s3://code/job.py",
    )
    op = EmrEksJobOperator(task_id="e.features", job=spec, virtual_cluster_name=vc_name, poll_interval=0.1)
    op.virtual_cluster_id = ""
    xcoms: dict[Any, Any] = {}
    first = run_operator(op, FakeTI("d", "r", "e.features", xcoms=xcoms))
    op.virtual_cluster_id = ""
    second = run_operator(op, FakeTI("d", "r", "e.features", try_number=2, xcoms=xcoms))
    assert first["name"] == name
    assert second["job_id"] == first["job_id"]
    assert second["reattached"] is True
