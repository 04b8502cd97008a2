"""EMR on EC2: cluster and step lifecycles on top of moto's EMR backend.

moto keeps the API surface (request parsing, validation, serialisation). We keep a little simulation
state on each moto object (``_emu``) and move the objects through EMR's states as simulated time
passes: STARTING -> BOOTSTRAPPING -> RUNNING/WAITING -> TERMINATING -> TERMINATED[_WITH_ERRORS],
and steps PENDING -> RUNNING -> COMPLETED/FAILED/CANCELLED/INTERRUPTED, honouring
StepConcurrencyLevel, ActionOnFailure, KeepJobFlowAliveWhenNoSteps and AutoTerminationPolicy.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moto.emr.models import Cluster as MotoCluster
from moto.emr.models import Step as MotoStep
from moto.emr.models import emr_backends

from emr_dags.aws import states
from emr_dags.cost import weights
from emr_dags_devkit.emulator.errors import AwsError, Reply, json_reply
from emr_dags_devkit.emulator.rules import Decision, Outcome, RunInfo, Service

if TYPE_CHECKING:
    from emr_dags_devkit.emulator.engine import Engine

ACTIVE_CLUSTER_STATES = states.CLUSTER_ACTIVE
DONE_CLUSTER_STATES = states.CLUSTER_ENDED
DONE_STEP_STATES = states.STEP_TERMINAL
RELEASE_LABEL = re.compile(r"^emr-\d+\.\d+\.\d+$")
MAX_ACTIVE_STEPS = 256  # PENDING + RUNNING + CANCEL_PENDING steps a cluster may hold
# ActionOnFailure values AddJobFlowSteps refuses on a cluster whose StepConcurrencyLevel is above 1.
SERIAL_ONLY_ACTIONS = ("TERMINATE_CLUSTER", "TERMINATE_JOB_FLOW", "CANCEL_AND_WAIT")


def normalization_factor(instance_type: str | None) -> float:
    """EMR's normalised instance hour factor, from the product's one table (``emr_dags.cost.weights``);
    an unknown size counts as xlarge (8)."""
    return weights.normalization_factor(instance_type or "m5.xlarge") or 8.0


@dataclass(kw_only=True, slots=True)
class StepSim:
    added: float
    decision: Decision | None = None
    started: float | None = None
    due: float | None = None  # simulated instant a running step ends; None = hang / local process
    cancel_due: float | None = None
    runs: int = 0
    reason_message: str | None = None
    failure: dict[str, str] | None = None
    local: Any = None  # LocalProcess when --local-exec runs it
    logs_due: float | None = None


@dataclass(kw_only=True, slots=True)
class ClusterSim:
    engine: Engine
    account: str
    region: str
    created: float
    phase_due: float
    keep_alive: bool
    idle_timeout_s: float | None = None
    idle_since: float | None = None
    end_state: str = "TERMINATED"
    reason_code: str | None = None
    reason_message: str | None = None
    started: float | None = None
    ended: float | None = None
    failed_step: bool = False
    step_name_runs: dict[str, int] = field(default_factory=dict)
    # Instance fleets (moto ignores them): role -> (instance type, units), for types and instance hours.
    fleets: dict[str, tuple[str, int]] = field(default_factory=dict)


def _fleets(instances: dict[str, Any]) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    fleets = instances.get("InstanceFleets")
    for fleet in fleets if isinstance(fleets, list) else []:
        if not isinstance(fleet, dict):
            continue
        configs = fleet.get("InstanceTypeConfigs") or [{}]
        first = configs[0] if isinstance(configs[0], dict) else {}
        units = int(fleet.get("TargetOnDemandCapacity") or 0) + int(fleet.get("TargetSpotCapacity") or 0)
        out[str(fleet.get("InstanceFleetType", "TASK"))] = (
            str(first.get("InstanceType", "m5.xlarge")),
            max(units, 0),
        )
    return out


class EmulatedCluster(MotoCluster):
    """moto's Cluster with EMR's status reason codes and instance hours that follow simulated time."""

    _emu: ClusterSim
    _emu_state_before: str | None

    @property
    def status(self) -> dict[str, Any]:
        emu = self._emu
        reason: dict[str, Any] = {}
        if emu.reason_code:
            reason["Code"] = emu.reason_code
        if emu.reason_message:
            reason["Message"] = emu.reason_message
        return {
            "State": self.state,
            "StateChangeReason": reason,
            "Timeline": {
                "CreationDateTime": self.creation_datetime,
                "ReadyDateTime": self.ready_datetime,
                "EndDateTime": self.end_datetime,
            },
        }

    @property  # type: ignore[override]
    def normalized_instance_hours(self) -> int:
        emu = getattr(self, "_emu", None)
        if emu is None or emu.started is None:
            return 0
        end = emu.ended if emu.ended is not None else emu.engine.clock.now()
        hours = max(1, math.ceil((end - emu.started) / 3600.0))
        by_id = self.emr_backend.instance_groups  # direct lookups: moto's .instance_groups scans every group
        groups = [by_id[i] for i in self.instance_group_ids if i in by_id]
        if groups:
            per_hour = sum(normalization_factor(g.instance_type) * g.num_instances for g in groups)
        elif emu.fleets:
            per_hour = sum(normalization_factor(t) * units for t, units in emu.fleets.values())
        else:
            per_hour = normalization_factor(None)
        return int(hours * per_hour)

    @normalized_instance_hours.setter
    def normalized_instance_hours(self, value: int) -> None:  # moto's __init__ assigns 0
        pass

    # moto looks these up by instance group id, which an instance-fleet cluster doesn't have.
    @property
    def master_instance_type(self) -> str | None:  # type: ignore[override]
        if self.master_instance_group_id:
            return str(self.emr_backend.instance_groups[self.master_instance_group_id].instance_type)
        return self._emu.fleets.get("MASTER", (None, 0))[0]

    @property
    def slave_instance_type(self) -> str | None:  # type: ignore[override]
        if self.core_instance_group_id:
            return str(self.emr_backend.instance_groups[self.core_instance_group_id].instance_type)
        return self._emu.fleets.get("CORE", (None, 0))[0]


class EmulatedStep(MotoStep):
    _emu: StepSim

    @property
    def status(self) -> dict[str, Any]:
        emu = self._emu
        status: dict[str, Any] = {
            "State": self.state,
            "StateChangeReason": {"Message": emu.reason_message} if emu.reason_message else {},
            "Timeline": {
                "CreationDateTime": self.creation_date_time,
                "StartDateTime": self.start_date_time,
                "EndDateTime": self.end_date_time,
            },
        }
        if emu.failure:
            status["FailureDetails"] = emu.failure
        return status


def _steps(cluster: Any) -> list[EmulatedStep]:
    """A cluster's steps (EmulatedStep once adopted; a cluster moto made without us has plain Steps)."""
    return cluster.steps  # type: ignore[no-any-return]


