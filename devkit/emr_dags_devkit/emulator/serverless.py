"""EMR Serverless: application and job run lifecycles on top of moto's backend.

Applications: CREATING -> CREATED -> STARTING -> STARTED -> STOPPING -> STOPPED -> TERMINATED, with
auto-start on job submission and auto-stop after the idle timeout. Job runs: SUBMITTED -> PENDING ->
SCHEDULED -> RUNNING -> SUCCESS | FAILED, or CANCELLING -> CANCELLED (also on executionTimeoutMinutes).
``clientToken`` makes StartJobRun and CreateApplication idempotent, as in AWS.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moto.emrserverless.models import JobRun as MotoJobRun
from moto.emrserverless.models import emrserverless_backends

from emr_dags.aws import states
from emr_dags_devkit.emulator.errors import AwsError, Reply, json_reply
from emr_dags_devkit.emulator.rules import Decision, Outcome, RunInfo, Service

if TYPE_CHECKING:
    from emr_dags_devkit.emulator.engine import Engine

RELEASE_LABEL = re.compile(r"^emr-\d+\.\d+\.\d+(-\d{8})?$")
_PATH = re.compile(
    r"^/applications(?:/(?P<app>[^/]+))?(?:/(?P<verb>start|stop|jobruns))?(?:/(?P<run>[^/]+))?"
)
# Which job driver each application type runs (a Hive job on a Spark application is refused).
DRIVER_FOR_TYPE = {"SPARK": "sparkSubmit", "HIVE": "hive"}
ACTIVE_RUN = states.SERVERLESS_JOB_ACTIVE
DONE_RUN = states.SERVERLESS_JOB_TERMINAL


@dataclass(kw_only=True, slots=True)
class AppSim:
    account: str
    region: str
    phase_due: float = math.inf
    idle_since: float | None = None


@dataclass(kw_only=True, slots=True)
class RunSim:
    engine: Engine
    account: str
    region: str
    submitted: float
    phase_due: float
    decision: Decision | None = None
    started: float | None = None
    ended: float | None = None
    timeout_due: float | None = None
    workers: tuple[float, float, int] = (4.0, 16.0, 4)  # vCPU and GB per worker, number of workers


def _conf(params: str, key: str) -> str | None:
    try:
        tokens = shlex.split(params)
    except ValueError:
        tokens = params.split()
    for i, token in enumerate(tokens):
        if token == "--conf" and i + 1 < len(tokens) and tokens[i + 1].startswith(key + "="):
            return tokens[i + 1].split("=", 1)[1]
    return None


def _memory_gb(value: str | None, default: float) -> float:
    if not value:
        return default
    found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([gGmM]?)", value.strip().rstrip("bB"))
    if not found:
        return default
    number = float(found.group(1))
    return number / 1024 if found.group(2).lower() == "m" else number


def _workers(job_driver: dict[str, Any] | None) -> tuple[float, float, int]:
    spark = (job_driver or {}).get("sparkSubmit") or {}
    params = spark.get("sparkSubmitParameters") or ""
    cores = float(_conf(params, "spark.executor.cores") or 4)
    memory = _memory_gb(_conf(params, "spark.executor.memory"), 16.0)
    instances = int(_conf(params, "spark.executor.instances") or 3)
    return cores, memory, instances + 1  # + the driver


class EmulatedJobRun(MotoJobRun):
    """moto's JobRun with durations and utilisation that follow the simulated run."""

    _emu: RunSim

    def _running_seconds(self) -> float:
        emu = self._emu
        if emu.started is None:
            return 0.0
        end = emu.ended if emu.ended is not None else emu.engine.clock.now()
        return max(0.0, end - emu.started)

    def _utilisation(self, minimum_minute: bool) -> dict[str, float]:
        seconds = self._running_seconds()
        if minimum_minute and self._emu.started is not None:
            seconds = max(seconds, 60.0)
        hours = seconds / 3600.0
        vcpu, memory, workers = self._emu.workers
        return {
            "vCPUHour": round(vcpu * workers * hours, 6),
            "memoryGBHour": round(memory * workers * hours, 6),
            "storageGBHour": round(20.0 * workers * hours, 6) if not minimum_minute else 0.0,
        }

    @property  # type: ignore[override]
    def total_execution_duration_seconds(self) -> int:
        return int(self._running_seconds())

    @total_execution_duration_seconds.setter
    def total_execution_duration_seconds(self, value: int) -> None:
        pass

    @property  # type: ignore[override]
    def billed_resource_utilization(self) -> dict[str, float]:
        return self._utilisation(minimum_minute=True)

    @billed_resource_utilization.setter
    def billed_resource_utilization(self, value: Any) -> None:
        pass

    @property
    def total_resource_utilization(self) -> dict[str, float]:
        return self._utilisation(minimum_minute=False)


