"""Finding and opening the logs that matter, locally, in S3 and in CloudWatch Logs.

Nothing here creates an AWS client: callers pass boto3 clients in. Objects are streamed
(``get_object`` bodies, CloudWatch pages), never read whole.

EMR uploads logs minutes after a step or job ends. :class:`Waiter` polls a listing until what is
needed is there or a budget is spent; its clock and sleep are injectable so tests take no time.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)
T = TypeVar("T")

LOG_FILE_NAMES = ("stderr", "stdout", "controller", "syslog")
_CONTAINER = re.compile(r"container_(?:e\d+_)?\d+_\d+_(\d+)_(\d+)")
_APPLICATION_ID = re.compile(r"(?<![\w])application_(\d{10,})_(\d{4,})(?!\d)")
_CONTAINER_OF_APP = re.compile(r"(?<![\w])container_(?:e\d+_)?(\d{10,})_(\d{4,})_\d+_\d+")


@dataclass(frozen=True, slots=True)
class LogSource:
    """One log to scan: a display name (S3 URI, path or CloudWatch stream) and how to read it.

    Exactly one of ``open_raw`` (bytes, maybe gzipped) and ``iter_lines`` (text lines) is set.
    """

    name: str
    open_raw: Callable[[], IO[bytes]] | None = None
    iter_lines: Callable[[], Iterable[str]] | None = None


class LogsUnreachable(Exception):
    """A log location that cannot be listed at all (no such bucket, access denied): waiting will not help."""


@dataclass(slots=True)
class Waiter:
    """A bounded wait for late logs: polls every ``poll_seconds`` for at most ``wait_seconds``."""

    wait_seconds: float = 300.0
    poll_seconds: float = 15.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    deadline: float = field(init=False, default=0.0)
    waited: float = field(init=False, default=0.0)
    problems: list[str] = field(init=False, default_factory=list)  # locations that could not be listed

    def __post_init__(self) -> None:
        if self.wait_seconds < 0 or self.poll_seconds <= 0:
            raise ValueError(
                f"Waiter: wait_seconds={self.wait_seconds!r} must be >= 0 and poll_seconds="
                f"{self.poll_seconds!r} > 0; pass e.g. wait_seconds=300, poll_seconds=15"
            )
        self.deadline = self.clock() + self.wait_seconds

    def list_until(
        self, probe: Callable[[], list[str]], ready: Callable[[list[str]], bool], what: str
    ) -> list[str]:
        """``until`` for a listing; a location that cannot be listed ends the wait at once, empty."""
        try:
            return self.until(probe, ready, what)
        except LogsUnreachable as exc:
            log.warning("Not waiting for %s: %s", what, exc)
            self.problems.append(str(exc))
            return []

    def until(self, probe: Callable[[], T], ready: Callable[[T], bool], what: str) -> T:
        """Call ``probe`` until ``ready(result)`` or the budget is spent; return the last result."""
        start = self.clock()
        announced = False
        while True:
            result = probe()
            now = self.clock()
            if ready(result) or now >= self.deadline:
                self.waited += now - start
                return result
            if not announced:
                log.info("Waiting up to %.0fs for %s to be uploaded", self.deadline - now, what)
                announced = True
            self.sleep(min(self.poll_seconds, self.deadline - now))


# --- YARN application ids -------------------------------------------------------------------------


def application_ids(lines: Iterable[str]) -> list[str]:
    """The YARN application ids ``lines`` name, in order of first mention.

    A step's stderr (the spark-submit / hive client) says ``Submitted application application_<ts>_<n>``
    and its controller may quote the same id; a container id (``container_e05_<ts>_<n>_01_000001``)
    names its application too. EMR keeps that application's container logs under
    ``<LogUri>/<cluster-id>/containers/application_<ts>_<n>/``, so these ids say where to look.
    """
    found: dict[str, None] = {}
    for line in lines:
        if "application_" not in line and "container_" not in line:
            continue
        hits = [(m.start(), m.group(1), m.group(2)) for m in _APPLICATION_ID.finditer(line)]
        hits += [(m.start(), m.group(1), m.group(2)) for m in _CONTAINER_OF_APP.finditer(line)]
        for _, stamp, number in sorted(hits):
            found.setdefault(f"application_{stamp}_{number}", None)
    return list(found)


# --- ordering -----------------------------------------------------------------------------------


def rank(name: str) -> tuple[int, str]:
    """Sort key putting the logs most likely to hold the cause first.

    Driver logs (YARN container 000001, ``SPARK_DRIVER``, a ``-driver`` pod) and step stderr/stdout
    first, then the step controller, then executors, then syslog and the rest.
    """
    lowered = name.lower()
    base = lowered.rsplit("/", 1)[-1].removesuffix(".gz")
    stream = 0 if base.startswith("stderr") else 1 if base.startswith("stdout") else 2
    container = _CONTAINER.search(name)
    if container:
        group = 0 if int(container.group(2)) == 1 else 4
    elif "spark_driver" in lowered or "_driver/" in lowered or "driver/" in lowered:
        group = 0
    elif "executor" in lowered or "-exec-" in lowered:
        group = 4
    elif base.startswith("controller"):
        group = 2
    elif base.startswith("syslog"):
        group = 5
    elif "/steps/" in lowered or base.startswith(("stderr", "stdout")):
        group = 1
    else:
        group = 3
    return (group * 3 + stream, name)


def ordered(names: Iterable[str]) -> list[str]:
    return sorted(set(names), key=rank)


# --- local files ----------------------------------------------------------------------------------


def local_sources(paths: Sequence[str | Path]) -> tuple[list[LogSource], list[str]]:
    """Sources for files and folders (walked recursively); and the paths that do not exist."""
    files: list[str] = []
    missing: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = [str(p) for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")]
            if not found:
                missing.append(f"{path}: folder has no files")
            files += found
        elif path.is_file():
            files.append(str(path))
        else:
            missing.append(f"{path}: no such file or folder")
    return [LogSource(name=f, open_raw=_file_opener(f)) for f in ordered(files)], missing


def _file_opener(path: str) -> Callable[[], IO[bytes]]:
    return lambda: open(path, "rb")  # noqa: SIM115 - closed by the caller


# --- S3 -------------------------------------------------------------------------------------------


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` (or ``s3n://``/``s3a://``) -> ``("bucket", "a/b")``."""
    match = re.match(r"^s3[an]?://([^/]+)/?(.*)$", uri)
    if not match:
        raise ValueError(f"{uri!r} is not an S3 URI; expected like 's3://bucket/prefix/'")
    return match.group(1), match.group(2)


