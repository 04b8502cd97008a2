"""Credentials never reach a diagnosis: the patterns, Airflow's masker, the entry point and the CLI output.

The task-log/XCom outputs are checked in tests/unit/operators/test_failure_diagnosis.py and the plugin's
page/API in tests/unit/ui/test_diagnosis_redaction.py; ``benchmarks/redaction_matrix.py`` prints the
whole kind x output matrix.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from emr_dags.cli import main
from emr_dags.diagnostics.api import diagnose_text
from emr_dags.diagnostics.model import Diagnosis, Evidence
from emr_dags.diagnostics.redact import redact, redact_value
from emr_dags_devkit.bench.leaky_logs import (
    ACCESS_KEY_ID,
    GITHUB_TOKEN,
    LEAKY_LOGS,
    SECRET_ACCESS_KEY,
    LeakyLog,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from emr_dags.diagnostics.categories import FailureCategory

TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEsessiontoken0123456789"


@pytest.mark.parametrize(
    ("line", "secret", "kept"),
    [
        (f"InvalidAccessKeyId {ACCESS_KEY_ID}", ACCESS_KEY_ID, "InvalidAccessKeyId AKIA***"),
        ("temporary ASIAY34FZKBOKMUTVV7A expired", "ASIAY34FZKBOKMUTVV7A", "temporary ASIA*** expired"),
        (f"aws_secret_access_key={SECRET_ACCESS_KEY}", SECRET_ACCESS_KEY, "aws_secret_access_key=***"),
        (f"{ACCESS_KEY_ID}:{SECRET_ACCESS_KEY}", SECRET_ACCESS_KEY, "AKIA***:***"),
        (f"keys {ACCESS_KEY_ID},{SECRET_ACCESS_KEY},x", SECRET_ACCESS_KEY, "keys AKIA***,***,x"),
        (f'"SecretAccessKey": "{SECRET_ACCESS_KEY}"', SECRET_ACCESS_KEY, '"SecretAccessKey": "***"'),
        (f"secret_key = {SECRET_ACCESS_KEY}", SECRET_ACCESS_KEY, "secret_key = ***"),
        (f"fs.s3a.secret.key={SECRET_ACCESS_KEY}", SECRET_ACCESS_KEY, "fs.s3a.secret.key=***"),
        (f"aws_session_token={TOKEN}", TOKEN, "aws_session_token=***"),
        (f"?X-Amz-Security-Token={TOKEN}&x-id=GetObject", TOKEN, "?X-Amz-Security-Token=***&x-id=GetObject"),
        (f'{{"SessionToken": "{TOKEN}"}}', TOKEN, '{"SessionToken": "***"}'),
        (f"token {TOKEN} expired", TOKEN, "token IQoJb3JpZ2lu*** expired"),  # STS token by its shape
        ("jdbc:postgresql://etl:Pg-S3cret@db:5432/x", "Pg-S3cret", "jdbc:postgresql://etl:***@db:5432/x"),
        ("jdbc:mysql://db/x?user=etl&password=Pg-S3cret&ssl=1", "Pg-S3cret", "?user=etl&password=***&ssl=1"),
        (
            "jdbc:sqlserver://h;user=sa;password=Pg-S3cret;",
            "Pg-S3cret",
            "jdbc:sqlserver://h;user=sa;password=***;",
        ),
        (
            "jdbc:oracle:thin:scott/Pg-S3cret@db:1521:orcl",
            "Pg-S3cret",
            "jdbc:oracle:thin:scott/***@db:1521:orcl",
        ),
        ("https://bob:p@ss:w0rd@host.example/x", "p@ss:w0rd", "https://bob:***@host.example/x"),
        ("Authorization: Bearer abc.def-123_XYZ", "abc.def-123_XYZ", "Authorization: Bearer ***"),
        ("{'Authorization': 'Basic dXNlcjpwYXNz'}", "dXNlcjpwYXNz", "{'Authorization': 'Basic ***'}"),
        ("retry with bearer tok3n-abcdefgh", "tok3n-abcdefgh", "retry with bearer ***"),
        ("password=hunter2x user=bob", "hunter2x", "password=*** user=bob"),
        ("passwd: hunter2x", "hunter2x", "passwd: ***"),
        ("{'pwd': 'hunter2x', 'user': 'bob'}", "hunter2x", "{'pwd': '***', 'user': 'bob'}"),
        ('{"client_secret":"hunter2x"}', "hunter2x", '{"client_secret":"***"}'),
        ("api_token=hunter2x&page=2", "hunter2x", "api_token=***&page=2"),
        ("sqoop import --password hunter2x --table t", "hunter2x", "sqoop import --password *** --table t"),
        (f"clone with {GITHUB_TOKEN}", GITHUB_TOKEN, "clone with ghp_***"),
        ("gho_ABCDEFGHIJKLMNOPQRSTuvwxyz0123456789", "ABCDEFGHIJKLMNOPQRST", "gho_***"),
        ("github_pat_11ABCDEFG0_abcdefghijklmnopqrstuv", "abcdefghijklmnopqrstuv", "github_pat_***"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAexample\n-----END RSA PRIVATE KEY-----",
            "MIIEowIBAAKCAQEAexample",
            "-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----",
        ),
        ("-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXkt", "b3BlbnNzaC1rZXkt", "PRIVATE KEY-----***"),
    ],
)
def test_a_credential_is_masked_and_its_key_name_kept(line: str, secret: str, kept: str) -> None:
    redacted = redact(line)
    assert secret not in redacted
    assert kept in redacted


@pytest.mark.parametrize(
    "line",
    [
        "Access Denied (Service: Amazon S3; Status Code: 403; Request ID: 7Q3ZJ9K2M1XW8D4B)",
        "Caused by: org.apache.hadoop.security.AccessControlException: Permission denied: user=hadoop",
        "org.apache.spark.SparkException: Job aborted due to stage failure: Task 3 in stage 2.0 failed",
        "INFO org.apache.hadoop.security.token.Token: Cannot find class for token kind kms-dt",
        "The security token included in the request is expired (Service: AWSSecurityTokenService)",
        "s3://acme-logs/elasticmapreduce/j-1ABCDEFGHIJK/steps/s-2ABCDEFGHIJK/stderr.gz",
        "--conf spark.executor.memory=4g --conf spark.sql.shuffle.partitions=200",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
        "Access denied for user 'etl'@'10.0.0.5' (using password: YES)",
        "java.lang.ClassNotFoundException: com.acme.jobs.TokenizerJob",
        "ModuleNotFoundError: No module named 'pandas'",
        "Container killed by YARN for exceeding memory limits. 10.4 GB of 10 GB physical memory used",
        "hdfs://ip-10-0-0-1.ec2.internal:8020/user/hadoop/input",
        "Missing bearer authentication header",
    ],
)
def test_ordinary_log_text_is_left_alone(line: str) -> None:
    assert redact(line) == line


def test_a_secret_cut_by_clip_is_still_hidden() -> None:
    # The summary quotes the decisive line clipped to 240 characters; the cut may fall inside a secret.
    for secret in (ACCESS_KEY_ID, GITHUB_TOKEN, "hunter2-abcdefgh", "Pg-S3cret-2024"):
        for prefix in ("", "password=", "postgresql://etl:"):
            for cut in (6, 10, 15):
                clipped = f"{prefix}{secret[:cut]}… [stderr:4]"
                if not prefix and not secret.startswith(("AKIA", "ghp_")):
                    continue  # a bare prefix of an unknown word cannot be recognised
                assert secret[:cut] not in redact(clipped), clipped


def test_redact_value_walks_a_stored_diagnosis() -> None:
    value = {"summary": f"x {ACCESS_KEY_ID}", "evidence": [f"f:1: {GITHUB_TOKEN}"], "line": 3, "rule": None}
    assert redact_value(value) == {
        "summary": "x AKIA***",
        "evidence": ["f:1: ghp_***"],
        "line": 3,
        "rule": None,
    }


def test_every_text_field_of_a_diagnosis_is_redacted_when_it_is_built(category: FailureCategory) -> None:
    evidence = Evidence(file="s3://b/k", line=2, text=f"ERROR password=hunter2x {ACCESS_KEY_ID}")
    diagnosis = Diagnosis(
        category=category,
        summary=f"boom {ACCESS_KEY_ID}",
        decisive_line=evidence,
        evidence=(evidence,),
        source="jdbc:postgresql://etl:hunter2x@db/x",
        searched=("https://bob:hunter2x@host/log (3 lines)",),
        missing=("s3://b/k: could not be read (ClientError: token=hunter2x)",),
    )
    everything = diagnosis.format_block() + json.dumps(diagnosis.to_dict())
    assert "hunter2x" not in everything
    assert ACCESS_KEY_ID not in everything
    assert evidence.text == "ERROR password=*** AKIA***"


@pytest.fixture
def category() -> FailureCategory:
    from emr_dags.diagnostics.categories import FailureCategory

    return FailureCategory.PYTHON_EXCEPTION


# --- Airflow's secrets masker -------------------------------------------------------------------


@pytest.fixture
def airflow_masker() -> Iterator[object]:
    """The task SDK's masker, as a task sees it; its registered secrets are restored afterwards."""
    from airflow.sdk._shared.secrets_masker import _secrets_masker

    masker = _secrets_masker()
    patterns, replacer = set(masker.patterns), masker.replacer
    yield masker
    masker.patterns, masker.replacer = patterns, replacer


