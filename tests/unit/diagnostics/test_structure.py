"""Line shapes: what is never evidence, and what evidence a saved JSON holds."""

from __future__ import annotations

import pytest

from emr_dags.diagnostics import FailureCategory, diagnose_text
from emr_dags.diagnostics.structure import ignored_shape, json_evidence, path_attempt, split_prefix


@pytest.mark.parametrize(
    "line",
    [
        "exec /usr/lib/jvm/java-17/bin/java -server -Xmx9g '-XX:OnOutOfMemoryError=kill -9 %p' "
        "org.apache.spark.executor.YarnCoarseGrainedExecutorBackend",
        "spark-submit --deploy-mode cluster --conf spark.executor.extraJavaOptions=-XX:+ExitOnOutOfMemoryError app.py",
        "spark.network.timeout=600s",
        "(spark.executor.extraJavaOptions,-XX:OnOutOfMemoryError='kill -9 %p')",
        "25/11/25 03:00:01 INFO SparkContext: spark.sql.broadcastTimeout=36000",
        '    "ExecutionTimeoutMinutes": 720,',
        '        "spark.yarn.maxAppAttempts": "1",',
    ],
)
def test_command_lines_settings_and_json_settings_are_ignored(line: str) -> None:
    assert ignored_shape(line) is not None
    assert diagnose_text("stderr", [line]).category is FailureCategory.NO_FAILURE_FOUND


def test_a_real_error_is_not_mistaken_for_a_setting() -> None:
    line = (
        "Total size of serialized results of 16 tasks (1048.5 MiB) is bigger than "
        "spark.driver.maxResultSize (1024.0 MiB)"
    )
    assert ignored_shape(line) is None
    assert diagnose_text("stderr", [line]).category is FailureCategory.DRIVER_OUT_OF_MEMORY


def test_json_evidence_fields_are_read_and_settings_are_not() -> None:
    document = (
        '{"jobRun": {"state": "FAILED", "executionTimeoutMinutes": 720, "stateDetails": '
        '"Job failed. Last few exceptions: Caused by: java.lang.ClassNotFoundException: com.acme.Main"}}'
    )
    entries = json_evidence(document)
    assert entries == [
        "state: FAILED",
        "stateDetails: Job failed. Last few exceptions: Caused by: java.lang.ClassNotFoundException: com.acme.Main",
    ]
    assert diagnose_text("get_job_run.json", [document]).category is FailureCategory.CLASS_NOT_FOUND


def test_a_timeout_setting_in_saved_json_is_not_a_timeout() -> None:
    lines = [
        "{",
        '  "jobRun": {',
        '    "state": "SUCCESS",',
        '    "executionTimeoutMinutes": 120',
        "  }",
        "}",
    ]
    assert diagnose_text("describe_job_run.json", lines).category is not FailureCategory.TIMEOUT_OR_CANCELLED


def test_split_prefix_reads_time_level_and_logger() -> None:
    prefix = split_prefix("25/11/25 03:12:40 WARN TaskSetManager: Lost task 17.0 in stage 3.0")
    assert (prefix.level, prefix.logger, prefix.message) == (
        "WARN",
        "TaskSetManager",
        "Lost task 17.0 in stage 3.0",
    )
    assert split_prefix("KeyError: 'amount'").level is None


def test_path_attempt_reads_the_yarn_attempt_from_the_container_id() -> None:
    name = "containers/application_1732500000000_0007/container_e02_1732500000000_0007_02_000001/stderr.gz"
    assert path_attempt(name) == ("1732500000000_0007", 2)
    assert path_attempt("steps/s-1/stderr.gz") == ("", 0)
