"""Failed-step logs that print a credential, one per kind, for the redaction tests and matrix.

Each log fails in a way a rule recognises, with the credential on the decisive line, so an
unredacted diagnosis would quote it in its summary, decisive line and evidence. Every credential
is fake (AWS's documentation examples and made-up values); ``secrets`` are the exact texts that
must appear in no output of a diagnosis. See ``benchmarks/redaction_matrix.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLEaDFakeSessionToken0123456789abcdefQ2xhc3NpYw"
JDBC_PASSWORD = "Pg-S3cret-2024"
BEARER_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJldGwtYm90In0.c2lnbmF0dXJlMTIzNDU2"
PASSWORD = "Hunter2-Example!"
GITHUB_TOKEN = "ghp_FAKE0123456789abcdefFAKE0123456789ab"

_START = (
    "24/03/01 10:00:00 INFO SparkContext: Running Spark version 3.5.1",
    "24/03/01 10:00:01 INFO SparkContext: Submitted application: nightly_etl",
)


@dataclass(frozen=True, kw_only=True, slots=True)
class LeakyLog:
    kind: str
    lines: tuple[str, ...]
    secrets: tuple[str, ...]


def _python(*error: str) -> tuple[str, ...]:
    return (
        *_START,
        "Traceback (most recent call last):",
        '  File "/mnt/jobs/etl.py", line 42, in <module>',
        *error,
    )


LEAKY_LOGS: tuple[LeakyLog, ...] = (
    LeakyLog(
        kind="aws_access_key_id",
        lines=_python(
            "botocore.exceptions.ClientError: An error occurred (InvalidAccessKeyId) when calling the GetObject "
            f"operation: The AWS Access Key Id you provided does not exist in our records. AWSAccessKeyId={ACCESS_KEY_ID}"
        ),
        secrets=(ACCESS_KEY_ID,),
    ),
    LeakyLog(
        kind="aws_secret_access_key",
        lines=(
            *_START,
            'Exception in thread "main" java.lang.IllegalArgumentException: bad S3A credentials '
            f"{ACCESS_KEY_ID} {SECRET_ACCESS_KEY} (from spark.hadoop.fs.s3a.secret.key={SECRET_ACCESS_KEY})",
        ),
        secrets=(ACCESS_KEY_ID, SECRET_ACCESS_KEY),
    ),
    LeakyLog(
        kind="aws_session_token",
        lines=_python(
            "botocore.exceptions.ClientError: An error occurred (ExpiredToken) when calling the GetObject operation: "
            "The provided token has expired. url=https://acme-data.s3.amazonaws.com/in/part-0.parquet"
            f"?X-Amz-Expires=3600&X-Amz-Security-Token={SESSION_TOKEN}&x-id=GetObject "
            f'credentials={{"SessionToken": "{SESSION_TOKEN}"}} aws_session_token={SESSION_TOKEN}'
        ),
        secrets=(SESSION_TOKEN,),
    ),
    LeakyLog(
        kind="jdbc_password",
        lines=(
            *_START,
            'Exception in thread "main" org.postgresql.util.PSQLException: FATAL: password authentication failed '
            f"for user etl_user at jdbc:postgresql://etl_user:{JDBC_PASSWORD}@db.internal:5432/sales",
            f"Caused by: java.sql.SQLException: jdbc:mysql://db.internal:3306/sales?user=etl&password={JDBC_PASSWORD}",
        ),
        secrets=(JDBC_PASSWORD,),
    ),
    LeakyLog(
        kind="bearer_token",
        lines=_python(
            "requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: https://api.internal/v1/upload "
            f"(headers: {{'Authorization': 'Bearer {BEARER_TOKEN}'}}; retry with Bearer {BEARER_TOKEN})"
        ),
        secrets=(BEARER_TOKEN,),
    ),
    LeakyLog(
        kind="password_kv",
        lines=_python(
            "pymysql.err.OperationalError: (1045, \"Access denied for user 'etl'@'10.0.0.5' (using password: YES)\") "
            f"connect(host=db.internal, user=etl, password={PASSWORD})"
        ),
        secrets=(PASSWORD,),
    ),
    LeakyLog(
        kind="github_token",
        lines=_python(
            "subprocess.CalledProcessError: Command '['git', 'clone', "
            f"'https://x-access-token:{GITHUB_TOKEN}@github.com/acme/jobs.git']' returned non-zero exit status 128. "
            f"GITHUB_TOKEN {GITHUB_TOKEN} was rejected"
        ),
        secrets=(GITHUB_TOKEN,),
    ),
)


def unredacted_diagnosis(
    log: LeakyLog, *, source: str = "s3://acme-emr-logs/j-1/steps/s-1/stderr.gz"
) -> dict[str, Any]:
    """The ``diagnosis`` XCom an emr-dags without redaction stored for ``log``: the plugin must redact it."""
    line_no, line = next((i, t) for i, t in enumerate(log.lines, 1) if any(s in t for s in log.secrets))
    return {
        "category": "python_exception",
        "found_failure": True,
        "summary": f"Python exception: {line} [stderr.gz:{line_no}]",
        "decisive_line": {"file": source, "line": line_no, "text": line},
        "evidence": [f"{source}:{line_no}: {line}"],
        "source": source,
        "searched": [f"{source} ({len(log.lines)} lines)"],
        "missing": [],
        "rule": "python-exception",
    }