def test_a_secret_airflow_masks_is_masked_in_the_diagnosis(airflow_masker: object) -> None:
    from airflow.sdk.log import mask_secret

    conn_password = "zq-conn-Pa55word-77"  # no pattern knows this one: only Airflow does
    mask_secret(conn_password)
    lines = ["Traceback (most recent call last):", f"RuntimeError: login with {conn_password} refused"]
    diagnosis = diagnose_text("stderr", lines, known_failed=True)
    out = diagnosis.format_block() + json.dumps(diagnosis.to_dict())
    assert conn_password not in out
    assert "login with *** refused" in out


def test_a_secret_airflow_masks_is_masked_when_clip_cut_it(airflow_masker: object) -> None:
    from airflow.sdk.log import mask_secret

    conn_password = "zq-conn-Pa55word-77"
    mask_secret(conn_password)
    assert redact(f"login with {conn_password[:11]}… [stderr:2]") == "login with ***… [stderr:2]"


def test_the_core_masker_of_the_api_server_is_used_too() -> None:
    from airflow._shared.secrets_masker import _secrets_masker

    masker = _secrets_masker()
    patterns, replacer = set(masker.patterns), masker.replacer
    try:
        masker.add_mask("core-only-Secret-99")
        assert redact("x core-only-Secret-99 y") == "x *** y"
    finally:
        masker.patterns, masker.replacer = patterns, replacer


