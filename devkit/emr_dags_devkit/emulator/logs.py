"""Logs the emulated runs leave behind, shaped like EMR's: S3 objects (gzip) and CloudWatch Logs.

EMR on EC2 (cluster ``LogUri``)::

    <LogUri>/<cluster-id>/steps/<step-id>/{controller,stderr,stdout}.gz
    <LogUri>/<cluster-id>/containers/application_<ts>_<n>/container_<ts>_<n>_01_000001/{stderr,stdout}.gz

    (application_<ts>_<n>: the id the step's stderr names, e.g. "Submitted application ...", as on EMR)

EMR Serverless (``monitoringConfiguration.s3MonitoringConfiguration.logUri``)::

    <logUri>/applications/<app-id>/jobs/<job-run-id>/SPARK_DRIVER/{stderr,stdout}.gz
    <logUri>/applications/<app-id>/jobs/<job-run-id>/SPARK_EXECUTOR/1/{stderr,stdout}.gz

Writes go straight into moto's S3/Logs backends (no HTTP, so they are not counted as calls). A
missing bucket is recorded as a warning in ``/emr-dags/state`` rather than failing the run.
"""

from __future__ import annotations

import gzip
import heapq
import itertools
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from emr_dags_devkit.emulator.engine import Engine


def split_s3_uri(uri: str) -> tuple[str, str] | None:
    for scheme in ("s3://", "s3n://", "s3a://"):
        if uri.startswith(scheme):
            bucket, _, prefix = uri[len(scheme) :].partition("/")
            return (bucket, prefix.strip("/")) if bucket else None
    return None


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class LogWriter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._app_seq = itertools.count(1)
        self.written: int = 0

    def next_due(self) -> float:
        return self._queue[0][0] if self._queue else float("inf")

    def tick(self, now: float) -> None:
        while self._queue and self._queue[0][0] <= now:
            _, _, write = heapq.heappop(self._queue)
            try:
                write()
            except Exception as exc:  # a log write must never break the simulation
                self.engine.warn(f"log write failed: {exc!r}")

    def _later(self, at: float, write: Callable[[], None]) -> None:
        heapq.heappush(
            self._queue, (at + self.engine.timings.log_upload_delay * 60, next(self._counter), write)
        )

    # -- S3 / CloudWatch primitives -----------------------------------------------------------
    def put_s3(self, account: str, uri: str, key: str, text: str) -> None:
        from moto.s3.models import s3_backends

        target = split_s3_uri(uri)
        if target is None:
            self.engine.warn(f"log destination {uri!r} is not an s3:// URI; logs not written")
            return
        bucket, prefix = target
        backend = s3_backends[account]["aws"]
        try:
            backend.get_bucket(bucket)
        except Exception:
            self.engine.warn(f"log bucket {bucket!r} does not exist; {key} not written")
            return
        backend.put_object(bucket, _join(prefix, key), gzip.compress(text.encode()))
        self.written += 1

    def put_cloudwatch(self, account: str, region: str, group: str, stream: str, text: str) -> None:
        from moto.logs.models import logs_backends

        backend = logs_backends[account][region]
        if group not in backend.groups:
            backend.create_log_group(group, {})
        if stream not in backend.groups[group].streams:
            backend.create_log_stream(group, stream)
        now_ms = int(time.time() * 1000)
        events = [{"timestamp": now_ms, "message": line} for line in (text.splitlines() or [""])]
        backend.put_log_events(group, stream, events)
        self.written += 1

    # -- EMR on EC2 ---------------------------------------------------------------------------
    def emr_step_log_path(self, cluster: Any, step: Any, name: str) -> str | None:
        if not cluster.log_uri or split_s3_uri(cluster.log_uri) is None:
            return None
        base = cluster.log_uri.rstrip("/")
        return f"{base}/{cluster.id}/steps/{step.id}/{name}"

    def schedule_emr_step_logs(
        self,
        cluster: Any,
        step: Any,
        at: float,
        *,
        stdout: str | None,
        stderr: str | None,
        container_stderr: str | None = None,
    ) -> None:
        """Write the step's logs and its YARN applications' container logs (after the upload delay).

        Container logs go under the application id(s) the step's own stderr/stdout name
        (``Submitted application application_<ts>_<n>``), as on EMR, where the collector looks for
        them; only a step that names none gets a made-up id. The last application named is the one
        that ended the step: its driver container (000001) gets ``container_stderr`` (default: the
        step's stderr); any earlier one gets a line saying it finished.
        """
        from emr_dags.diagnostics.collect import application_ids

        if not cluster.log_uri:
            return
        account = cluster._emu.account
        controller = self._controller_text(step, at)
        stdout_text = (
            stdout if stdout is not None else f"Step {step.name} ({step.id}) finished in state {step.state}\n"
        )
        stderr_text = stderr if stderr is not None else self._default_stderr(step)
        named = application_ids([*stderr_text.splitlines(), *stdout_text.splitlines()])
        app_ids = named or [f"application_{int(time.time() * 1000)}_{next(self._app_seq):04d}"]
        driver_stderr = container_stderr if container_stderr is not None else stderr_text

        def write() -> None:
            base = f"{cluster.id}/steps/{step.id}"
            self.put_s3(account, cluster.log_uri, f"{base}/controller.gz", controller)
            self.put_s3(account, cluster.log_uri, f"{base}/stdout.gz", stdout_text)
            self.put_s3(account, cluster.log_uri, f"{base}/stderr.gz", stderr_text)
            for app_id in app_ids:
                container = f"container_{app_id.removeprefix('application_')}_01_000001"
                cbase = f"{cluster.id}/containers/{app_id}/{container}"
                last = app_id == app_ids[-1]
                finished = f"INFO ApplicationMaster: Final app status: SUCCEEDED ({app_id}, emulated)\n"
                self.put_s3(
                    account, cluster.log_uri, f"{cbase}/stderr.gz", driver_stderr if last else finished
                )
                self.put_s3(account, cluster.log_uri, f"{cbase}/stdout.gz", stdout_text if last else "")

        self._later(at, write)

    def _controller_text(self, step: Any, at: float) -> str:
        s = step._emu
        start = step.start_date_time or datetime.now(UTC).replace(tzinfo=None)
        took = int(at - (s.started if s.started is not None else at))
        lines = [
            f"{_stamp(start)} INFO Ensure step {step.id} jar file {step.jar}",
            f"{_stamp(start)} INFO StepRunner: Created Runner for step {step.id}",
            f"INFO startExec 'hadoop jar {step.jar} {' '.join(str(a) for a in step.args or [])}'",
            f"INFO total process run time: {took} seconds",
        ]
        end = step.end_date_time or start
        if step.state == "COMPLETED":
            lines.append(f"{_stamp(end)} INFO Step succeeded with exitCode 0 and took {took} seconds")
        elif step.state == "FAILED":
            code = s.local.returncode if s.local is not None else 1
            lines.append(f"{_stamp(end)} WARN Step failed with exitCode {code} and took {took} seconds")
        else:
            lines.append(f"{_stamp(end)} WARN Step ended in state {step.state} after {took} seconds")
        return "\n".join(lines) + "\n"

    @staticmethod
    def _default_stderr(step: Any) -> str:
        if step.state == "FAILED":
            return 'Exception in thread "main" java.lang.RuntimeException: step failed (emulated)\n'
        return f"INFO: step {step.id} ran (emulated)\n"

    # -- EMR Serverless -----------------------------------------------------------------------
    def schedule_serverless_logs(
        self, account: str, region: str, run: Any, at: float, *, stdout: str, stderr: str
    ) -> None:
        monitoring = (run.configuration_overrides or {}).get("monitoringConfiguration") or {}
        s3_conf = monitoring.get("s3MonitoringConfiguration") or {}
        cw_conf = monitoring.get("cloudWatchLoggingConfiguration") or {}
        log_uri = s3_conf.get("logUri")
        base = f"applications/{run.application_id}/jobs/{run.id}"
        executor_err = stderr if run.state == "FAILED" else "INFO Executor: Finished task (emulated)\n"

        def write() -> None:
            if log_uri:
                self.put_s3(account, log_uri, f"{base}/SPARK_DRIVER/stderr.gz", stderr)
                self.put_s3(account, log_uri, f"{base}/SPARK_DRIVER/stdout.gz", stdout)
                self.put_s3(account, log_uri, f"{base}/SPARK_EXECUTOR/1/stderr.gz", executor_err)
                self.put_s3(account, log_uri, f"{base}/SPARK_EXECUTOR/1/stdout.gz", "")
            if cw_conf.get("enabled"):
                group = cw_conf.get("logGroupName") or "/aws/emr-serverless"
                prefix = cw_conf.get("logStreamNamePrefix")
                stream_base = _join(prefix or "", base)
                self.put_cloudwatch(account, region, group, f"{stream_base}/SPARK_DRIVER/stderr", stderr)
                self.put_cloudwatch(account, region, group, f"{stream_base}/SPARK_DRIVER/stdout", stdout)

        if log_uri or cw_conf.get("enabled"):
            self._later(at, write)

    def schedule_eks_logs(
        self, account: str, region: str, run: Any, at: float, *, stdout: str, stderr: str
    ) -> None:
        monitoring = (run.configuration_overrides or {}).get("monitoringConfiguration") or {}
        log_uri = (monitoring.get("s3MonitoringConfiguration") or {}).get("logUri")
        if not log_uri:
            return
        base = f"{run.virtual_cluster_id}/jobs/{run.id}/containers/spark-{run.id}/spark-{run.id}-driver"

        def write() -> None:
            self.put_s3(account, log_uri, f"{base}/stderr.gz", stderr)
            self.put_s3(account, log_uri, f"{base}/stdout.gz", stdout)

        self._later(at, write)
