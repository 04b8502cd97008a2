from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from emr_dags.cli import main

VENV_BIN = Path(sys.executable).parent


def test_json_output_for_a_step_folder(
    corpus_paths: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagnose", str(corpus_paths["pyspark_module_missing"]), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["category"] == "python_module_missing"
    assert "No module named 'great_expectations'" in data["summary"]
    assert isinstance(data["evidence"], list)
    assert data["evidence"]
    assert data["source"].endswith("stderr.gz")


def test_text_output_is_the_probable_cause_block(
    corpus_paths: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagnose", str(corpus_paths["disk_full_shuffle"])]) == 0
    out = capsys.readouterr().out
    assert "Probable cause" in out
    assert "Category: disk_full" in out


def test_success_logs_exit_zero_with_no_failure_found(
    corpus_paths: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagnose", str(corpus_paths["ok_hive"]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["category"] == "no_failure_found"


@pytest.mark.parametrize(
    ("argv", "fix"),
    [
        ([], "pass log PATHs"),
        (["--step-id", "s-1"], "--step-id needs --cluster-id"),
        (["--application-id", "00f1"], "both --application-id and --job-run-id"),
        (["--job-id", "0001"], "both --virtual-cluster-id and --job-id"),
        (["/nonexistent/stderr.gz"], "no such file or folder: /nonexistent/stderr.gz"),
        (["some/path", "--cluster-id", "j-1"], "choose one of"),
    ],
)
def test_bad_usage_exits_2_naming_the_fix(
    argv: list[str], fix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagnose", *argv]) == 2
    assert fix in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--cluster-id", "j-1", "--poll-seconds", "0"],
            "--poll-seconds 0: must be > 0, e.g. --poll-seconds 10",
        ),
        (["--cluster-id", "j-1", "--wait-seconds", "-1"], "--wait-seconds -1: must be >= 0"),
        (["--cluster-id", "j-1", "--wait-seconds", "soon"], "--wait-seconds soon: not a number"),
    ],
)
def test_bad_numbers_exit_2_naming_the_flag_and_the_fix(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["diagnose", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"emr-dags diagnose: error: {message}" in err
    assert "Traceback" not in err


def test_an_empty_folder_exits_3_saying_nothing_was_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagnose", str(tmp_path), "--json"]) == 3
    captured = capsys.readouterr()
    assert json.loads(captured.out)["category"] == "no_failure_found"
    assert "no log line was read" in captured.err


def test_json_stdout_is_only_json_while_libraries_log_to_stdout(
    corpus_paths: dict[str, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    """A handler bound to the real stdout (as Airflow's logging config installs) is moved to stderr."""
    import logging

    handler = logging.StreamHandler(sys.__stdout__)
    chatty = logging.getLogger("botocore.credentials")
    chatty.addHandler(handler)
    chatty.setLevel(logging.INFO)
    try:
        from emr_dags.diagnostics import api

        original = api.diagnose_paths

        def noisy(paths: Any, **kwargs: Any) -> Any:
            chatty.info("Found credentials in environment variables.")
            print("[info] something else on stdout")
            return original(paths, **kwargs)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(api, "diagnose_paths", noisy)
            assert main(["diagnose", str(corpus_paths["ok_hive"]), "--json"]) == 0
    finally:
        chatty.removeHandler(handler)
    captured = capfd.readouterr()
    assert json.loads(captured.out)["category"] == "no_failure_found"
    assert "Found credentials" in captured.err
    assert "[info] something else on stdout" in captured.err


def test_cluster_and_step_from_aws(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        emr: Any = boto3.client("emr", region_name="us-east-1")
        s3: Any = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="acme-logs")
        cluster_id = emr.run_job_flow(
            Name="etl",
            LogUri="s3://acme-logs/emr/",
            ReleaseLabel="emr-7.5.0",
            Instances={
                "MasterInstanceType": "m5.xlarge",
                "InstanceCount": 1,
                "KeepJobFlowAliveWhenNoSteps": True,
            },
            JobFlowRole="EMR_EC2_DefaultRole",
            ServiceRole="EMR_DefaultRole",
        )["JobFlowId"]
        step_id = emr.add_job_flow_steps(
            JobFlowId=cluster_id,
            Steps=[
                {
                    "Name": "daily",
                    "ActionOnFailure": "CONTINUE",
                    "HadoopJarStep": {
                        "Jar": "command-runner.jar",
                        "Args": ["spark-submit", "s3://acme-jobs/daily.py"],
                    },
                }
            ],
        )["StepIds"][0]
        s3.put_object(
            Bucket="acme-logs",
            Key=f"emr/{cluster_id}/steps/{step_id}/stderr.gz",
            Body=gzip.compress(
                b"Traceback (most recent call last):\n  File \"daily.py\", line 3\nModuleNotFoundError: No module named 'boto4'\n"
            ),
        )
        rc = main(
            ["diagnose", "--cluster-id", cluster_id, "--step-id", step_id, "--json", "--wait-seconds", "0"]
        )
    out = capsys.readouterr().out
    assert rc == 0, out
    data = json.loads(out)
    assert data["category"] == "python_module_missing"
    assert data["source"] == f"s3://acme-logs/emr/{cluster_id}/steps/{step_id}/stderr.gz"


def test_installed_command_prints_json(corpus_paths: dict[str, Path]) -> None:
    result = subprocess.run(
        [str(VENV_BIN / "emr-dags"), "diagnose", str(corpus_paths["executor_yarn_memory_kill"]), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["category"] == "executor_out_of_memory"
    assert {"category", "summary", "evidence", "source"} <= set(data)


def test_diagnostics_modules_do_not_import_boto3() -> None:
    code = (
        "import sys, emr_dags.diagnostics.cli, emr_dags.diagnostics.api, emr_dags.diagnostics as d; "
        "d.diagnose_paths; assert 'boto3' not in sys.modules and 'botocore' not in sys.modules, 'boto imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_truncated_gzip_keeps_the_cause_it_read_says_so_and_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    noise = b"25/11/25 03:10:05 INFO TaskSetManager: Finished task 1.0 in stage 3.0 (TID 45) in 80 ms\n"
    body = (
        noise
        * 2000
        + b"Caused by: com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; "
        b"Status Code: 403; Error Code: AccessDenied)\n"
        + bytes(range(256))
        * 4000  # incompressible: the cut falls after the cause
    )
    whole = gzip.compress(body)
    path = tmp_path / "stderr.gz"
    path.write_bytes(whole[: len(whole) * 3 // 4])  # an upload cut short
    assert main(["diagnose", str(path), "--json"]) == 3
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["category"] == "s3_access_denied"
    assert data["decisive_line"]["line"] == 2001
    assert any("truncated" in m for m in data["missing"])
    assert data["incomplete"]
    assert "end-of-stream" in data["incomplete"][0]
    assert "TRUNCATED" in data["searched"][0]
    assert "could not be read fully" in captured.err


def test_complete_gzip_exits_0_with_no_incomplete_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "stderr.gz"
    path.write_bytes(gzip.compress(b"ModuleNotFoundError: No module named 'pandas'\n"))
    assert main(["diagnose", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["incomplete"] == []


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["diagnose", "--help"])
    out = capsys.readouterr().out
    assert "exit codes:" in out
    assert "3  diagnosis printed, but some input could not be read fully" in out
