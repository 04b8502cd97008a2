"""The diagnose_* entry points; see the package docstring for the contract."""

from __future__ import annotations

import logging
import re
import time
from contextlib import closing
from typing import TYPE_CHECKING, Any

from emr_dags.aws.states import FAILED_OR_CANCELLING, STEP_CANCELLED
from emr_dags.diagnostics.collect import (
    LogSource,
    LogsUnreachable,
    Waiter,
    application_ids,
    cloudwatch_source,
    is_log_file,
    join_prefix,
    list_s3,
    list_s3_folders,
    list_streams,
    local_sources,
    ordered,
    rank,
    s3_source,
)
from emr_dags.diagnostics.explain import explain
from emr_dags.diagnostics.scan import SourceScan, open_maybe_gzip, scan_lines, scan_stream

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from pathlib import Path

    from mypy_boto3_emr import EMRClient
    from mypy_boto3_emr_containers import EMRContainersClient
    from mypy_boto3_emr_serverless import EMRServerlessClient
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_s3 import S3Client

    from emr_dags.diagnostics.model import Diagnosis

log = logging.getLogger(__name__)

DEFAULT_WAIT_SECONDS = 300.0
DEFAULT_POLL_SECONDS = 15.0
MAX_EXECUTOR_LOGS = 6  # executor containers/pods whose stderr+stdout are read, besides the driver
DEFAULT_SERVERLESS_LOG_GROUP = "/aws/emr-serverless"
_DRIVER_CONTAINER = re.compile(r"container_(?:e\d+_)?\d+_\d+_\d+_0*1/")


def scan_sources(sources: Sequence[LogSource], *, first_index: int = 0) -> tuple[list[SourceScan], list[str]]:
    """Scan each source in turn; unreadable ones are reported, never raised."""
    scans: list[SourceScan] = []
    problems: list[str] = []
    for offset, source in enumerate(sources):
        index = first_index + offset
        try:
            if source.open_raw is not None:
                with closing(source.open_raw()) as raw:
                    scans.append(scan_stream(open_maybe_gzip(raw), name=source.name, index=index))
            elif source.iter_lines is not None:
                scans.append(scan_lines(source.iter_lines(), name=source.name, index=index))
        except Exception as exc:  # noqa: BLE001 - a broken log must not hide the others
            log.warning("Could not read %s: %s", source.name, exc)
            problems.append(f"{source.name}: could not be read ({type(exc).__name__}: {exc})")
    return scans, problems


def _searched(scans: Sequence[SourceScan]) -> list[str]:
    return [
        f"{s.name} ({s.lines} lines{', TRUNCATED: ' + s.truncated if s.truncated else ''})" for s in scans
    ]


def diagnose_text(name: str, lines: Iterable[str], *, known_failed: bool = False) -> Diagnosis:
    """Diagnose in-memory log lines; ``name`` is how evidence refers to them."""
    scan = scan_lines(lines, name=name)
    return explain([scan], known_failed=known_failed, searched=_searched([scan]))


def diagnose_paths(paths: Sequence[str | Path], *, known_failed: bool = False) -> Diagnosis:
    """Diagnose local log files (plain or ``.gz``) and folders (e.g. a downloaded step log folder)."""
    sources, missing = local_sources(paths)
    scans, problems = scan_sources(sources)
    if not sources:
        missing.append("no log files to read")
    return explain(
        scans,
        known_failed=known_failed,
        searched=_searched(scans),
        missing=[*missing, *problems],
        incomplete=problems,
    )


def _waiter(
    wait_seconds: float,
    poll_seconds: float,
    clock: Callable[[], float] | None,
    sleep: Callable[[float], None] | None,
) -> Waiter:
    return Waiter(
        wait_seconds=wait_seconds,
        poll_seconds=poll_seconds,
        clock=clock or time.monotonic,
        sleep=sleep or time.sleep,
    )


class _Run:
    """What one diagnosis collects: in-memory facts, log sources, what was missing."""

    def __init__(self, title: str, waiter: Waiter) -> None:
        self.title = title
        self.waiter = waiter
        self.facts: list[str] = []
        self.sources: list[LogSource] = []
        self.missing: list[str] = []
        self.scans: list[SourceScan] = []
        self.problems: list[str] = []  # logs that could not be read at all

    def scan(self, sources: Sequence[LogSource]) -> list[SourceScan]:
        fresh = [s for s in sources if s.name not in {x.name for x in self.sources}]
        self.sources += fresh
        scans, problems = scan_sources(fresh, first_index=len(self.scans) + 1)
        self.scans += scans
        self.missing += problems
        self.problems += problems
        return scans

    def finish(self, known_failed: bool) -> Diagnosis:
        scans = list(self.scans)
        if self.facts:
            facts = scan_lines(self.facts, name=self.title, index=0)
            scans.insert(0, facts)
        missing = [*self.waiter.problems, *self.missing]
        return explain(
            scans,
            known_failed=known_failed,
            searched=_searched(scans),
            missing=missing,
            incomplete=self.problems,
        )


