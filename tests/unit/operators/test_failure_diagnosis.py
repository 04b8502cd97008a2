"""A failed job run is diagnosed with the diagnostics API's real signature, and the result reaches XCom."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest

import emr_dags.aws.clients as clients
from emr_dags import diagnostics
from emr_dags.aws.errors import EmrJobRunFailed
from emr_dags.operators import _base
from emr_dags.operators.eks import EmrEksJobOperator
from emr_dags.operators.serverless import EmrServerlessJobOperator

ROLE = "arn:aws:iam::123456789012:role/r"
SERVERLESS_JOB = {
    "name": "j",
    "executionRoleArn": ROLE,
    "jobDriver": {"sparkSubmit": {"entryPoint": "s3://b/a.py"}},
}
EKS_JOB = {
    "name": "j",
    "virtualClusterId": "vc-1",
    "releaseLabel": "emr-7.5.0-latest",
    "executionRoleArn": ROLE,
    "jobDriver": {"sparkSubmitJobDriver": {"entryPoint": "s3://b/a.py"}},
}


class Diag:
    def format_block(self) -> str:
        return "===== emr-dags: Probable cause =====\nboom"

    def to_dict(self) -> dict[str, Any]:
        return {"category": "python_exception", "summary": "boom"}


class FailedRunApi:
    client = object()

    def get_job_run(self, application_id: str, run_id: str) -> dict[str, Any]:
        return {"state": "FAILED", "stateDetails": "exit 1"}

    def describe_job_run(self, virtual_cluster_id: str, job_id: str) -> dict[str, Any]:
        return {"state": "FAILED", "stateDetails": "exit 1", "failureReason": "USER_ERROR"}


@pytest.fixture
def pushed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    monkeypatch.setattr(clients, "client_for", lambda kind, target: f"{kind}-client")
    got: list[tuple[str, Any]] = []
    ti = mock.Mock()
    ti.xcom_push.side_effect = lambda key, value: got.append((key, value))
    monkeypatch.setattr("airflow.sdk.get_current_context", lambda: {"ti": ti})
    return got


@pytest.mark.parametrize(
    ("kind", "make_op", "finish_args"),
    [
        (
            "serverless_job",
            lambda: EmrServerlessJobOperator(task_id="t", application_id="app-1", job=SERVERLESS_JOB),
            ("run-1", "success", False),
        ),
        (
            "eks_job",
            lambda: EmrEksJobOperator(task_id="t", job=EKS_JOB, virtual_cluster_id="vc-1"),
            ("job-1", "success", False),
        ),
    ],
)
def test_a_failed_run_is_diagnosed_and_the_diagnosis_pushed(monkeypatch, pushed, kind, make_op, finish_args):
    real = getattr(diagnostics, f"diagnose_{kind}")
    spy = mock.create_autospec(real, return_value=Diag())  # rejects calls that do not fit the signature
    monkeypatch.setattr(diagnostics, f"diagnose_{kind}", spy)
    op = make_op()
    op.virtual_cluster_id = "vc-1"
    with pytest.raises(EmrJobRunFailed):
        op._finish(FailedRunApi(), *finish_args)
    assert spy.call_count == 1
    assert spy.call_args.kwargs["s3_client"] == "s3-client"
    assert spy.call_args.kwargs["logs_client"] == "logs-client"
    assert spy.call_args.kwargs["wait_seconds"] == _base.DIAGNOSIS_WAIT_SECONDS
    assert pushed == [("diagnosis", {"category": "python_exception", "summary": "boom"})]
