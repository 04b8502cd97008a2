"""EMR on EKS (emr-containers): job run lifecycles on top of moto's backend.

Job runs: PENDING -> SUBMITTED -> RUNNING -> COMPLETED | FAILED (with failureReason), or
CANCEL_PENDING -> CANCELLED. ``clientToken`` makes StartJobRun idempotent; release labels take
EMR on EKS' forms (``emr-7.5.0-latest``, ``emr-6.15.0-20240105``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moto.emrcontainers.models import emrcontainers_backends

from emr_dags.aws import states
from emr_dags_devkit.emulator.errors import AwsError, Reply, json_reply
from emr_dags_devkit.emulator.rules import Decision, Outcome, RunInfo, Service

if TYPE_CHECKING:
    from emr_dags_devkit.emulator.engine import Engine

RELEASE_LABEL = re.compile(r"^emr-\d+\.\d+\.\d+-(latest|\d{8})$")
_PATH = re.compile(r"^/virtualclusters(?:/(?P<vc>[^/]+))?(?:/jobruns)?(?:/(?P<run>[^/]+))?")
FAILURE_REASONS = ("INTERNAL_ERROR", "USER_ERROR", "VALIDATION_ERROR", "CLUSTER_UNAVAILABLE")
DONE = states.EKS_JOB_TERMINAL


@dataclass(kw_only=True, slots=True)
class EksRunSim:
    account: str
    region: str
    phase_due: float
    decision: Decision | None = None


class EksSim:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.runs: dict[str, Any] = {}  # active
        self.all_runs: dict[str, Any] = {}

    def reset(self) -> None:
        self.runs.clear()
        self.all_runs.clear()

    def backend(self, account: str, region: str) -> Any:
        return emrcontainers_backends[account][region]

    def before(self, action: str, body: dict[str, Any], account: str, region: str, path: str) -> Reply | None:
        found = _PATH.match(path)
        vc_id = found.group("vc") if found else None
        run_id = found.group("run") if found else None
        backend = self.backend(account, region)
        if action == "StartJobRun":
            return self._start(body, backend, vc_id)
        if action in ("CancelJobRun", "DescribeJobRun"):
            run = backend.job_runs.get(run_id)
            if run is None or run.virtual_cluster_id != vc_id:
                raise AwsError("ResourceNotFoundException", f"Job run {run_id} doesn't exist.")
            if action == "CancelJobRun":
                self._cancel(run)
                return json_reply("rest-json", {"id": run.id, "virtualClusterId": vc_id})
        if (
            action in ("DescribeVirtualCluster", "DeleteVirtualCluster")
            and vc_id not in backend.virtual_clusters
        ):
            raise AwsError("ResourceNotFoundException", f"Virtual cluster {vc_id} doesn't exist.")
        return None

    def _start(self, body: dict[str, Any], backend: Any, vc_id: str | None) -> Reply | None:
        vc = backend.virtual_clusters.get(vc_id)
        if vc is None:
            raise AwsError("ResourceNotFoundException", f"Virtual cluster {vc_id} doesn't exist.")
        token = body.get("clientToken")
        if token:
            for run in backend.job_runs.values():
                if run.virtual_cluster_id == vc_id and run.client_token == token:
                    reply = {"id": run.id, "name": run.name, "arn": run.arn, "virtualClusterId": vc_id}
                    return json_reply("rest-json", reply)
        if vc.state != "RUNNING":
            raise AwsError(
                "ValidationException",
                f"Virtual cluster {vc_id} is in {vc.state} state; cannot start a job run.",
            )
        label = body.get("releaseLabel")
        if not isinstance(label, str) or not RELEASE_LABEL.match(label):
            raise AwsError(
                "ResourceNotFoundException",
                f"Release {label} doesn't exist. Expected a label like 'emr-7.5.0-latest' or 'emr-6.15.0-20240105'.",
            )
        return None

    def _cancel(self, run: Any) -> None:
        if run.state in DONE or run.state == "CANCEL_PENDING":
            raise AwsError("ValidationException", f"Job run {run.id} is not in a cancellable state")
        if hasattr(run, "_emu"):
            run.state = "CANCEL_PENDING"
            run._emu.phase_due = self.engine.clock.now() + self.engine.timings.eks_cancelling * 60

    def after(
        self, action: str, body: dict[str, Any], result: dict[str, Any], account: str, region: str, path: str
    ) -> None:
        if action != "StartJobRun" or "id" not in result:
            return
        now = self.engine.clock.now()
        run = self.backend(account, region).job_runs[result["id"]]
        run._emu = EksRunSim(
            account=account, region=region, phase_due=now + self.engine.timings.eks_pending * 60
        )
        run.state = "PENDING"
        run.created_at = self.engine.clock.real_at(now)
        run.finished_at = None
        self.runs[run.id] = run
        self.all_runs[run.id] = run

    def next_due(self) -> float:
        return min((r._emu.phase_due for r in self.runs.values()), default=math.inf)

    def tick(self, now: float) -> None:
        for run in list(self.runs.values()):
            for _ in range(10):
                if run._emu.phase_due > now or run.id not in self.runs:
                    break
                self._advance(run, run._emu.phase_due)

    def _advance(self, run: Any, at: float) -> None:
        timings = self.engine.timings
        emu = run._emu
        if run.state == "PENDING":
            run.state = "SUBMITTED"
            emu.phase_due = at + timings.eks_submitted * 60
        elif run.state == "SUBMITTED":
            args = self._args(run)
            emu.decision = self.engine.rules.decide(
                RunInfo(service=Service.EKS, name=run.name or "", args=args), timings.eks_default
            )
            run.state = "RUNNING"
            emu.phase_due = (
                math.inf if emu.decision.outcome is Outcome.HANG else at + emu.decision.duration_minutes * 60
            )
        elif run.state == "RUNNING":
            decision = emu.decision
            if decision is None or decision.outcome is Outcome.SUCCEED:
                self._end(run, at, "COMPLETED", None, None)
            else:
                reason = decision.reason if decision.reason in FAILURE_REASONS else "USER_ERROR"
                detail = decision.message or (
                    decision.reason if decision.reason not in FAILURE_REASONS else None
                )
                if decision.outcome is Outcome.INTERRUPT:
                    reason, detail = "CLUSTER_UNAVAILABLE", detail or "Driver pod was evicted"
                self._end(run, at, "FAILED", reason, detail or "Job failed with a non-zero exit code")
        elif run.state == "CANCEL_PENDING":
            self._end(run, at, "CANCELLED", None, "JobRun CANCELLED successfully.")

    @staticmethod
    def _args(run: Any) -> tuple[str, ...]:
        spark = (run.job_driver or {}).get("sparkSubmitJobDriver") or {}
        args = [spark.get("entryPoint") or "", *(spark.get("entryPointArguments") or [])]
        if spark.get("sparkSubmitParameters"):
            args.append(spark["sparkSubmitParameters"])
        return tuple(str(a) for a in args)

    def _end(self, run: Any, at: float, state: str, reason: str | None, detail: str | None) -> None:
        run.state = state
        run.failure_reason = reason
        run.state_details = detail
        run.finished_at = max(self.engine.clock.real_at(at), run.created_at)
        run._emu.phase_due = math.inf
        self.runs.pop(run.id, None)
        decision = run._emu.decision
        stdout = (decision.stdout if decision else None) or f"Job {run.id} finished in state {state}\n"
        stderr = (decision.stderr if decision else None) or f"job run {run.id} ended {state}\n"
        self.engine.logs.schedule_eks_logs(
            run._emu.account, run._emu.region, run, at, stdout=stdout, stderr=stderr
        )

    def summary(self) -> dict[str, Any]:
        clusters: list[dict[str, Any]] = []
        for account in list(emrcontainers_backends.keys()):
            for region in list(dict.keys(emrcontainers_backends[account])):
                backend = dict.__getitem__(emrcontainers_backends[account], region)
                clusters.extend(
                    {"id": v.id, "name": v.name, "state": v.state} for v in backend.virtual_clusters.values()
                )
        return {
            "virtual_clusters": clusters,
            "job_runs": [
                {
                    "id": r.id,
                    "virtual_cluster_id": r.virtual_cluster_id,
                    "name": r.name,
                    "state": r.state,
                    "failure_reason": r.failure_reason,
                    "client_token": r.client_token,
                    "tags": dict(r.tags or {}),
                }
                for r in self.all_runs.values()
            ],
        }