def _param_cluster_id(body: dict[str, Any]) -> str | None:
    for key in ("ClusterId", "JobFlowId", "ResourceId"):
        value = body.get(key)
        if isinstance(value, str):
            return value
    return None


class EmrSim:
    """Hooks for the EMR (elasticmapreduce) API, and the tick that moves clusters along."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.active: dict[str, EmulatedCluster] = {}
        # (due, seq, cluster id): a cluster is looked at only when its next event is due. Entries
        # whose due no longer matches self._due are stale and skipped.
        self._heap: list[tuple[float, int, str]] = []
        self._due: dict[str, float] = {}
        self._seq = itertools.count()

    def reset(self) -> None:
        self.active.clear()
        self._heap.clear()
        self._due.clear()

    def _reschedule(self, cluster: EmulatedCluster) -> None:
        due = self._cluster_due(cluster) if cluster.id in self.active else math.inf
        if self._due.get(cluster.id) == due:
            return
        self._due[cluster.id] = due
        if due < math.inf:
            heapq.heappush(self._heap, (due, next(self._seq), cluster.id))

    # -- lookups ------------------------------------------------------------------------------
    def backend(self, account: str, region: str) -> Any:
        return emr_backends[account][region]

    def cluster(self, account: str, region: str, cluster_id: Any) -> EmulatedCluster:
        clusters = self.backend(account, region).clusters
        if not isinstance(cluster_id, str) or cluster_id not in clusters:
            raise AwsError("InvalidRequestException", f"Cluster id '{cluster_id}' is not valid.")
        return clusters[cluster_id]

    def all_clusters(self) -> list[EmulatedCluster]:
        out: list[EmulatedCluster] = []
        for account in list(emr_backends.keys()):
            for region in list(dict.keys(emr_backends[account])):
                out.extend(dict.__getitem__(emr_backends[account], region).clusters.values())  # type: ignore[arg-type]
        return out

    # -- request hooks ------------------------------------------------------------------------
    def before(self, action: str, body: dict[str, Any], account: str, region: str) -> Reply | None:
        if action == "RunJobFlow":
            label = body.get("ReleaseLabel")
            if label is not None and (not isinstance(label, str) or not RELEASE_LABEL.match(label)):
                raise AwsError(
                    "ValidationException",
                    f"The requested release label '{label}' is not valid. Expected a label like 'emr-7.5.0'.",
                )
            instances = body.get("Instances") or {}
            if instances.get("InstanceGroups") and instances.get("InstanceFleets"):
                raise AwsError(
                    "ValidationException",
                    "Instances: specify instance groups or instance fleets, not both.",
                )
            return None
        if action == "TerminateJobFlows":
            return self._terminate_job_flows(body, account, region)
        if action == "CancelSteps":
            return self._cancel_steps(body, account, region)
        if action in ("PutAutoTerminationPolicy", "GetAutoTerminationPolicy", "RemoveAutoTerminationPolicy"):
            return self._auto_termination(action, body, account, region)
        cid = _param_cluster_id(body)
        if cid is not None and action not in ("ListClusters", "DescribeJobFlows"):
            self._check_cluster_request(action, body, self.cluster(account, region, cid))
        return None

    @staticmethod
    def _check_cluster_request(action: str, body: dict[str, Any], cluster: EmulatedCluster) -> None:
        if action == "AddJobFlowSteps":
            EmrSim._check_add_steps(body, cluster)
        if action == "DescribeStep":
            step_id = body.get("StepId")
            if not any(s.id == step_id for s in _steps(cluster)):
                raise AwsError("InvalidRequestException", f"Step id '{step_id}' is not valid.")
        if action == "ModifyCluster" and "StepConcurrencyLevel" in body:
            level = body["StepConcurrencyLevel"]
            if not isinstance(level, int) or not 1 <= level <= 256:
                raise AwsError(
                    "ValidationException", f"StepConcurrencyLevel {level!r} must be between 1 and 256."
                )

    @staticmethod
    def _check_add_steps(body: dict[str, Any], cluster: EmulatedCluster) -> None:
        if cluster.state in DONE_CLUSTER_STATES:
            raise AwsError(
                "ValidationException",
                "A job flow that is shutting down, terminated, or finished may not be modified.",
            )
        steps = [s for s in body.get("Steps") or [] if isinstance(s, dict)]
        level = int(cluster.step_concurrency_level or 1)
        for step in steps:
            action = step.get("ActionOnFailure")
            if level > 1 and action in SERIAL_ONLY_ACTIONS:
                raise AwsError(
                    "ValidationException",
                    f"ActionOnFailure {action} is not valid for step '{step.get('Name')}': the cluster's "
                    f"StepConcurrencyLevel is {level}; only CONTINUE is supported when steps run concurrently.",
                )
        active = sum(1 for s in _steps(cluster) if s.state in states.STEP_ACTIVE)
        if active + len(steps) > MAX_ACTIVE_STEPS:
            raise AwsError(
                "ValidationException",
                "Maximum number of active steps(State = 'Running', 'Pending' or 'Cancel_Pending') for cluster "
                f"exceeded ({MAX_ACTIVE_STEPS}).",
            )

    def after(
        self, action: str, body: dict[str, Any], result: dict[str, Any], account: str, region: str
    ) -> None:
        now = self.engine.clock.now()
        if action == "RunJobFlow":
            cluster = self.backend(account, region).clusters[result["JobFlowId"]]
            self._adopt_cluster(cluster, body, account, region, now)
        elif action == "AddJobFlowSteps":
            cluster = self.backend(account, region).clusters[body["JobFlowId"]]
            if not hasattr(cluster, "_emu"):
                return  # made by moto without us (e.g. CloudFormation): leave it to moto
            previous = cluster._emu_state_before
            cluster.state = previous
            new_ids = set(result.get("StepIds", []))
            for index, step in enumerate(s for s in _steps(cluster) if s.id in new_ids):
                self._adopt_step(step, now, index)
            self._advance_cluster(cluster, now)
        elif action == "ModifyCluster":
            cluster = self.backend(account, region).clusters[body["ClusterId"]]
            if hasattr(cluster, "_emu"):
                self._advance_cluster(cluster, now)

    def remember(self, action: str, body: dict[str, Any], account: str, region: str) -> None:
        """Save what moto will overwrite (AddJobFlowSteps sets the cluster RUNNING unconditionally)."""
        if action == "AddJobFlowSteps":
            cluster = self.cluster(account, region, body.get("JobFlowId"))
            cluster._emu_state_before = cluster.state

    def _adopt_cluster(
        self, cluster: Any, body: dict[str, Any], account: str, region: str, now: float
    ) -> None:
        cluster.__class__ = EmulatedCluster
        timings = self.engine.timings
        instances = body.get("Instances") or {}
        policy = body.get("AutoTerminationPolicy") or {}
        idle = policy.get("IdleTimeout")
        cluster._emu = ClusterSim(
            engine=self.engine,
            account=account,
            region=region,
            created=now,
            started=now,
            phase_due=now + timings.cluster_starting * 60,
            keep_alive=bool(instances.get("KeepJobFlowAliveWhenNoSteps", False))
            or cluster.keep_job_flow_alive_when_no_steps,
            idle_timeout_s=float(idle) if isinstance(idle, int | float) else None,
            fleets=_fleets(instances),
        )
        cluster.state = "STARTING"
        cluster.creation_datetime = self.engine.clock.real_at(now)
        cluster.start_datetime = None
        cluster.ready_datetime = None
        cluster.end_datetime = None
        for group in cluster.instance_groups:
            group.state = "PROVISIONING"
            group.ready_date_time = None
            group.end_date_time = None
        for index, step in enumerate(_steps(cluster)):
            self._adopt_step(step, now, index)
        self.active[cluster.id] = cluster
        self._reschedule(cluster)

    def _adopt_step(self, step: Any, now: float, index: int) -> None:
        step.__class__ = EmulatedStep
        step._emu = StepSim(added=now + index * 1e-6)
        step.state = "PENDING"
        # Distinct, ordered creation times so ListSteps sorts newest first like EMR.
        step.creation_date_time = self.engine.clock.real_at(now + index * 1e-3)
        step.start_date_time = None
        step.end_date_time = None

    def _terminate_job_flows(self, body: dict[str, Any], account: str, region: str) -> Reply:
        ids = body.get("JobFlowIds")
        if not isinstance(ids, list) or not ids:
            raise AwsError("ValidationException", "JobFlowIds must contain at least one job flow id.")
        clusters = [self.cluster(account, region, cid) for cid in ids]
        protected = [c.id for c in clusters if c.termination_protected and c.state not in DONE_CLUSTER_STATES]
        if protected:
            raise AwsError(
                "ValidationException",
                "Could not shut down one or more job flows since they are termination protected.",
            )
        now = self.engine.clock.now()
        for cluster in clusters:
            if cluster.state not in DONE_CLUSTER_STATES and hasattr(cluster, "_emu"):
                self._terminate(cluster, now, "USER_REQUEST", "Terminated by user request", "TERMINATED")
                self._reschedule(cluster)
        return json_reply("json", {})

    def _cancel_steps(self, body: dict[str, Any], account: str, region: str) -> Reply:
        cluster = self.cluster(account, region, body.get("ClusterId"))
        option = body.get("StepCancellationOption", "SEND_INTERRUPT")
        if option not in ("SEND_INTERRUPT", "TERMINATE_PROCESS"):
            raise AwsError("ValidationException", f"StepCancellationOption {option!r} is not valid.")
        step_ids = body.get("StepIds")
        if not isinstance(step_ids, list):
            raise AwsError("ValidationException", "StepIds is required.")
        now = self.engine.clock.now()
        by_id = {s.id: s for s in _steps(cluster)}
        infos = []
        for step_id in step_ids:
            step = by_id.get(step_id)
            if step is None:
                infos.append(
                    {"StepId": step_id, "Status": "FAILED", "Reason": f"Step id '{step_id}' is not valid."}
                )
            elif step.state == "PENDING":
                self._end_step(step, now, "CANCELLED", "Cancelled by user request")
                infos.append({"StepId": step_id, "Status": "SUBMITTED"})
            elif step.state == "RUNNING":
                step.state = "CANCEL_PENDING"
                step._emu.cancel_due = now + self.engine.timings.step_cancel * 60
                self.engine.local.kill(step._emu.local, hard=option == "TERMINATE_PROCESS")
                infos.append({"StepId": step_id, "Status": "SUBMITTED"})
            else:
                infos.append(
                    {
                        "StepId": step_id,
                        "Status": "FAILED",
                        "Reason": f"Step is in state {step.state} and cannot be cancelled.",
                    }
                )
        self._advance_cluster(cluster, now)
        return json_reply("json", {"CancelStepsInfoList": infos})

    def _auto_termination(self, action: str, body: dict[str, Any], account: str, region: str) -> Reply:
        cluster = self.cluster(account, region, body.get("ClusterId"))
        emu = cluster._emu
        if action == "PutAutoTerminationPolicy":
            idle = (body.get("AutoTerminationPolicy") or {}).get("IdleTimeout")
            if not isinstance(idle, int) or not 60 <= idle <= 604800:
                raise AwsError("ValidationException", "IdleTimeout must be between 60 and 604800 seconds.")
            emu.idle_timeout_s = float(idle)
            self._reschedule(cluster)
            return json_reply("json", {})
        if action == "RemoveAutoTerminationPolicy":
            emu.idle_timeout_s = None
            self._reschedule(cluster)
            return json_reply("json", {})
        if emu.idle_timeout_s is None:
            return json_reply("json", {})
        return json_reply("json", {"AutoTerminationPolicy": {"IdleTimeout": int(emu.idle_timeout_s)}})

    # -- simulation ---------------------------------------------------------------------------
    def next_due(self) -> float:
        heap = self._heap
        while heap and self._due.get(heap[0][2]) != heap[0][0]:
            heapq.heappop(heap)  # stale
        return heap[0][0] if heap else math.inf

    def _cluster_due(self, cluster: EmulatedCluster) -> float:
        emu = cluster._emu
        if cluster.state in ("STARTING", "BOOTSTRAPPING", "TERMINATING"):
            return emu.phase_due
        due = math.inf
        for step in _steps(cluster):
            s = step._emu
            if step.state == "RUNNING" and s.due is not None:
                due = min(due, s.due)
            elif step.state == "CANCEL_PENDING" and s.cancel_due is not None:
                due = min(due, s.cancel_due)
        idle_due = self._idle_due(cluster)
        if idle_due is not None:
            due = min(due, idle_due)
        return due

    def _idle_due(self, cluster: EmulatedCluster) -> float | None:
        """When a WAITING cluster's auto-termination fires (simulated seconds), if it has a policy."""
        emu = cluster._emu
        if cluster.state != "WAITING" or emu.idle_timeout_s is None or emu.idle_since is None:
            return None
        return emu.idle_since + emu.idle_timeout_s * self.engine.timings.idle_timeout_factor

    def tick(self, now: float) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            due, _, cluster_id = heapq.heappop(heap)
            if self._due.get(cluster_id) != due:
                continue  # stale entry
            self._due.pop(cluster_id, None)
            cluster = self.active.get(cluster_id)
            if cluster is not None:
                self._advance_cluster(cluster, now)

    def _advance_cluster(self, cluster: EmulatedCluster, now: float) -> None:
        for _ in range(100_000):  # each pass handles one event in time order
            if not self._advance_once(cluster, now):
                break
        self._fill_slots(cluster, now)  # a raised StepConcurrencyLevel or new steps may free slots
        self._settle(cluster, now)
        if cluster.state in states.CLUSTER_FINISHED:
            self.active.pop(cluster.id, None)
        self._reschedule(cluster)

    def _advance_once(self, cluster: EmulatedCluster, now: float) -> bool:
        state = cluster.state
        if state in ("STARTING", "BOOTSTRAPPING", "TERMINATING"):
            if now < cluster._emu.phase_due:
                return False
            self._end_phase(cluster)
            return True
        if state in states.CLUSTER_READY:
            due = self._cluster_due(cluster)
            if due > now:
                return False
            self._handle_event(cluster, due)
            return True
        return False

    def _end_phase(self, cluster: EmulatedCluster) -> None:
        """STARTING -> BOOTSTRAPPING -> RUNNING/WAITING, or TERMINATING -> TERMINATED[_WITH_ERRORS]."""
        emu = cluster._emu
        at = emu.phase_due
        clock = self.engine.clock
        if cluster.state == "STARTING":
            cluster.state = "BOOTSTRAPPING"
            cluster.start_datetime = max(clock.real_at(at), cluster.creation_datetime)
            emu.phase_due += self.engine.timings.cluster_bootstrapping * 60
        elif cluster.state == "BOOTSTRAPPING":
            cluster.ready_datetime = max(
                clock.real_at(at), cluster.start_datetime or cluster.creation_datetime
            )
            for group in cluster.instance_groups:
                group.state = "RUNNING"
                group.ready_date_time = cluster.ready_datetime
            cluster.state = "RUNNING"
            self._fill_slots(cluster, at)
            self._settle(cluster, at)
        else:
            cluster.state = emu.end_state
            emu.ended = at
            cluster.end_datetime = max(clock.real_at(at), cluster.ready_datetime or cluster.creation_datetime)
            for group in cluster.instance_groups:
                group.state = "ENDED"
                group.end_date_time = cluster.end_datetime

    def _handle_event(self, cluster: EmulatedCluster, at: float) -> None:
        emu = cluster._emu
        idle_due = self._idle_due(cluster)
        if idle_due is not None and idle_due <= at:
            message = f"Cluster was idle for {int(emu.idle_timeout_s)} seconds (auto-termination policy)"
            self._terminate(cluster, at, "ALL_STEPS_COMPLETED", message, "TERMINATED")
            return
        for step in _steps(cluster):
            s = step._emu
            if step.state == "CANCEL_PENDING" and s.cancel_due is not None and s.cancel_due <= at:
                self._end_step(step, s.cancel_due, "CANCELLED", "Cancelled by user request")
                break
            if step.state == "RUNNING" and s.due is not None and s.due <= at:
                self._finish_step(cluster, step, s.due)
                if cluster.state in DONE_CLUSTER_STATES:
                    return
                break
        self._fill_slots(cluster, at)
        self._settle(cluster, at)

    def _fill_slots(self, cluster: EmulatedCluster, at: float) -> None:
        if cluster.state not in states.CLUSTER_READY:
            return
        running = sum(1 for s in _steps(cluster) if s.state in ("RUNNING", "CANCEL_PENDING"))
        level = max(1, int(cluster.step_concurrency_level or 1))
        for step in sorted((s for s in _steps(cluster) if s.state == "PENDING"), key=lambda s: s._emu.added):
            if running >= level:
                break
            self._start_step(cluster, step, at)
            running += 1

    def _settle(self, cluster: EmulatedCluster, at: float) -> None:
        """RUNNING while any step is active; otherwise WAITING or (no keep-alive) terminate."""
        emu = cluster._emu
        if cluster.state not in states.CLUSTER_READY:
            return
        busy = any(s.state in states.STEP_ACTIVE for s in _steps(cluster))
        if busy:
            cluster.state = "RUNNING"
            emu.idle_since = None
            return
        if not emu.keep_alive:
            self._terminate(cluster, at, "ALL_STEPS_COMPLETED", "Steps completed", "TERMINATED")
            return
        if cluster.state != "WAITING":
            cluster.state = "WAITING"
            emu.idle_since = at

    def _start_step(self, cluster: EmulatedCluster, step: Any, at: float) -> None:
        s: StepSim = step._emu
        engine = self.engine
        s.started = at
        s.runs += 1
        name_runs = cluster._emu.step_name_runs
        name_runs[step.name] = name_runs.get(step.name, 0) + 1
        step.state = "RUNNING"
        step.start_date_time = max(engine.clock.real_at(at), step.creation_date_time)
        s.local = engine.local.maybe_start(cluster, step) if engine.local.enabled else None
        if s.local is not None:
            # A real process decides the outcome; rules are not consulted (nor their `times` used up).
            s.decision = Decision(outcome=Outcome.SUCCEED, duration_minutes=0.0, rule="local-exec")
            s.due = None
            return
        run = RunInfo(service=Service.EMR, name=step.name or "", args=tuple(str(a) for a in step.args or []))
        s.decision = engine.rules.decide(run, engine.timings.step_default)
        s.due = None if s.decision.outcome is Outcome.HANG else at + s.decision.duration_minutes * 60

    def on_local_exit(self, cluster: EmulatedCluster, step: Any) -> None:
        """Called (under the engine lock) when a local process ends: finish the step now."""
        if step.state == "RUNNING":
            step._emu.due = self.engine.clock.now()
            self._advance_cluster(cluster, step._emu.due)

    def _finish_step(self, cluster: EmulatedCluster, step: Any, at: float) -> None:
        s: StepSim = step._emu
        decision = s.decision
        assert decision is not None
        outcome = decision.outcome
        stdout, stderr = decision.stdout, decision.stderr
        if s.local is not None:
            outcome = Outcome.SUCCEED if s.local.returncode == 0 else Outcome.FAIL
            stdout, stderr = s.local.stdout, s.local.stderr
        log_file = self.engine.logs.emr_step_log_path(cluster, step, "stderr.gz")
        if outcome is Outcome.SUCCEED:
            self._end_step(step, at, "COMPLETED", None)
        elif outcome is Outcome.INTERRUPT:
            self._end_step(step, at, "INTERRUPTED", decision.message or "Step was interrupted")
        else:
            reason = decision.reason or (
                f"Process exited with code {s.local.returncode}" if s.local is not None else "Unknown Error."
            )
            s.failure = {"Reason": reason}
            message = decision.message or (stderr or "").strip().splitlines()[-1:] or None
            if isinstance(message, list):
                message = message[0] if message else None
            if message:
                s.failure["Message"] = str(message)[:10240]
            if log_file:
                s.failure["LogFile"] = log_file
            self._end_step(step, at, "FAILED", None)
            cluster._emu.failed_step = True
            self._apply_action_on_failure(cluster, step, at)
        self.engine.logs.schedule_emr_step_logs(
            cluster, step, at, stdout=stdout, stderr=stderr, container_stderr=decision.container_stderr
        )

    def _apply_action_on_failure(self, cluster: EmulatedCluster, step: Any, at: float) -> None:
        action = step.action_on_failure or "TERMINATE_CLUSTER"
        if action in ("TERMINATE_CLUSTER", "TERMINATE_JOB_FLOW") and not cluster.termination_protected:
            self._terminate(cluster, at, "STEP_FAILURE", "Shut down as step failed", "TERMINATED_WITH_ERRORS")
        elif action in ("CANCEL_AND_WAIT", "TERMINATE_CLUSTER", "TERMINATE_JOB_FLOW"):
            for other in _steps(cluster):
                if other.state == "PENDING":
                    self._end_step(other, at, "CANCELLED", f"Cancelled because step {step.id} failed")

    def _end_step(self, step: Any, at: float, state: str, message: str | None) -> None:
        step.state = state
        step._emu.reason_message = message
        step._emu.cancel_due = None
        end = self.engine.clock.real_at(at)
        step.end_date_time = max(end, step.start_date_time or step.creation_date_time)

    def _terminate(
        self, cluster: EmulatedCluster, at: float, code: str, message: str, end_state: str
    ) -> None:
        emu = cluster._emu
        for step in _steps(cluster):
            if step.state == "PENDING":
                self._end_step(step, at, "CANCELLED", "Cancelled because the cluster terminated")
            elif step.state in ("RUNNING", "CANCEL_PENDING"):
                self.engine.local.kill(step._emu.local, hard=True)
                self._end_step(step, at, "CANCELLED", "Cancelled because the cluster terminated")
                self.engine.logs.schedule_emr_step_logs(cluster, step, at, stdout=None, stderr=None)
        cluster.state = "TERMINATING"
        emu.reason_code = code
        emu.reason_message = message
        emu.end_state = end_state
        emu.phase_due = at + self.engine.timings.cluster_terminating * 60

    # -- admin --------------------------------------------------------------------------------
    def summary(self) -> list[dict[str, Any]]:
        out = []
        for cluster in self.all_clusters():
            emu = getattr(cluster, "_emu", None)
            out.append(
                {
                    "id": cluster.id,
                    "name": cluster.name,
                    "state": cluster.state,
                    "state_change_reason": {"code": emu.reason_code, "message": emu.reason_message}
                    if emu
                    else {},
                    "tags": dict(cluster._tags),
                    "region": emu.region if emu else None,
                    "normalized_instance_hours": cluster.normalized_instance_hours,
                    "step_concurrency_level": cluster.step_concurrency_level,
                    "step_name_runs": dict(emu.step_name_runs) if emu else {},
                    "steps": [
                        {
                            "id": step.id,
                            "name": step.name,
                            "state": step.state,
                            "action_on_failure": step.action_on_failure,
                            "runs": step._emu.runs if hasattr(step, "_emu") else 0,
                            "rule": step._emu.decision.rule
                            if getattr(step, "_emu", None) and step._emu.decision
                            else None,
                        }
                        for step in _steps(cluster)
                    ],
                }
            )
        return out