def join_prefix(uri: str, *parts: str) -> str:
    """Join an S3 log URI and path parts with single slashes, ending with a slash."""
    bucket, prefix = split_s3_uri(uri)
    segments = [p.strip("/") for p in (prefix, *parts) if p.strip("/")]
    return f"s3://{bucket}/" + "".join(f"{s}/" for s in segments)


def list_s3(s3: S3Client, uri_prefix: str, *, limit: int = 10_000) -> list[str]:
    """Every object URI under ``uri_prefix`` (at most ``limit``)."""
    bucket, prefix = split_s3_uri(uri_prefix)
    found: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    try:
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                found.append(f"s3://{bucket}/{obj['Key']}")
                if len(found) >= limit:
                    return found
    except Exception as exc:  # noqa: BLE001 - a listing failure is reported, never fatal
        code = _error_code(exc)
        if code in ("NoSuchBucket", "AccessDenied", "403", "404"):
            if found:
                log.warning("Listing %s stopped early: %s", uri_prefix, exc)
                return found
            denied = code in ("AccessDenied", "403")
            fix = (
                "grant s3:ListBucket on it to the role Airflow uses"
                if denied
                else "check the LogUri / log location"
            )
            raise LogsUnreachable(f"{uri_prefix}: cannot be listed ({code}); {fix}") from exc
        raise
    return found


def list_s3_folders(s3: S3Client, uri_prefix: str, *, limit: int = 1_000) -> list[str]:
    """The "folders" (common prefixes) right under ``uri_prefix``, as URIs ending with a slash."""
    bucket, prefix = split_s3_uri(uri_prefix)
    found: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        found += [f"s3://{bucket}/{p['Prefix']}" for p in page.get("CommonPrefixes", [])]
        if len(found) >= limit:
            break
    return found[:limit]


def _error_code(exc: Exception) -> str:
    response: Any = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def s3_source(s3: S3Client, uri: str) -> LogSource:
    bucket, key = split_s3_uri(uri)

    def open_raw() -> IO[bytes]:
        # botocore's StreamingBody reads like a binary file; its stub does not say IO[bytes]
        return cast("IO[bytes]", s3.get_object(Bucket=bucket, Key=key)["Body"])

    return LogSource(name=uri, open_raw=open_raw)


def is_log_file(uri: str) -> bool:
    base = uri.rsplit("/", 1)[-1].removesuffix(".gz")
    return base in LOG_FILE_NAMES


# --- CloudWatch Logs ------------------------------------------------------------------------------


def list_streams(logs: CloudWatchLogsClient, group: str, prefix: str, *, limit: int = 500) -> list[str]:
    """Names of the log streams in ``group`` starting with ``prefix``."""
    names: list[str] = []
    kwargs: dict[str, Any] = {"logGroupName": group, "logStreamNamePrefix": prefix}
    try:
        while len(names) < limit:
            page = logs.describe_log_streams(**kwargs)
            names += [s["logStreamName"] for s in page.get("logStreams", [])]
            token = page.get("nextToken")
            if not token:
                break
            kwargs["nextToken"] = token
    except Exception as exc:  # noqa: BLE001
        if _error_code(exc) == "ResourceNotFoundException":
            return names
        raise
    return names


def cloudwatch_source(logs: CloudWatchLogsClient, group: str, stream: str) -> LogSource:
    def iter_lines() -> Iterator[str]:
        kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        previous = None
        while True:
            page = logs.get_log_events(**kwargs)
            for event in page.get("events", []):
                yield from event.get("message", "").splitlines() or [""]
            token = page.get("nextForwardToken")
            if not token or token == previous or not page.get("events"):
                return
            previous = token
            kwargs["nextToken"] = token

    return LogSource(name=f"cloudwatch:{group}:{stream}", iter_lines=iter_lines)
