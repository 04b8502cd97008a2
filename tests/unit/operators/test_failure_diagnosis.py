"""A failed job run is diagnosed with the diagnostics API's real signature, and the result reaches XCom
(redacted, as the task log's Probable cause block is)."""

from __future__ import annotations

import json
import logging
from typing import Any
from unittest import mock

import pytest

import emr_dags.aws.clients as clients
from emr_dags import diagnostics
from emr_dags.aws.errors import EmrJobRunFailed
from emr_dags.operators import _base
from emr_dags.operators.eks import EmrEksJobOperator
from emr_dags.operators.serverless import EmrServerlessJobOperator
from emr_dags_devkit.bench.leaky_logs import ACCESS_KEY_ID, LEAKY_LOGS

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
    # a first diagnosis at once; it missed nothing (no "missing"), so there is no wait for late logs
    assert spy.call_count == 1
    assert spy.call_args.kwargs["s3_client"] == "s3-client"
    assert spy.call_args.kwargs["logs_client"] == "logs-client"
    assert spy.call_args.kwargs["wait_seconds"] == 0
    assert pushed == [("diagnosis", {"category": "python_exception", "summary": "boom"})]


class LateDiag(Diag):
    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "missing": ["stderr.gz: not uploaded after 0s"]}


def test_a_first_diagnosis_that_missed_logs_is_refined_with_the_full_wait(monkeypatch, pushed):
    spy = mock.create_autospec(diagnostics.diagnose_serverless_job, side_effect=[LateDiag(), Diag()])
    monkeypatch.setattr(diagnostics, "diagnose_serverless_job", spy)
    op = EmrServerlessJobOperator(task_id="t", application_id="app-1", job=SERVERLESS_JOB)
    with pytest.raises(EmrJobRunFailed):
        op._finish(FailedRunApi(), "run-1", "success", False)
    assert [c.kwargs["wait_seconds"] for c in spy.call_args_list] == [0, _base.DIAGNOSIS_WAIT_SECONDS]
    assert [value.get("missing") for _, value in pushed] == [["stderr.gz: not uploaded after 0s"], None]


# --- no credential reaches the task log's Probable cause block or the diagnosis XCom -----------------


def _serverless_failure(monkeypatch: pytest.MonkeyPatch, result: Any) -> None:
    """Fail a serverless job run through the operator's failure path, its diagnosis being ``result``."""
    spy = mock.create_autospec(diagnostics.diagnose_serverless_job, return_value=result)
    monkeypatch.setattr(diagnostics, "diagnose_serverless_job", spy)
    op = EmrServerlessJobOperator(task_id="t", application_id="app-1", job=SERVERLESS_JOB)
    with pytest.raises(EmrJobRunFailed):
        op._finish(FailedRunApi(), "run-1", "success", False)


def _outputs(caplog: pytest.LogCaptureFixture, pushed: list[tuple[str, Any]]) -> dict[str, str]:
    task_log = "\n".join(r.getMessage() for r in caplog.records if r.name == _base.__name__)
    return {"task_log": task_log, "xcom": json.dumps(dict(pushed)["diagnosis"])}


@pytest.mark.parametrize("output", ["task_log", "xcom"])
@pytest.mark.parametrize("log", LEAKY_LOGS, ids=lambda log: log.kind)
def test_no_credential_reaches_the_task_log_or_the_xcom(monkeypatch, pushed, caplog, log, output):
    caplog.set_level(logging.INFO, logger=_base.__name__)
    _serverless_failure(monkeypatch, diagnostics.diagnose_text("stderr.gz", log.lines, known_failed=True))
    text = _outputs(caplog, pushed)[output]
    assert "Probable cause" in text or output == "xcom"
    for secret in log.secrets:
        assert secret not in text
    assert "***" in text


class LeakyDiag(Diag):
    """A diagnosis that slipped past the entry point (built elsewhere): the sink alone must redact it."""

    def format_block(self) -> str:
        return f"===== emr-dags: Probable cause =====\npassword=hunter2x {ACCESS_KEY_ID}"

    def to_dict(self) -> dict[str, Any]:
        return {"category": "python_exception", "summary": f"boom password=hunter2x {ACCESS_KEY_ID}"}


def test_the_operator_redacts_a_diagnosis_that_was_not_redacted_when_built(monkeypatch, pushed, caplog):
    caplog.set_level(logging.INFO, logger=_base.__name__)
    _serverless_failure(monkeypatch, LeakyDiag())
    outputs = _outputs(caplog, pushed)
    assert "password=*** AKIA***" in outputs["task_log"]
    assert dict(pushed)["diagnosis"]["summary"] == "boom password=*** AKIA***"