def diagnose_emr_step(
    emr_client: EMRClient,
    s3_client: S3Client,
    cluster_id: str,
    step_id: str,
    *,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    max_executor_logs: int = MAX_EXECUTOR_LOGS,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Diagnosis:
    """Diagnose a step of an EMR on EC2 cluster from its S3 logs and ``FailureDetails``."""
    waiter = _waiter(wait_seconds, poll_seconds, clock, sleep)
    run = _Run(f"DescribeStep {cluster_id}/{step_id}", waiter)
    cluster = emr_client.describe_cluster(ClusterId=cluster_id)["Cluster"]
    step = emr_client.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]
    state, details = _step_facts(run, cluster, step, step_id)

    log_uri = cluster.get("LogUri")
    if not log_uri:
        run.missing.append(f"cluster {cluster_id} has no LogUri: only DescribeStep FailureDetails were used")
        return run.finish(state in FAILED_OR_CANCELLING)

    step_prefix = join_prefix(log_uri, cluster_id, "steps", step_id)
    listing = waiter.list_until(
        lambda: [u for u in list_s3(s3_client, step_prefix) if is_log_file(u)],
        lambda found: any(u.rsplit("/", 1)[-1].startswith("stderr") for u in found),
        f"step logs under {step_prefix}",
    )
    names = {u.rsplit("/", 1)[-1].removesuffix(".gz") for u in listing}
    for expected in ("stderr", "stdout", "controller"):
        if expected not in names and not waiter.problems:  # an unlistable location is said once
            run.missing.append(f"{step_prefix}{expected}.gz: not uploaded after {waiter.waited:.0f}s")
    log_file = details.get("LogFile")
    step_logs = ordered(listing)
    if log_file and log_file.startswith("s3") and log_file not in step_logs:
        step_logs.insert(0, log_file.replace("s3n://", "s3://").replace("s3a://", "s3://"))
    step_scans = run.scan([s3_source(s3_client, u) for u in step_logs])

    # The step's own stderr (and controller) name the YARN application(s) it ran: EMR keeps their container
    # logs under containers/<that id>/, so that folder is listed directly, never searched for.
    app_ids = application_ids(a for scan in step_scans for a in (*scan.application_ids, *scan.container_ids))
    if not app_ids:
        run.missing.append("no YARN application id in the step logs: container logs not searched")
    else:
        containers = join_prefix(log_uri, cluster_id, "containers")
        _collect_containers(run, s3_client, waiter, containers, app_ids[-2:], max_executor_logs)
    return run.finish(state in FAILED_OR_CANCELLING)


def _step_facts(run: _Run, cluster: Any, step: Any, step_id: str) -> tuple[str, Any]:
    """Add what DescribeStep/DescribeCluster say to ``run.facts``; return the state and FailureDetails."""
    status: Any = step.get("Status", {})
    state = status.get("State", "UNKNOWN")
    details = status.get("FailureDetails") or {}
    run.facts.append(f"Step {step_id} state: {state}")
    reason: Any = cluster.get("Status", {}).get("StateChangeReason", {})
    cluster_failed = reason.get("Code") not in (None, "", "USER_REQUEST", "ALL_STEPS_COMPLETED")
    if cluster_failed:
        # steps of a cluster that failed are cancelled as a consequence: the cluster's reason is the cause
        run.facts.append(f"Cluster state change reason: {reason.get('Code')}: {reason.get('Message', '')}")
    elif state in STEP_CANCELLED:
        run.facts.append(
            f"Step {step_id} was cancelled: {status.get('StateChangeReason', {}).get('Message', '')}"
        )
    if details.get("Message"):
        run.facts += str(details["Message"]).splitlines()
    if details.get("Reason"):
        run.facts.append(f"FailureDetails.Reason: {details['Reason']}")
    return state, details


