"""Which credential kinds reach which output of a diagnosis: the redaction matrix (issue 12 item 5).

For each of the seven leaky logs in :mod:`emr_dags_devkit.bench.leaky_logs` (a credential on the decisive
line of a failed run), runs every output path for real and looks for the credential in what it
produced:

* ``task_log``  the operator's failure path (``EmrServerlessJobOperator._finish`` -> diagnose, the
                driver log in S3 under moto): the "Probable cause" block it logs;
* ``xcom``      the ``diagnosis`` XCom that same path pushes (as JSON);
* ``cli_text`` / ``cli_json``   ``emr-dags diagnose PATH`` and ``emr-dags diagnose PATH --json``;
* ``ui_page`` / ``ui_api``      the plugin's ``/emr-dags/diagnosis`` page and ``/emr-dags/api/diagnosis``
                endpoint (FastAPI test client, Airflow's SimpleAuthManager), serving an XCom stored
                *unredacted*, as an emr-dags without redaction wrote it: the sink must redact alone.

A cell is ``ok`` when no credential text is in the output and ``***`` is (the line was quoted,
redacted); ``LEAK`` when a credential is there; ``absent`` when the line never reached the output
(the check proved nothing). Exit status 1 unless every cell is ``ok``.

    PYTHONPATH=. .venv/bin/python benchmarks/redaction_matrix.py [--json]
    PYTHONPATH=. .venv/bin/python benchmarks/redaction_matrix.py --layers none    # control: all LEAK

``--layers entry`` / ``--layers sinks`` switch one layer off: each alone keeps the fresh outputs clean;
only the sinks protect the UI from an XCom stored unredacted.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import logging
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any
from unittest import mock

from emr_dags_devkit.bench.leaky_logs import LEAKY_LOGS, LeakyLog, unredacted_diagnosis

OUTPUTS = ("task_log", "xcom", "cli_text", "cli_json", "ui_page", "ui_api")
LOG_URI = "s3://acme-emr-logs/serverless/"
APP, RUN = "00f1abcdexample", "00f2abcdexample"
ROLE = "arn:aws:iam::123456789012:role/emr-serverless-job"
DAG, DAG_RUN, TASK = "etl", "manual__2026-03-01T10:00:00+00:00", "spark_job"


def verdict(text: str, log: LeakyLog) -> str:
    if any(secret in text for secret in log.secrets):
        return "LEAK"
    return "ok" if "***" in text else "absent"


# --- task log and XCom: the operator's failure path -------------------------------------------


class _Api:
    """The serverless API facade the operator holds; ``client`` is what diagnose_serverless_job reads."""

    def __init__(self) -> None:
        self.client = self

    def get_job_run(self, application_id: str | None = None, run_id: str | None = None, **kw: Any) -> Any:
        run = {
            "applicationId": APP,
            "jobRunId": RUN,
            "state": "FAILED",
            "stateDetails": "Job failed, please check complete logs in configured logging destination.",
            "configurationOverrides": {
                "monitoringConfiguration": {"s3MonitoringConfiguration": {"logUri": LOG_URI}}
            },
        }
        return {"jobRun": run} if kw else run


def operator_outputs(log: LeakyLog) -> dict[str, str]:
    import boto3
    from moto import mock_aws

    from emr_dags.aws.errors import EmrJobRunFailed
    from emr_dags.operators.serverless import EmrServerlessJobOperator

    pushed: dict[str, Any] = {}
    ti = mock.Mock()
    ti.xcom_push.side_effect = lambda key, value: pushed.__setitem__(key, value)
    records = io.StringIO()
    handler = logging.StreamHandler(records)
    base_log = logging.getLogger("emr_dags.operators._base")
    base_log.addHandler(handler)
    base_log.setLevel(logging.INFO)
    base_log.propagate = False  # captured here, not printed
    try:
        with mock_aws(), mock.patch("airflow.sdk.get_current_context", return_value={"ti": ti}):
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket="acme-emr-logs")
            key = f"serverless/applications/{APP}/jobs/{RUN}/SPARK_DRIVER/stderr.gz"
            s3.put_object(Bucket="acme-emr-logs", Key=key, Body=gzip.compress("\n".join(log.lines).encode()))
            clients = {"s3": s3, "logs": None}
            with mock.patch("emr_dags.aws.clients.client_for", lambda kind, target: clients[kind]):
                op = EmrServerlessJobOperator(
                    task_id=TASK,
                    application_id=APP,
                    job={
                        "name": "j",
                        "executionRoleArn": ROLE,
                        "jobDriver": {"sparkSubmit": {"entryPoint": "s3://b/a.py"}},
                    },
                )
                with contextlib.suppress(EmrJobRunFailed):
                    op._finish(_Api(), RUN, "success", False)
    finally:
        base_log.removeHandler(handler)
        base_log.propagate = True
    return {"task_log": records.getvalue(), "xcom": json.dumps(pushed.get("diagnosis"))}


# --- the CLI -----------------------------------------------------------------------------------


def cli_outputs(log: LeakyLog) -> dict[str, str]:
    from emr_dags.cli import main

    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stderr"
        path.write_text("\n".join(log.lines) + "\n")
        for name, extra in (("cli_text", []), ("cli_json", ["--json"])):
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                main(["diagnose", str(path), *extra])
            out[name] = buf.getvalue()
    return out


# --- the plugin's page and endpoint, serving an XCom stored without redaction --------------------


class _Backend:
    def __init__(self, value: dict[str, Any]) -> None:
        self.value = value

    def diagnosis(self, dag_id: str, run_id: str, task_id: str, map_index: int) -> Any:
        from datetime import UTC, datetime

        from emr_dags.ui.views import StoredDiagnosis, TryRecord

        start = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
        return StoredDiagnosis(
            tries=(TryRecord(try_number=1, state="failed", start_date=start),), value=self.value
        )


def ui_outputs(log: LeakyLog) -> dict[str, str]:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from emr_dags.ui.app import create_app

    os.environ.setdefault(
        "AIRFLOW__API_AUTH__JWT_SECRET", "emr-dags-redaction-matrix-" + "0123456789abcdef" * 4
    )
    from airflow.api_fastapi.app import _AuthManagerState
    from airflow.api_fastapi.auth.managers import base_auth_manager
    from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    root = FastAPI()
    root.mount("/emr-dags", create_app(backend=_Backend(unredacted_diagnosis(log))))  # type: ignore[arg-type]
    params = {"dag_id": DAG, "run_id": DAG_RUN, "task_id": TASK, "try_number": "1"}
    manager = SimpleAuthManager()
    # no metadata DB here: token revocation (Airflow's own check) answers "not revoked"
    with (
        mock.patch.object(_AuthManagerState, "instance", manager),
        mock.patch.object(base_auth_manager.RevokedToken, "is_revoked", classmethod(lambda cls, jti: False)),
    ):
        client = TestClient(root)
        token = manager.generate_jwt(SimpleAuthManagerUser(username="viewer", role="viewer"))
        client.headers["Authorization"] = f"Bearer {token}"
        page = client.get("/emr-dags/diagnosis", params=params)
        api = client.get("/emr-dags/api/diagnosis", params=params)
    for resp in (page, api):
        if resp.status_code != 200:
            raise RuntimeError(f"{resp.request.url} answered {resp.status_code}: {resp.text[:300]}")
    return {"ui_page": page.text, "ui_api": api.text}


# --- the matrix --------------------------------------------------------------------------------


def outputs(log: LeakyLog) -> dict[str, str]:
    """Every output path's text for one leaky log."""
    return {**operator_outputs(log), **cli_outputs(log), **ui_outputs(log)}