class ServerlessSim:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.apps: dict[str, Any] = {}  # id -> moto Application (every one we adopted)
        self.runs: dict[str, Any] = {}  # id -> moto JobRun, active ones only
        self.all_runs: dict[str, Any] = {}

    def reset(self) -> None:
        self.apps.clear()
        self.runs.clear()
        self.all_runs.clear()

    def backend(self, account: str, region: str) -> Any:
        return emrserverless_backends[account][region]

    def _app(self, account: str, region: str, app_id: str | None) -> Any:
        apps = self.backend(account, region).applications
        if not app_id or app_id not in apps:
            raise AwsError("ResourceNotFoundException", f"Application {app_id} does not exist")
        return apps[app_id]

    def _run(self, account: str, region: str, app_id: str | None, run_id: str | None) -> Any:
        self._app(account, region, app_id)
        for run in self.backend(account, region).job_runs.get(app_id, []):
            if run.id == run_id:
                return run
        raise AwsError("ResourceNotFoundException", f"Job run {run_id} does not exist")

    # -- hooks ------------------------------------------------------------------------------------
    def before(self, action: str, body: dict[str, Any], account: str, region: str, path: str) -> Reply | None:
        found = _PATH.match(path)
        app_id = found.group("app") if found else None
        run_id = found.group("run") if found else None
        now = self.engine.clock.now()
        if action == "CreateApplication":
            return self._create_application(body, account, region)
        if action == "StartJobRun":
            return self._start_job_run(body, account, region, app_id, now)
        if action in ("StartApplication", "StopApplication"):
            app = self._app(account, region, app_id)
            (self._start_application if action == "StartApplication" else self._stop_application)(app, now)
            return json_reply("rest-json", {})
        if action in ("CancelJobRun", "GetDashboardForJobRun", "GetJobRun"):
            run = self._run(account, region, app_id, run_id)
            if action == "CancelJobRun":
                self._cancel(run, now)
                return json_reply("rest-json", {"applicationId": app_id, "jobRunId": run_id})
            if action == "GetDashboardForJobRun":
                url = f"https://{app_id}.dashboard.emr-serverless.{region}.amazonaws.com/?authToken=emr-dags-emulated-{run.id}"
                return json_reply("rest-json", {"url": url})
        elif app_id:
            self._app(account, region, app_id)
        return None

    def _start_application(self, app: Any, now: float) -> None:
        if app.state in ("CREATED", "STOPPED"):
            self._set_app(app, "STARTING", now, self.engine.timings.app_starting)
        elif app.state not in ("STARTING", "STARTED"):
            raise AwsError(
                "ValidationException", f"Application {app.id} is in {app.state} state and cannot be started."
            )

    def _stop_application(self, app: Any, now: float) -> None:
        if any(r.application_id == app.id and r.state in ACTIVE_RUN for r in self.runs.values()):
            raise AwsError(
                "ValidationException",
                f"Application {app.id} has running jobs. All scheduled and running jobs must be completed "
                "or cancelled before stopping an application.",
            )
        if app.state in ("STARTED", "STARTING"):
            self._set_app(app, "STOPPING", now, self.engine.timings.app_stopping)
        elif app.state not in ("STOPPING", "STOPPED", "CREATED"):
            raise AwsError(
                "ValidationException", f"Application {app.id} is in {app.state} state and cannot be stopped."
            )

    def _cancel(self, run: Any, now: float) -> None:
        if run.state in DONE_RUN:
            raise AwsError(
                "ValidationException",
                f"Job run {run.id} is in a terminal state {run.state} and cannot be cancelled.",
            )
        if run.state != "CANCELLING":
            self._set_run(run, "CANCELLING", now, self.engine.timings.job_cancelling)
            run.state_details = "Job run cancellation requested by user"

    def after(
        self, action: str, body: dict[str, Any], result: dict[str, Any], account: str, region: str, path: str
    ) -> None:
        now = self.engine.clock.now()
        if action == "CreateApplication" and "applicationId" in result:
            app = self.backend(account, region).applications[result["applicationId"]]
            app._emu = AppSim(account=account, region=region)
            app.client_token = body.get("clientToken")
            app.created_at = self.engine.clock.real_at(now)
            self.apps[app.id] = app
            self._set_app(app, "CREATING", now, self.engine.timings.app_creating)
        elif action == "StartJobRun" and "jobRunId" in result:
            run = self._run(account, region, result["applicationId"], result["jobRunId"])
            run.__class__ = EmulatedJobRun
            run._emu = RunSim(
                engine=self.engine,
                account=account,
                region=region,
                submitted=now,
                phase_due=now + self.engine.timings.job_submitted * 60,
                workers=_workers(run.job_driver),
            )
            run.created_at = self.engine.clock.real_at(now)
            run.updated_at = run.created_at
            run.state = "SUBMITTED"
            run.state_details = None
            run.started_at = None
            run.ended_at = None
            self.runs[run.id] = run
            self.all_runs[run.id] = run
            app = self.apps.get(run.application_id)
            if app is not None:
                app._emu.idle_since = None

    def _create_application(self, body: dict[str, Any], account: str, region: str) -> Reply | None:
        label = body.get("releaseLabel")
        if not isinstance(label, str) or not RELEASE_LABEL.match(label):
            raise AwsError(
                "ValidationException",
                f"Type '{body.get('type')}' is not supported for release label '{label}' or release label does not exist",
            )
        token = body.get("clientToken")
        if token:
            for app in self.apps.values():
                if app.client_token == token and app._emu.account == account and app._emu.region == region:
                    return json_reply(
                        "rest-json", {"applicationId": app.id, "name": app.name, "arn": app.arn}
                    )
        return None

    def _start_job_run(
        self, body: dict[str, Any], account: str, region: str, app_id: str | None, now: float
    ) -> Reply | None:
        app = self._app(account, region, app_id)
        token = body.get("clientToken")
        if token:
            for run in self.backend(account, region).job_runs.get(app_id, []):
                if run.client_token == token:
                    return json_reply(
                        "rest-json", {"applicationId": app_id, "jobRunId": run.id, "arn": run.arn}
                    )
        if app.state == "TERMINATED":
            raise AwsError(
                "ValidationException", f"Application {app_id} is terminated. Cannot start job run."
            )
        self._check_driver(app, body.get("jobDriver"))
        timeout = body.get("executionTimeoutMinutes")
        if timeout is not None and (not isinstance(timeout, int) or timeout < 0):
            raise AwsError("ValidationException", f"executionTimeoutMinutes {timeout!r} is not valid.")
        auto_start = (app.auto_start_configuration or {}).get("enabled", True)
        if app.state not in ("STARTING", "STARTED") and not auto_start:
            raise AwsError(
                "ValidationException",
                f"Application {app_id} is in {app.state} state and auto-start is disabled. Start the application first.",
            )
        if not isinstance(body.get("executionRoleArn"), str) or body["executionRoleArn"].count(":") < 5:
            raise AwsError(
                "ValidationException",
                f"executionRoleArn {body.get('executionRoleArn')!r} is not a valid role ARN.",
            )
        return None

    @staticmethod
    def _check_driver(app: Any, driver: Any) -> None:
        """The job driver must be the application type's: sparkSubmit on SPARK, hive on HIVE."""
        app_type = str(app.type or "").upper()
        expected = DRIVER_FOR_TYPE.get(app_type)
        given = [key for key, value in (driver or {}).items() if value is not None]
        if expected is None or not given:
            return
        if given != [expected]:
            raise AwsError(
                "ValidationException",
                f"Job driver '{given[0]}' is not supported for application {app.id} of type {app_type}; "
                f"a {app_type} application runs '{expected}' job drivers only.",
            )

    # -- simulation -------------------------------------------------------------------------------
    def _set_app(self, app: Any, state: str, at: float, minutes: float | None = None) -> None:
        app.state = state
        app.updated_at = self.engine.clock.real_at(at)
        app._emu.phase_due = at + minutes * 60 if minutes is not None else math.inf
        app._emu.idle_since = at if state == "STARTED" else None

    def _set_run(self, run: Any, state: str, at: float, minutes: float | None = None) -> None:
        run.state = state
        run.updated_at = self.engine.clock.real_at(at)
        run._emu.phase_due = at + minutes * 60 if minutes is not None else math.inf

    def next_due(self) -> float:
        due = math.inf
        for app in self.apps.values():
            due = min(due, app._emu.phase_due, self._idle_due(app))
        for run in self.runs.values():
            due = min(due, run._emu.phase_due, run._emu.timeout_due or math.inf)
            if run.state == "PENDING":
                return -math.inf  # waits on its application: look every tick
        return due

    def _idle_due(self, app: Any) -> float:
        conf = app.auto_stop_configuration or {}
        if app.state != "STARTED" or app._emu.idle_since is None or not conf.get("enabled", True):
            return math.inf
        factor = self.engine.timings.idle_timeout_factor
        return app._emu.idle_since + float(conf.get("idleTimeoutMinutes", 15)) * 60 * factor

    def tick(self, now: float) -> None:
        for _ in range(10_000):
            if not self._step(now):
                break

    def _step(self, now: float) -> bool:
        """Handle the earliest due event, if any. Returns whether something happened."""
        events: list[tuple[float, int, Any]] = []
        for app in self.apps.values():
            events.append((app._emu.phase_due, 0, app))
            events.append((self._idle_due(app), 1, app))
        for run in self.runs.values():
            events.append((run._emu.phase_due, 2, run))
            if run._emu.timeout_due is not None:
                events.append((run._emu.timeout_due, 3, run))
        due = [e for e in events if e[0] <= now]
        if not due:
            return self._wake_apps(now)
        at, kind, obj = min(due, key=lambda e: (e[0], e[1]))
        if kind == 0:
            self._app_phase_done(obj, at)
        elif kind == 1:
            self._set_app(obj, "STOPPING", at, self.engine.timings.app_stopping)
        elif kind == 2:
            self._run_phase_done(obj, at)
        else:
            obj._emu.timeout_due = None
            minutes = obj.execution_timeout_minutes
            self._end_run(
                obj,
                at,
                "CANCELLED",
                f"Job run exceeded the execution timeout of {minutes} minutes and was cancelled.",
            )
        return True

    def _wake_apps(self, now: float) -> bool:
        """Auto-start applications that have waiting jobs; move PENDING jobs on started apps."""
        changed = False
        for run in list(self.runs.values()):
            if run.state != "PENDING":
                continue
            app = self.apps.get(run.application_id)
            if app is None:
                continue
            if app.state == "STARTED":
                self._set_run(run, "SCHEDULED", now, self.engine.timings.job_scheduled)
                app._emu.idle_since = None
                changed = True
            elif app.state in ("CREATED", "STOPPED") and (app.auto_start_configuration or {}).get(
                "enabled", True
            ):
                self._set_app(app, "STARTING", now, self.engine.timings.app_starting)
                changed = True
        return changed

    def _app_phase_done(self, app: Any, at: float) -> None:
        nxt = {"CREATING": "CREATED", "STARTING": "STARTED", "STOPPING": "STOPPED"}.get(app.state)
        if nxt is None:
            app._emu.phase_due = math.inf
            return
        self._set_app(app, nxt, at)
        if nxt == "STARTED" and any(
            r.application_id == app.id and r.state in ACTIVE_RUN for r in self.runs.values()
        ):
            app._emu.idle_since = None

    def _run_phase_done(self, run: Any, at: float) -> None:
        state = run.state
        timings = self.engine.timings
        if state == "SUBMITTED":
            self._set_run(run, "PENDING", at)
        elif state == "SCHEDULED":
            decision = self.engine.rules.decide(self._run_info(run), timings.job_default)
            run._emu.decision = decision
            run._emu.started = at
            run.started_at = max(self.engine.clock.real_at(at), run.created_at)
            minutes = None if decision.outcome is Outcome.HANG else decision.duration_minutes
            self._set_run(run, "RUNNING", at, minutes)
            if run.execution_timeout_minutes:
                run._emu.timeout_due = at + float(run.execution_timeout_minutes) * 60
        elif state == "RUNNING":
            decision = run._emu.decision
            if decision is None or decision.outcome is Outcome.SUCCEED:
                self._end_run(run, at, "SUCCESS", None)
            else:
                detail = (
                    decision.message
                    or decision.reason
                    or "Job failed, please check complete logs in configured logging destination."
                )
                if decision.outcome is Outcome.INTERRUPT:
                    detail = decision.message or "Job run was interrupted: worker lost."
                self._end_run(run, at, "FAILED", detail)
        elif state == "CANCELLING":
            self._end_run(run, at, "CANCELLED", run.state_details or "Job run cancelled by user")
        else:
            run._emu.phase_due = math.inf

    @staticmethod
    def _run_info(run: Any) -> RunInfo:
        driver = run.job_driver or {}
        spark = driver.get("sparkSubmit") or {}
        hive = driver.get("hive") or {}
        args = [spark.get("entryPoint") or hive.get("query") or "", *(spark.get("entryPointArguments") or [])]
        if spark.get("sparkSubmitParameters"):
            args.append(spark["sparkSubmitParameters"])
        return RunInfo(service=Service.SERVERLESS, name=run.name or "", args=tuple(str(a) for a in args))

    def _end_run(self, run: Any, at: float, state: str, detail: str | None) -> None:
        emu = run._emu
        if emu.started is not None:
            emu.ended = at
            run.ended_at = max(self.engine.clock.real_at(at), run.started_at or run.created_at)
        emu.timeout_due = None
        self._set_run(run, state, at)
        run.state_details = detail
        self.runs.pop(run.id, None)
        app = self.apps.get(run.application_id)
        if (
            app is not None
            and app.state == "STARTED"
            and not any(r.application_id == app.id and r.state in ACTIVE_RUN for r in self.runs.values())
        ):
            app._emu.idle_since = at
        decision = emu.decision
        if emu.started is not None:
            stdout = (decision.stdout if decision else None) or f"Job {run.id} finished in state {state}\n"
            stderr = (decision.stderr if decision else None) or (
                "INFO SparkContext: Successfully stopped SparkContext (emulated)\n"
                if state == "SUCCESS"
                else f"ERROR: job run {run.id} ended {state}: {detail}\n"
            )
            self.engine.logs.schedule_serverless_logs(
                emu.account, emu.region, run, at, stdout=stdout, stderr=stderr
            )

    def summary(self) -> dict[str, Any]:
        return {
            "applications": [
                {"id": a.id, "name": a.name, "state": a.state, "tags": dict(a.tags or {})}
                for a in self.apps.values()
            ],
            "job_runs": [
                {
                    "id": r.id,
                    "application_id": r.application_id,
                    "name": r.name,
                    "state": r.state,
                    "client_token": r.client_token,
                    "tags": dict(r.tags or {}),
                    "rule": r._emu.decision.rule if r._emu.decision else None,
                }
                for r in self.all_runs.values()
            ],
        }