def _collect_containers(
    run: _Run, s3: S3Client, waiter: Waiter, containers: str, app_ids: Sequence[str], max_executors: int
) -> None:
    """Read the driver and some executors of each application in ``app_ids`` (the last one failed).

    One wait covers them all: it ends when the last application's driver stderr is there (YARN
    aggregates an application's logs when it ends, so the earlier ones are there by then) or when
    every application's is.
    """
    prefixes = {app: join_prefix(containers, app) for app in app_ids}

    def probe() -> dict[str, list[str]]:
        return {app: [u for u in list_s3(s3, prefix) if is_log_file(u)] for app, prefix in prefixes.items()}

    def has_driver(found: list[str]) -> bool:
        return any(_DRIVER_CONTAINER.search(u) and "/stderr" in u for u in found)

    try:
        listings = waiter.until(
            probe,
            lambda found: has_driver(found[app_ids[-1]]) or all(has_driver(f) for f in found.values()),
            f"YARN container logs under {', '.join(prefixes.values())}",
        )
    except LogsUnreachable as exc:
        log.warning("Not waiting for container logs: %s", exc)
        waiter.problems.append(str(exc))
        return
    for app, listing in listings.items():
        prefix = prefixes[app]
        if not listing:
            others = [a for a in _applications_under(s3, containers) if a not in prefixes]
            elsewhere = f"; {containers} has logs of {', '.join(others[-5:])} only" if others else ""
            run.missing.append(f"{prefix}: no container logs after {waiter.waited:.0f}s{elsewhere}")
            continue
        drivers = [u for u in listing if _DRIVER_CONTAINER.search(u) and re.search(r"/std(?:err|out)", u)]
        if not drivers:
            run.missing.append(f"{prefix}: no driver (container 000001) stderr/stdout")
        driver_scans = run.scan([s3_source(s3, u) for u in ordered(drivers)])
        run.scan(_executors(s3, listing, driver_scans, max_executors))


def _applications_under(s3: S3Client, containers: str) -> list[str]:
    """The application folders under ``containers`` (to say where logs are when not where named)."""
    try:
        return [p.rstrip("/").rsplit("/", 1)[-1] for p in list_s3_folders(s3, containers)]
    except Exception as exc:  # noqa: BLE001 - only decorates a message
        log.debug("Could not list %s: %s", containers, exc)
        return []


def _executors(
    s3: S3Client, listing: Sequence[str], driver_scans: Sequence[SourceScan], max_executors: int
) -> list[LogSource]:
    """Executor logs: those the driver names in an error line first, then the others, up to a cap."""
    named = [c for s in driver_scans for c in s.container_ids]
    by_container: dict[str, list[str]] = {}
    for uri in listing:
        match = re.search(r"(container_[\w]+)/(std(?:err|out))", uri)
        if match and not _DRIVER_CONTAINER.search(uri):
            by_container.setdefault(match.group(1), []).append(uri)
    chosen = [c for c in dict.fromkeys(named) if c in by_container]
    chosen += [c for c in sorted(by_container) if c not in chosen]
    return [s3_source(s3, u) for c in chosen[:max_executors] for u in ordered(by_container[c])]


def _s3_job_logs(run: _Run, s3: S3Client, waiter: Waiter, prefix: str, max_executors: int, what: str) -> None:
    listing = waiter.list_until(
        lambda: [u for u in list_s3(s3, prefix) if is_log_file(u)],
        lambda found: any(rank(u)[0] < 3 for u in found),  # a driver's stderr/stdout
        f"{what} logs under {prefix}",
    )
    if not listing:
        run.missing.append(f"{prefix}: no logs after {waiter.waited:.0f}s")
        return
    drivers = [u for u in listing if rank(u)[0] < 3]
    if not drivers:
        run.missing.append(f"{prefix}: no driver stderr/stdout")
    others = [u for u in ordered(listing) if u not in drivers]
    executor_dirs = list(dict.fromkeys(u.rsplit("/", 1)[0] for u in others))[:max_executors]
    run.scan([s3_source(s3, u) for u in ordered(drivers)])
    run.scan([s3_source(s3, u) for u in others if u.rsplit("/", 1)[0] in executor_dirs])


def _cloudwatch_logs(
    run: _Run, logs: CloudWatchLogsClient, waiter: Waiter, group: str, prefix: str, max_executors: int
) -> None:
    streams = waiter.list_until(
        lambda: [s for s in list_streams(logs, group, prefix) if is_log_file(s)],
        lambda found: any(rank(s)[0] < 3 for s in found),
        f"CloudWatch streams {group}:{prefix}*",
    )
    if not streams:
        run.missing.append(f"cloudwatch:{group}:{prefix}*: no log streams after {waiter.waited:.0f}s")
        return
    drivers = [s for s in ordered(streams) if rank(s)[0] < 3]
    others = [s for s in ordered(streams) if s not in drivers]
    executor_dirs = list(dict.fromkeys(s.rsplit("/", 1)[0] for s in others))[:max_executors]
    run.scan([cloudwatch_source(logs, group, s) for s in drivers])
    run.scan([cloudwatch_source(logs, group, s) for s in others if s.rsplit("/", 1)[0] in executor_dirs])