def matrix() -> dict[str, dict[str, str]]:
    """kind -> output -> ``ok`` / ``LEAK`` / ``absent``."""
    result = {}
    for log in LEAKY_LOGS:
        texts = outputs(log)
        result[log.kind] = {name: verdict(texts[name], log) for name in OUTPUTS}
    return result


def _table(cells: dict[str, dict[str, str]]) -> str:
    width = max(len(k) for k in cells) + 2
    lines = ["kind".ljust(width) + "".join(o.ljust(10) for o in OUTPUTS)]
    for kind, row in cells.items():
        lines.append(kind.ljust(width) + "".join(row[o].ljust(10) for o in OUTPUTS))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the matrix as JSON")
    parser.add_argument(
        "--layers",
        choices=("both", "entry", "sinks", "none"),
        default="both",
        help="which redaction layers are on: where text enters the Diagnosis, at each output, both (the "
        "product) or none (a control: every cell should LEAK)",
    )
    args = parser.parse_args(argv)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    warnings.simplefilter("ignore")
    with contextlib.ExitStack() as stack:
        from emr_dags.diagnostics import model, redact

        def identity(value: Any) -> Any:
            return value

        if args.layers in ("sinks", "none"):  # model.py holds its own reference: the entry point
            stack.enter_context(mock.patch.object(model, "redact", identity))
        if args.layers in ("entry", "none"):  # the sinks import these at call time
            stack.enter_context(mock.patch.object(redact, "redact", identity))
            stack.enter_context(mock.patch.object(redact, "redact_value", identity))
        cells = matrix()
    print(json.dumps(cells, indent=2) if args.json else _table(cells))
    bad = sum(v != "ok" for row in cells.values() for v in row.values())
    print(f"\n{bad} of {len(cells) * len(OUTPUTS)} cells not redacted", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
