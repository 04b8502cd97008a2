"""The chaos suite: pipeline runs in a real local stack while faults are injected, then an AWS-side audit.

Faults (one per run, chosen by a seeded RNG, every kind used round-robin so a short run covers all):

- ``kill_create|kill_submit|kill_wait|kill_teardown``: SIGKILL of the task process (``airflow worker --
  <ti id>``, found via psutil under the stack's scheduler) of the create / step / teardown task, either
  right after its AWS side effect became visible in the emulator (cluster created, step added,
  cluster terminating) or after a random delay. ``kill_wait`` kills the step task while it resumes
  after its deferral (stock twin: the poking sensor).
- ``kill_serverless_start|kill_eks_start``: the same SIGKILL of the job task of an EMR Serverless
  pipeline (``chaos_serverless_pipeline``) / an EMR on EKS job (``chaos_eks_job``), right after its
  StartJobRun (the job run is in the emulator) or after a random delay. emr-dags only: the stock
  twin covers EMR on EC2.
- ``restart_triggerer``: SIGKILL of the triggerer's process group while the step waits, then a fresh
  triggerer through the Stack API.
- ``restart_scheduler``: SIGTERM of the scheduler (a graceful restart, as a deploy does; SIGKILL of
  its group after 60 s) while the step waits, then a fresh scheduler.
- ``throttle`` / ``error_5xx``: the emulator throttles 30% / fails 10% of EMR calls during the run.
- ``failing_step``: an emulator rule fails the run's steps (every try); the run must end ``failed``.

The audit, per run, through the emulator: duplicate clusters (more than one cluster tagged with the
run), steps run more than once (a logical step with more than one PENDING/RUNNING/COMPLETED EMR step;
a fresh step after a FAILED or CANCELLED one is what a retry is for), resources still active after
the run ended (clusters not terminating 20 s after the end), and runs whose final state is wrong.
For the Serverless / EKS runs: exactly one job run per (run, task), each ended SUCCESS / COMPLETED
(else a wrong outcome), none still live after the run ended, and the Serverless application the run
created stopped or deleted (more than one application is a duplicate, a live one an orphan).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from emr_dags_devkit.bench import procs

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from emr_dags_devkit.stack.api import AirflowClient
    from emr_dags_devkit.stack.runner import Stack

EC2_FAULT_KINDS: tuple[str, ...] = (
    "kill_create",
    "kill_submit",
    "kill_wait",
    "kill_teardown",
    "restart_triggerer",
    "restart_scheduler",
    "throttle",
    "error_5xx",
    "failing_step",
)
JOB_FAULT_KINDS: tuple[str, ...] = ("kill_serverless_start", "kill_eks_start")
FAULT_KINDS: tuple[str, ...] = EC2_FAULT_KINDS + JOB_FAULT_KINDS
KINDS = {"emr-dags": FAULT_KINDS, "stock": EC2_FAULT_KINDS}  # no stock twin of the job DAGs
DAGS = {"emr-dags": "chaos_emr_pipeline", "stock": "chaos_stock_pipeline"}
FAULT_DAGS = {"kill_serverless_start": "chaos_serverless_pipeline", "kill_eks_start": "chaos_eks_job"}
JOB_DAGS = {"chaos_serverless_pipeline": "serverless", "chaos_eks_job": "eks"}  # dag id -> state section
TASKS = {
    "emr-dags": {
        "create": "pipeline.create_cluster",
        "submit": "pipeline.step_01",
        "wait": "pipeline.step_01",
        "teardown": "pipeline.terminate_cluster",
        "serverless_start": "serverless.spark_job",
        "eks_start": "eks.spark_job",
    },
    "stock": {
        "create": "create_cluster",
        "submit": "add_step_01",
        "wait": "wait_step_01",
        "teardown": "terminate_cluster",
    },
}
FAIL_MARKER = "chaos-fail"
FAIL_RULE = {
    "name": "chaos-failing-step",
    "match": {"service": "emr", "arg": f"*{FAIL_MARKER}*"},
    "outcome": "fail",
    "reason": "Container exited with a non-zero exit code 1",
    "stderr": "chaos: scripted failure",
}
# Every chaos step lasts STEP_MINUTES simulated minutes, so the wait (deferral) window is wide enough
# to restart the triggerer or scheduler inside it even on a loaded machine.
STEP_MINUTES = 12.0
SLOW_STEPS_RULE = {
    "name": "chaos-step-duration",
    "match": {"service": "emr", "arg": "*--run chaos*"},
    "outcome": "succeed",
    "duration_minutes": STEP_MINUTES,
}
SLOW_JOBS_RULES = [
    {
        **SLOW_STEPS_RULE,
        "name": f"chaos-{svc}-job-duration",
        "match": {"service": svc, "arg": "*--run chaos*"},
    }
    for svc in ("serverless", "eks")
]
# Latency on the call each task makes right after its AWS side effect (see Injector._kill).
WIDEN_WINDOW = {
    "create": [{"service": "emr", "action": "DescribeCluster", "latency_ms": 4000}],
    "submit": [{"service": "emr", "action": "DescribeCluster", "latency_ms": 4000}],
    "teardown": [{"service": "emr", "action": "DescribeCluster", "latency_ms": 4000}],
    "serverless_start": [{"service": "emr-serverless", "action": "GetJobRun", "latency_ms": 4000}],
    "eks_start": [{"service": "emr-containers", "action": "DescribeJobRun", "latency_ms": 4000}],
}
FAULTS = {
    "throttle": [{"service": "emr", "action": "*", "throttle": 0.2}],
    "error_5xx": [{"service": "emr", "action": "*", "error_5xx": 0.1}],
}
ACTIVE_CLUSTER = ("STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING")
LIVE_STEP = ("PENDING", "CANCEL_PENDING", "RUNNING", "COMPLETED")
LIVE_JOB = {
    "serverless": ("SUBMITTED", "PENDING", "SCHEDULED", "RUNNING", "CANCELLING"),
    "eks": ("PENDING", "SUBMITTED", "RUNNING", "CANCEL_PENDING"),
}
JOB_SUCCESS = {"serverless": "SUCCESS", "eks": "COMPLETED"}
DONE_APPLICATION = ("STOPPED", "TERMINATED")
TRIGGERER = "airflow-triggerer"
SCHEDULER = "airflow-scheduler"


# ------------------------------------------------------------------------------------ plan
@dataclass(frozen=True)
class RunPlan:
    index: int
    flavour: str  # "emr-dags" | "stock"
    fault: str
    run_id: str
    at_resource: bool  # kill right after the AWS side effect, else after `delay`
    delay: float

    @property
    def dag_id(self) -> str:
        return FAULT_DAGS.get(self.fault) or DAGS[self.flavour]

    @property
    def expected(self) -> str:
        return "failed" if self.fault == "failing_step" else "success"


def plan_runs(
    n: int, *, seed: int, flavour: str = "emr-dags", kinds: tuple[str, ...] | None = None
) -> list[RunPlan]:
    """``n`` runs; fault kinds (default: the flavour's) round-robin over a seeded shuffle, so any
    n >= len(kinds) covers them all."""
    rng = random.Random(seed)
    order = list(KINDS[flavour] if kinds is None else kinds)
    rng.shuffle(order)
    stamp = f"{seed}-{int(time.time()) % 100000:05d}"
    plans = []
    for i in range(n):
        fault = order[i % len(order)]
        prefix = FAIL_MARKER if fault == "failing_step" else "chaos"
        plans.append(
            RunPlan(
                index=i,
                flavour=flavour,
                fault=fault,
                run_id=f"{prefix}-{stamp}-{i:03d}-{fault}",
                # Rounds alternate: the first round (the CI form: one run per kind) kills right after
                # the AWS call (the exactly-once window), the next after a seeded random delay, and
                # so on, so a long run gives every kind both timings equally.
                at_resource=(i // len(order)) % 2 == 0,
                delay=round(rng.uniform(0.0, 1.0), 2),
            )
        )
    return plans


# ----------------------------------------------------------------------------- the stack
@dataclass
class ChaosTarget:
    """What the harness needs of a running stack (the CLI's own stack, or the e2e session fixture's)."""

    stack: Stack
    api: AirflowClient
    emulator_url: str
    restart_lock: threading.Lock = field(default_factory=threading.Lock)

    def pid(self, service: str) -> int:
        return int(self.stack._pids()[service])

    def emr(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "emr",
            endpoint_url=self.emulator_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(
                retries={"mode": "standard", "max_attempts": 10}
            ),  # adaptive mode would rate-limit the audit itself
        )

    def ensure_bucket(self) -> None:
        """The pipelines' log bucket, so a failed step's logs land where diagnostics looks for them."""
        import boto3

        from emr_dags_devkit.bench.shapes import BUCKET

        s3 = boto3.client(
            "s3",
            endpoint_url=self.emulator_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
            s3.create_bucket(Bucket=BUCKET)

    def admin(self) -> Any:
        from emr_dags_devkit.emulator.client import EmulatorAdmin

        return EmulatorAdmin(self.emulator_url, token=self.stack.config.emulator_token())

    # -- components ---------------------------------------------------------------------
    def _service(self, name: str) -> Any:
        return next(s for s in self.stack.services_cache if s.name == name)

    def restart(self, name: str, *, crash: bool) -> None:
        """Kill a component (SIGKILL of its group when ``crash``, else SIGTERM then SIGKILL) and start it again."""
        from emr_dags_devkit.stack.runner import _alive, _stop

        with self.restart_lock:
            pid = self.stack._pids().get(name)
            if pid and _alive(pid):
                if crash:
                    with contextlib.suppress(ProcessLookupError):
                        import os
                        import signal

                        os.killpg(pid, signal.SIGKILL)
                _stop(pid, group=name != SCHEDULER, grace=60.0)
            self.start(name)

    def start(self, name: str) -> None:
        service = self._service(name)
        self.stack._start(service)
        self.stack._wait_healthy(service, time.monotonic() + 120)

    def ensure_running(self) -> list[str]:
        """Start any Airflow component that is not running (after a failed restart); returns what was started."""
        from emr_dags_devkit.stack.runner import _alive

        started = []
        with self.restart_lock:
            for name in (SCHEDULER, TRIGGERER):
                if not _alive(self.stack._pids().get(name)):
                    self.start(name)
                    started.append(name)
        return started

    def healthy(self) -> bool:
        health = self.stack.monitor_health() or {}
        return all(
            health.get(c, {}).get("status") == "healthy" for c in ("scheduler", "triggerer", "dag_processor")
        )


# ------------------------------------------------------------------------------ the audit
@dataclass
class RunResult:
    run_id: str
    dag_id: str
    flavour: str
    fault: str
    injected: bool
    detail: str
    state: str
    expected: str
    seconds: float
    clusters: list[str] = field(default_factory=list)
    duplicate_clusters: int = 0
    duplicate_steps: int = 0
    orphans: int = 0
    job_runs: list[str] = field(default_factory=list)
    duplicate_jobs: int = 0  # extra job runs (or Serverless applications) of one task of the run
    wrong_jobs: int = 0  # job runs that did not end SUCCESS / COMPLETED in a run expected to succeed
    findings: list[str] = field(default_factory=list)

    @property
    def wrong_outcome(self) -> bool:
        """The run ended in the wrong state, or (Serverless / EKS) a job run of it did."""
        return self.state != self.expected or self.wrong_jobs > 0

    @property
    def duplicates(self) -> int:
        return self.duplicate_clusters + self.duplicate_steps + self.duplicate_jobs


def _owned_by(resource: dict[str, Any], dag_id: str, run_id: str) -> bool:
    tags = resource.get("tags") or {}
    return bool(tags.get("emr-dags:dag-id") == dag_id and tags.get("emr-dags:run-id") == run_id)


def job_runs_of_run(state: dict[str, Any], section: str, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """The Serverless (``section="serverless"``) or EKS job runs in an emulator state tagged with the run."""
    return [r for r in state[section]["job_runs"] if _owned_by(r, dag_id, run_id)]


def job_audit(state: dict[str, Any], section: str, result: RunResult) -> RunResult:
    """Audit a Serverless / EKS run from one emulator ``state()``: one job run per task, each
    succeeded, none live, and the run's own Serverless application stopped or deleted."""
    runs = job_runs_of_run(state, section, result.dag_id, result.run_id)
    result.job_runs = [r["id"] for r in runs]
    by_task: dict[str, list[dict[str, Any]]] = {}
    for r in runs:
        by_task.setdefault(r["tags"].get("emr-dags:task-id", "?"), []).append(r)
    for task, task_runs in sorted(by_task.items()):
        if len(task_runs) > 1:
            result.duplicate_jobs += len(task_runs) - 1
            states = ", ".join(f"{r['id']} {r['state']}" for r in task_runs)
            result.findings.append(f"{task} started {len(task_runs)} job runs: {states}")
    if not runs and result.expected == "success":
        result.findings.append("no job run found for the run")
    for r in runs:
        if r["state"] in LIVE_JOB[section]:
            result.orphans += 1
            result.findings.append(f"job run {r['id']} still {r['state']} after the run ended")
        elif result.expected == "success" and r["state"] != JOB_SUCCESS[section]:
            result.wrong_jobs += 1
            result.findings.append(f"job run {r['id']} ended {r['state']}")
    if section == "serverless":
        _audit_applications(state, result)
    return result


def _audit_applications(state: dict[str, Any], result: RunResult) -> None:
    apps = [a for a in state["serverless"]["applications"] if _owned_by(a, result.dag_id, result.run_id)]
    if len(apps) > 1:
        result.duplicate_jobs += len(apps) - 1
        result.findings.append(f"{len(apps)} applications for one run: {[a['id'] for a in apps]}")
    for a in apps:
        if a["state"] not in DONE_APPLICATION:
            result.orphans += 1
            result.findings.append(f"application {a['id']} still {a['state']} after the run ended")


def _job_settled(state: dict[str, Any], section: str, dag_id: str, run_id: str) -> bool:
    live = [r for r in job_runs_of_run(state, section, dag_id, run_id) if r["state"] in LIVE_JOB[section]]
    apps = [
        a
        for a in (state["serverless"]["applications"] if section == "serverless" else [])
        if _owned_by(a, dag_id, run_id) and a["state"] not in DONE_APPLICATION
    ]
    return not live and not apps


class Auditor:
    """AWS-side state of a DAG run, read through the emulator (tags are cached: they never change).

    ``state``: the emulator's ``EmulatorAdmin.state`` (needed for the Serverless / EKS runs).
    """

    def __init__(self, emr: Any, state: Callable[[], dict[str, Any]] | None = None) -> None:
        self.emr = emr
        self.state = state
        self._tags: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def clusters_of_run(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        found = []
        for page in self.emr.get_paginator("list_clusters").paginate():
            for summary in page["Clusters"]:
                cid = summary["Id"]
                with self._lock:
                    tags = self._tags.get(cid)
                if tags is None:
                    cluster = self.emr.describe_cluster(ClusterId=cid)["Cluster"]
                    tags = {t["Key"]: t["Value"] for t in cluster.get("Tags", [])}
                    with self._lock:
                        self._tags[cid] = tags
                if tags.get("emr-dags:dag-id") == dag_id and tags.get("emr-dags:run-id") == run_id:
                    found.append(summary)
        return found

    def steps(self, cluster_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for page in self.emr.get_paginator("list_steps").paginate(ClusterId=cluster_id):
            out.extend(page["Steps"])
        return out

    def audit(self, result: RunResult, *, settle: float = 20.0) -> RunResult:
        section = JOB_DAGS.get(result.dag_id)
        if section is not None:
            return self.audit_jobs(result, section, settle=settle)
        return self.audit_clusters(result, settle=settle)

    def audit_clusters(self, result: RunResult, *, settle: float = 20.0) -> RunResult:
        deadline = time.monotonic() + settle
        while True:
            clusters = self.clusters_of_run(result.dag_id, result.run_id)
            active = [c for c in clusters if c["Status"]["State"] in ACTIVE_CLUSTER]
            if not active or time.monotonic() > deadline:
                break
            time.sleep(1.0)
        result.clusters = [c["Id"] for c in clusters]
        result.duplicate_clusters = max(0, len(clusters) - 1)
        if result.duplicate_clusters:
            result.findings.append(f"{len(clusters)} clusters for one run: {result.clusters}")
        if not clusters and result.expected == "success":
            result.findings.append("no cluster found for the run")
        result.orphans = len(active)
        for c in active:
            result.findings.append(f"cluster {c['Id']} still {c['Status']['State']} after the run ended")
        for c in clusters:
            by_name = Counter(s["Name"] for s in self.steps(c["Id"]) if s["Status"]["State"] in LIVE_STEP)
            for name, count in by_name.items():
                if count > 1:
                    result.duplicate_steps += count - 1
                    result.findings.append(f"step {name!r} ran {count} times on {c['Id']}")
        if result.state != result.expected:
            result.findings.append(f"run ended {result.state}, expected {result.expected}")
        return result

    def audit_jobs(self, result: RunResult, section: str, *, settle: float = 20.0) -> RunResult:
        if self.state is None:
            raise ValueError(
                "Auditor.state: needed to audit a Serverless / EKS run; pass EmulatorAdmin.state"
            )
        deadline = time.monotonic() + settle
        while True:
            state = self.state()
            if _job_settled(state, section, result.dag_id, result.run_id) or time.monotonic() > deadline:
                break
            time.sleep(1.0)
        job_audit(state, section, result)
        if result.state != result.expected:
            result.findings.append(f"run ended {result.state}, expected {result.expected}")
        return result


# ------------------------------------------------------------------------------ one run
class Injector:
    """Delivers one run's fault. Runs in the run's thread; returns (injected, detail)."""

    def __init__(
        self,
        target: ChaosTarget,
        auditor: Auditor,
        plan: RunPlan,
        rng: random.Random,
        fault_lock: threading.Lock | None = None,
    ) -> None:
        self.t = target
        self.auditor = auditor
        self.plan = plan
        self.rng = rng
        self.tasks = TASKS[plan.flavour]
        self.fault_lock = fault_lock or threading.Lock()

    def _tis(self) -> dict[str, dict[str, Any]]:
        try:
            return {ti["task_id"]: ti for ti in self.t.api.task_instances(self.plan.dag_id, self.plan.run_id)}
        except Exception:
            return {}

    def _run_over(self) -> bool:
        try:
            return self.t.api.dag_run(self.plan.dag_id, self.plan.run_id)["state"] in ("success", "failed")
        except Exception:
            return False

    def _until(self, cond: Callable[[], Any], timeout: float = 600.0, every: float = 0.5) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = cond()
            if value:
                return value
            if self._run_over():
                return None
            time.sleep(every)
        return None

    def deliver(self) -> tuple[bool, str]:
        fault = self.plan.fault
        if fault.startswith("kill_"):
            return self._kill(fault.removeprefix("kill_"))
        if fault in ("restart_triggerer", "restart_scheduler"):
            return self._restart(TRIGGERER if fault == "restart_triggerer" else SCHEDULER)
        return True, "configured before the run"  # throttle / 5xx / failing step

    # -- SIGKILL of a task process ----------------------------------------------------------
    def _aws_effect(self, phase: str) -> Callable[[], bool]:
        section = {"serverless_start": "serverless", "eks_start": "eks"}.get(phase)
        if section is not None:  # the job run is in the emulator (admin route: never faulted or slowed)
            admin = self.t.admin()
            return lambda: bool(job_runs_of_run(admin.state(), section, self.plan.dag_id, self.plan.run_id))
        if phase == "create":  # from the admin state too: DescribeCluster is the call slowed here
            admin = self.t.admin()
            return lambda: any(
                _owned_by(c, self.plan.dag_id, self.plan.run_id) for c in admin.state()["clusters"]
            )
        cluster_ids = [c["Id"] for c in self.auditor.clusters_of_run(self.plan.dag_id, self.plan.run_id)]
        if phase == "submit":
            return lambda: any(
                s["Name"].startswith("step_01") for cid in cluster_ids for s in self.auditor.steps(cid)
            )
        if phase == "teardown":
            return lambda: any(
                c["Status"]["State"] not in ACTIVE_CLUSTER
                for c in self.auditor.emr.list_clusters()["Clusters"]
                if c["Id"] in cluster_ids
            )
        return lambda: True

    def _running_ti(self, task_id: str, *, resumed: bool) -> dict[str, Any] | None:
        """Wait until ``task_id`` runs in a task process (``resumed``: after a deferral); its TI."""
        seen_deferred = False

        def running_ti() -> dict[str, Any] | None:
            nonlocal seen_deferred
            ti = self._tis().get(task_id)
            if not ti:
                return None
            if ti["state"] == "deferred":
                seen_deferred = True
            if ti["state"] != "running" or (resumed and not seen_deferred):
                return None
            pid = procs.task_process(self.t.pid(SCHEDULER), ti["id"])
            return {**ti, "os_pid": pid} if pid else None

        return self._until(running_ti, every=0.3)  # type: ignore[no-any-return]

    def _kill(self, phase: str) -> tuple[bool, str]:
        task_id = self.tasks[phase]
        ti = self._running_ti(task_id, resumed=phase == "wait" and self.plan.flavour == "emr-dags")
        if ti is None:
            return False, f"{task_id} never ran in a killable window"
        how = f"after {self.plan.delay}s"
        widen = False
        try:
            if self.plan.at_resource:
                # The dangerous window is between a task's AWS call and its report to Airflow. Both
                # sides call DescribeCluster right after RunJobFlow / AddJobFlowSteps /
                # TerminateJobFlows (console link, result), and the job tasks GetJobRun /
                # DescribeJobRun right after StartJobRun, so latency on that call holds the window
                # open for the kill. The run's cluster is
                # resolved first: the effect check itself never calls DescribeCluster.
                effect = self._aws_effect(phase)
                if phase in WIDEN_WINDOW:
                    widen = self.fault_lock.acquire(timeout=5)
                    if widen:
                        self.t.admin().set_faults(WIDEN_WINDOW[phase], seed=self.plan.index)
                if self._until(effect, every=0.2) is None:
                    return False, f"{task_id}: AWS effect never seen"
                what = "as it resumed after its deferral" if phase == "wait" else "right after its AWS call"
                how = what + (" (window held open)" if widen else "")
            else:
                time.sleep(self.plan.delay)
            pid = procs.task_process(self.t.pid(SCHEDULER), ti["id"])
            if pid is None:
                return False, f"{task_id} try {ti['try_number']} ended before the kill ({how})"
            procs.sigkill(pid)
        finally:
            if widen:
                self.t.admin().clear_faults()
                self.fault_lock.release()
        bit = self._forced_retry(task_id, int(ti["try_number"]))
        return True, f"SIGKILL {task_id} try {ti['try_number']} pid {pid} {how}; {bit}"

    def _forced_retry(self, task_id: str, killed_try: int) -> str:
        """Did the kill cost the task its try (a retry follows), or had it already reported?"""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ti = self._tis().get(task_id) or {}
            if int(ti.get("try_number") or 0) > killed_try or ti.get("state") in ("up_for_retry", "failed"):
                return "forced a retry"
            if ti.get("state") in ("success", "deferred") and int(ti.get("try_number") or 0) == killed_try:
                return "task had already reported (no retry)"
            time.sleep(0.5)
        return "retry not observed"

    # -- component restarts ---------------------------------------------------------------
    def _restart(self, service: str) -> tuple[bool, str]:
        task_id = self.tasks["wait"]
        want = "deferred" if self.plan.flavour == "emr-dags" else "running"
        ti = self._until(lambda: (self._tis().get(task_id) or {}).get("state") == want)
        if ti is None:
            return False, f"{task_id} never {want}"
        time.sleep(self.plan.delay / 3)
        self.t.restart(service, crash=service == TRIGGERER)
        return (
            True,
            f"{'SIGKILL' if service == TRIGGERER else 'SIGTERM'} + restart {service} while {task_id} {want}",
        )


# ----------------------------------------------------------------------------- the suite
@dataclass
class ChaosReport:
    seed: int
    results: list[RunResult]
    seconds: float

    def of(self, flavour: str) -> list[RunResult]:
        return [r for r in self.results if r.flavour == flavour]

    def summary(self, flavour: str = "emr-dags") -> dict[str, Any]:
        rs = self.of(flavour)
        return {
            "flavour": flavour,
            "runs": len(rs),
            "faults_injected": sum(r.injected for r in rs),
            "faults": dict(Counter(r.fault for r in rs if r.injected)),
            "kills_forcing_a_retry": sum("forced a retry" in r.detail for r in rs),
            "kills": sum(r.fault.startswith("kill_") and r.injected for r in rs),
            "duplicates": sum(r.duplicates for r in rs),
            "duplicate_clusters": sum(r.duplicate_clusters for r in rs),
            "duplicate_steps": sum(r.duplicate_steps for r in rs),
            "duplicate_jobs": sum(r.duplicate_jobs for r in rs),
            "orphans": sum(r.orphans for r in rs),
            "wrong_outcomes": sum(r.wrong_outcome for r in rs),
        }

    def line(self, flavour: str = "emr-dags") -> str:
        s = self.summary(flavour)
        return (
            f"chaos {flavour}: runs={s['runs']} faults_injected={s['faults_injected']} "
            f"(kills forcing a retry {s['kills_forcing_a_retry']}/{s['kills']}) "
            f"duplicates={s['duplicates']} orphans={s['orphans']} wrong_outcomes={s['wrong_outcomes']} "
            f"(seed={self.seed}, {self.seconds:.0f}s)"
        )

    def failed(self, flavour: str = "emr-dags") -> bool:
        s = self.summary(flavour)
        return bool(s["duplicates"] or s["orphans"] or s["wrong_outcomes"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "seconds": self.seconds,
            "summaries": [self.summary(f) for f in sorted({r.flavour for r in self.results})],
            "runs": [{**asdict(r), "wrong_outcome": r.wrong_outcome} for r in self.results],
        }


@contextlib.contextmanager
def chaos_environment(target: ChaosTarget) -> Iterator[None]:
    """Install the failing-step rule; on exit restore the emulator's rules and faults, and restart
    any component a fault left stopped, so whatever runs next on this stack is unaffected."""
    admin = target.admin()
    target.ensure_bucket()
    rules_before = admin.rules()
    faults_before = admin.faults()
    admin.set_rules([FAIL_RULE, SLOW_STEPS_RULE, *SLOW_JOBS_RULES, *rules_before])
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            admin.set_faults(faults_before.get("rules") or [], seed=faults_before.get("seed"))
        admin.set_rules(rules_before)
        target.ensure_running()


def _api_retry(call: Callable[[], Any], *, attempts: int = 8) -> Any:
    """Airflow's API on SQLite answers 500 ("database is locked") under concurrent writes: retry."""
    from emr_dags_devkit.stack.api import AirflowApiError

    for attempt in range(1, attempts + 1):
        try:
            return call()
        except AirflowApiError as exc:
            if exc.status not in (500, 502, 503) or attempt == attempts:
                raise
        except OSError:
            if attempt == attempts:
                raise
        time.sleep(min(10.0, 0.5 * 2**attempt))
    return None


def _trigger(target: ChaosTarget, plan: RunPlan) -> None:
    from emr_dags_devkit.stack.api import AirflowApiError

    try:
        _api_retry(lambda: target.api.trigger(plan.dag_id, run_id=plan.run_id))
    except AirflowApiError as exc:
        if exc.status != 409:  # 409: an earlier attempt did create the run
            raise


def run_one(
    target: ChaosTarget, auditor: Auditor, plan: RunPlan, *, run_timeout: float, fault_lock: threading.Lock
) -> RunResult:
    rng = random.Random(f"{plan.run_id}")
    admin = target.admin()
    started = time.monotonic()
    fault_rules = FAULTS.get(plan.fault)
    if fault_rules:
        fault_lock.acquire()  # emulator faults are global: one faulted window at a time
        admin.set_faults(fault_rules, seed=plan.index)
    injected, detail = False, ""
    state = "timeout"
    try:
        time.sleep(plan.index % 10 * 1.5)  # stagger: SQLite serialises the API's writes
        _trigger(target, plan)
        injected, detail = Injector(target, auditor, plan, rng, fault_lock).deliver()
        deadline = time.monotonic() + run_timeout
        while time.monotonic() < deadline:
            state = _api_retry(lambda: target.api.dag_run(plan.dag_id, plan.run_id))["state"]
            if state in ("success", "failed"):
                break
            time.sleep(1.0)
        else:
            state = f"stuck:{state}"
    finally:
        if fault_rules:
            count = sum(admin.faults().get("injected", {}).values())
            admin.clear_faults()
            fault_lock.release()
            injected, detail = count > 0, f"{plan.fault}: {count} faulted calls"
    result = RunResult(
        run_id=plan.run_id,
        dag_id=plan.dag_id,
        flavour=plan.flavour,
        fault=plan.fault,
        injected=injected,
        detail=detail,
        state=state,
        expected=plan.expected,
        seconds=round(time.monotonic() - started, 1),
    )
    with fault_lock:  # audit with faults off (the audit's own calls must not be faulted)
        return auditor.audit(result)


def run_chaos(
    target: ChaosTarget,
    *,
    runs: int,
    seed: int = 7,
    flavours: tuple[str, ...] = ("emr-dags",),
    concurrency: int = 2,
    run_timeout: float = 300.0,
    echo: Callable[[str], None] = print,
) -> ChaosReport:
    from concurrent.futures import ThreadPoolExecutor

    plans = [p for f in flavours for p in plan_runs(runs, seed=seed, flavour=f)]
    for dag_id in sorted({p.dag_id for p in plans}):
        target.api.wait_for_dags([dag_id], timeout=180)
        _api_retry(partial(target.api.unpause, dag_id))
    auditor = Auditor(target.emr(), state=target.admin().state)
    fault_lock = threading.Lock()
    started = time.monotonic()
    results: list[RunResult] = []
    with chaos_environment(target):
        pool = ThreadPoolExecutor(max_workers=max(1, concurrency))
        try:
            futures = [
                pool.submit(run_one, target, auditor, p, run_timeout=run_timeout, fault_lock=fault_lock)
                for p in plans
            ]
            for future in futures:
                r = future.result()
                results.append(r)
                mark = "ok" if not (r.duplicates or r.orphans or r.wrong_outcome) else "BAD"
                echo(
                    f"  [{mark}] {r.flavour:8} {r.run_id:45} {r.state:8} {r.seconds:5.0f}s {r.detail}"
                    + (f" | {'; '.join(r.findings)}" if r.findings else "")
                )
        except BaseException:
            # Ctrl-C / SIGTERM (SystemExit): drop the queued runs instead of waiting for every one
            # of them, so the caller's stack teardown runs now (the runs in flight then fail fast).
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    return ChaosReport(seed=seed, results=results, seconds=round(time.monotonic() - started, 1))


def write_report(report: ChaosReport, folder: str = ".bench-results") -> str:
    from pathlib import Path

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"chaos-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report.to_dict(), indent=2))
    return str(path)