def diagnose_serverless_job(
    serverless_client: EMRServerlessClient,
    s3_client: S3Client | None,
    logs_client: CloudWatchLogsClient | None,
    application_id: str,
    job_run_id: str,
    *,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    max_executor_logs: int = MAX_EXECUTOR_LOGS,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Diagnosis:
    """Diagnose an EMR Serverless job run from its S3 logs and/or CloudWatch log streams."""
    waiter = _waiter(wait_seconds, poll_seconds, clock, sleep)
    run = _Run(f"GetJobRun {application_id}/{job_run_id}", waiter)
    job: Any = serverless_client.get_job_run(applicationId=application_id, jobRunId=job_run_id)["jobRun"]
    state = job.get("state", "UNKNOWN")
    run.facts.append(f"Job run {job_run_id} state: {state}")
    if job.get("stateDetails"):
        run.facts += str(job["stateDetails"]).splitlines()
    if state == "CANCELLED":
        run.facts.append(f"Job run {job_run_id} was cancelled")
    monitoring = (job.get("configurationOverrides") or {}).get("monitoringConfiguration") or {}
    log_uri = (monitoring.get("s3MonitoringConfiguration") or {}).get("logUri")
    cloudwatch = monitoring.get("cloudWatchLoggingConfiguration") or {}
    job_path = f"applications/{application_id}/jobs/{job_run_id}"
    if log_uri and s3_client is not None:
        _s3_job_logs(run, s3_client, waiter, join_prefix(log_uri, job_path), max_executor_logs, "job run")
    if cloudwatch.get("enabled") and logs_client is not None:
        group = cloudwatch.get("logGroupName") or DEFAULT_SERVERLESS_LOG_GROUP
        stream_prefix = "/".join(
            p.strip("/") for p in (cloudwatch.get("logStreamNamePrefix") or "", job_path) if p
        )
        _cloudwatch_logs(run, logs_client, waiter, group, stream_prefix + "/", max_executor_logs)
    if not log_uri and not cloudwatch.get("enabled"):
        run.missing.append(
            "job run has neither s3MonitoringConfiguration.logUri nor CloudWatch logging: its logs are only in "
            "EMR Serverless managed storage (open them from the console or get_dashboard_for_job_run)"
        )
    return run.finish(state in FAILED_OR_CANCELLING)


def diagnose_eks_job(
    containers_client: EMRContainersClient,
    s3_client: S3Client | None,
    logs_client: CloudWatchLogsClient | None,
    virtual_cluster_id: str,
    job_id: str,
    *,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    max_executor_logs: int = MAX_EXECUTOR_LOGS,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Diagnosis:
    """Diagnose an EMR on EKS job run from its S3 logs and/or CloudWatch log streams."""
    waiter = _waiter(wait_seconds, poll_seconds, clock, sleep)
    run = _Run(f"DescribeJobRun {virtual_cluster_id}/{job_id}", waiter)
    job: Any = containers_client.describe_job_run(id=job_id, virtualClusterId=virtual_cluster_id)["jobRun"]
    state = job.get("state", "UNKNOWN")
    run.facts.append(f"Job run {job_id} state: {state}")
    for key in ("failureReason", "stateDetails"):
        if job.get(key):
            run.facts += f"{key}: {job[key]}".splitlines()
    if state == "CANCELLED":
        run.facts.append(f"Job run {job_id} was cancelled")
    monitoring = (job.get("configurationOverrides") or {}).get("monitoringConfiguration") or {}
    log_uri = (monitoring.get("s3MonitoringConfiguration") or {}).get("logUri")
    cloudwatch = monitoring.get("cloudWatchMonitoringConfiguration") or {}
    job_path = f"{virtual_cluster_id}/jobs/{job_id}"
    if log_uri and s3_client is not None:
        _s3_job_logs(
            run, s3_client, waiter, join_prefix(log_uri, job_path, "containers"), max_executor_logs, "job"
        )
    if cloudwatch.get("logGroupName") and logs_client is not None:
        stream_prefix = "/".join(
            p.strip("/") for p in (cloudwatch.get("logStreamNamePrefix") or "", job_path, "containers") if p
        )
        _cloudwatch_logs(
            run, logs_client, waiter, cloudwatch["logGroupName"], stream_prefix + "/", max_executor_logs
        )
    if not log_uri and not cloudwatch.get("logGroupName"):
        run.missing.append("job run has no S3 or CloudWatch monitoringConfiguration: pod logs were not kept")
    return run.finish(state in FAILED_OR_CANCELLING)