def test_a_broken_airflow_masker_leaves_the_patterns_working(monkeypatch: pytest.MonkeyPatch) -> None:
    import airflow.sdk._shared.secrets_masker as sdk_masker

    def broken() -> None:
        raise AttributeError("no masker here")

    monkeypatch.setattr(sdk_masker, "_secrets_masker", broken)
    assert redact(f"x password=hunter2x {ACCESS_KEY_ID}") == "x password=*** AKIA***"


@pytest.mark.parametrize("log", LEAKY_LOGS, ids=lambda log: log.kind)
def test_redacting_twice_changes_nothing(log: LeakyLog) -> None:
    # every output redacts again what the Diagnosis already redacted
    for line in log.lines:
        once = redact(line)
        assert redact(once) == once


# --- the seven kinds in `emr-dags diagnose` (text and --json) -------------------------------------


@pytest.mark.parametrize("output", ["cli_text", "cli_json"])
@pytest.mark.parametrize("log", LEAKY_LOGS, ids=lambda log: log.kind)
def test_no_credential_reaches_emr_dags_diagnose(
    log: LeakyLog, output: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "stderr"
    path.write_text("\n".join(log.lines) + "\n")
    assert main(["diagnose", str(path), *(["--json"] if output == "cli_json" else [])]) == 0
    out = capsys.readouterr().out
    if output == "cli_json":
        json.loads(out)
    for secret in log.secrets:
        assert secret not in out
    assert "***" in out


@pytest.mark.parametrize("log", LEAKY_LOGS, ids=lambda log: log.kind)
def test_each_leaky_log_quotes_its_secret_line_so_the_matrix_proves_something(log: LeakyLog) -> None:
    from unittest import mock

    from emr_dags.diagnostics import model

    with mock.patch.object(model, "redact", lambda text: text):
        raw = diagnose_text("stderr", log.lines, known_failed=True)
    # The summary is shortened around the decisive clause and may leave the secret out; the decisive
    # line itself (XCom, JSON, the page) always quotes it whole.
    assert raw.decisive_line is not None
    assert any(secret in raw.decisive_line.text for secret in log.secrets)
