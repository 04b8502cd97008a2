"""What emr-dags has running (or ran) in an AWS account, found through our ownership tags.

One function per EMR flavour, each returning :class:`ManagedResource` records that the UI page, the
``emr-dags cost`` command and the reaper share. Only resources tagged ``emr-dags:managed=true`` are
returned; everything else in the account is invisible to on-call tooling by construction.

Clients are passed in (see :mod:`emr_dags.aws.clients`), so tests can hand over moto- or
emulator-backed boto3 clients.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from emr_dags import tags
from emr_dags.aws.paging import pages as _paginate

# States in which a resource still costs money and can be stopped.
from emr_dags.aws.states import CLUSTER_ACTIVE, CLUSTER_ALL, EKS_JOB_CANCELLABLE, SERVERLESS_JOB_CANCELLABLE
from emr_dags.cost.model import (
    CostEstimate,
    estimate_emr_on_ec2,
    estimate_emr_on_eks,
    estimate_serverless,
    groups_from_aws,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from emr_dags.aws.clients import AwsClients
    from emr_dags.cost.prices import PriceTable

log = logging.getLogger(__name__)


class Kind(StrEnum):
    CLUSTER = "emr-cluster"
    SERVERLESS = "serverless-job-run"
    EKS = "eks-job-run"


@dataclass(frozen=True, kw_only=True, slots=True)
class ManagedResource:
    """One cluster or job run that carries our tags."""

    kind: Kind
    id: str
    state: str
    active: bool
    region: str
    tags: Mapping[str, str]
    parent_id: str = ""  # Serverless application id / EKS virtual cluster id
    name: str = ""
    created_at: datetime | None = None
    ended_at: datetime | None = None
    log_uri: str = ""
    cost: CostEstimate | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def managed(self) -> bool:
        return self.tags.get(tags.MANAGED) == "true"

    @property
    def dag_id(self) -> str:
        return self.tags.get(tags.DAG_ID, "")

    @property
    def run_id(self) -> str:
        return self.tags.get(tags.RUN_ID, "")

    @property
    def task_id(self) -> str:
        return self.tags.get(tags.TASK_ID, "")

    @property
    def map_index(self) -> int:
        try:
            return int(self.tags.get(tags.MAP_INDEX, "-1"))
        except ValueError:
            return -1

    @property
    def deadline(self) -> datetime | None:
        """The ``emr-dags:deadline`` tag as an aware UTC datetime, or None if absent/unparseable."""
        raw = self.tags.get(tags.DEADLINE)
        if not raw:
            return None
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def age(self, now: datetime) -> timedelta | None:
        return None if self.created_at is None else (self.ended_at or now) - self.created_at

    @property
    def console_url(self) -> str:
        base = f"https://{self.region}.console.aws.amazon.com/emr/home?region={self.region}"
        if self.kind is Kind.CLUSTER:
            return f"{base}#/clusterDetails/{self.id}"
        if self.kind is Kind.SERVERLESS:
            return f"{base}#/serverless/applications/{self.parent_id}/job-runs/{self.id}"
        return f"{base}#/virtual-clusters/{self.parent_id}/jobs"

    @property
    def logs_url(self) -> str:
        """S3 console link for the log location, when the resource has one."""
        m = re.fullmatch(r"s3n?a?://([^/]+)/?(.*)", self.log_uri or "")
        if not m:
            return ""
        bucket, prefix = m.groups()
        if self.kind is Kind.CLUSTER and prefix is not None:
            prefix = f"{prefix.rstrip('/')}/{self.id}/".lstrip("/")
        return f"https://s3.console.aws.amazon.com/s3/buckets/{bucket}?region={self.region}&prefix={prefix}"

    def to_dict(self, now: datetime | None = None) -> dict[str, Any]:
        now = now or datetime.now(UTC)
        age = self.age(now)
        return {
            "kind": self.kind.value,
            "id": self.id,
            "parent_id": self.parent_id,
            "name": self.name,
            "state": self.state,
            "active": self.active,
            "region": self.region,
            "dag_id": self.dag_id,
            "run_id": self.run_id,
            "task_id": self.task_id,
            "map_index": self.map_index,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "age_seconds": None if age is None else int(age.total_seconds()),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "cost": self.cost.to_dict() if self.cost else None,
            "console_url": self.console_url,
            "logs_url": self.logs_url,
        }


def _is_ours(resource_tags: Mapping[str, str] | None) -> bool:
    return bool(resource_tags) and (resource_tags or {}).get(tags.MANAGED) == "true"


def _tag_list_to_dict(tag_list: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in tag_list or []}


def _hours(start: datetime | None, end: datetime | None, now: datetime) -> float | None:
    if start is None:
        return None
    return max(0.0, ((end or now) - start).total_seconds() / 3600.0)


# --- EMR on EC2 -----------------------------------------------------------------------------------


def _cluster_groups(emr: Any, cluster_id: str, collection_type: str) -> list[Mapping[str, Any]]:
    if collection_type == "INSTANCE_FLEET":
        fleets = list(_paginate(emr, "list_instance_fleets", "InstanceFleets", ClusterId=cluster_id))
        out: list[Mapping[str, Any]] = []
        for fleet in fleets:
            specs = fleet.get("InstanceTypeSpecifications") or []
            count = fleet.get("ProvisionedOnDemandCapacity", 0) + fleet.get("ProvisionedSpotCapacity", 0)
            if specs:  # price a fleet as its first instance type: an estimate, and said so
                out.append({"InstanceType": specs[0]["InstanceType"], "RequestedInstanceCount": count})
        return out
    return list(_paginate(emr, "list_instance_groups", "InstanceGroups", ClusterId=cluster_id))


def list_clusters(
    emr: Any,
    *,
    region: str,
    table: PriceTable | None,
    created_after: datetime | None = None,
    active_only: bool = False,
    now: datetime | None = None,
) -> list[ManagedResource]:
    """EMR clusters tagged as ours, newest first, with a cost estimate when ``table`` is given."""
    now = now or datetime.now(UTC)
    kwargs: dict[str, Any] = {"ClusterStates": list(CLUSTER_ACTIVE if active_only else CLUSTER_ALL)}
    if created_after:
        kwargs["CreatedAfter"] = created_after
    out = []
    for summary in _paginate(emr, "list_clusters", "Clusters", **kwargs):
        cluster = emr.describe_cluster(ClusterId=summary["Id"])["Cluster"]
        resource_tags = _tag_list_to_dict(cluster.get("Tags"))
        if not _is_ours(resource_tags):
            continue
        state = cluster["Status"]["State"]
        timeline = cluster["Status"].get("Timeline", {})
        created, ended = timeline.get("CreationDateTime"), timeline.get("EndDateTime")
        cost = None
        groups: list[Any] = []
        if table is not None:
            groups = groups_from_aws(
                _cluster_groups(emr, cluster["Id"], cluster.get("InstanceCollectionType", ""))
            )
            nih = cluster.get("NormalizedInstanceHours")
            cost = estimate_emr_on_ec2(
                table,
                region=region,
                groups=groups,
                # A running cluster's NIH lags (hourly); price its runtime until it has ended.
                normalized_instance_hours=float(nih) if nih and state not in CLUSTER_ACTIVE else None,
                runtime_hours=_hours(created, ended, now),
            )
        out.append(
            ManagedResource(
                kind=Kind.CLUSTER,
                id=cluster["Id"],
                name=cluster.get("Name", ""),
                state=state,
                active=state in CLUSTER_ACTIVE,
                region=region,
                tags=resource_tags,
                created_at=created,
                ended_at=ended,
                log_uri=cluster.get("LogUri", ""),
                cost=cost,
                details={
                    "NormalizedInstanceHours": cluster.get("NormalizedInstanceHours"),
                    "instance_groups": groups,
                    "StepConcurrencyLevel": cluster.get("StepConcurrencyLevel", 1),
                },
            )
        )
    return out


def list_steps(
    emr: Any, cluster: ManagedResource, table: PriceTable, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Steps of one cluster, each priced as its share of the cluster over its runtime."""
    from emr_dags.cost.model import estimate_emr_step

    now = now or datetime.now(UTC)
    groups = list(cluster.details.get("instance_groups") or [])
    concurrency = int(cluster.details.get("StepConcurrencyLevel") or 1)
    out = []
    for step in _paginate(emr, "list_steps", "Steps", ClusterId=cluster.id):
        timeline = step.get("Status", {}).get("Timeline", {})
        start, end = timeline.get("StartDateTime"), timeline.get("EndDateTime")
        hours = _hours(start, end, now)
        cost = (
            estimate_emr_step(
                table, region=cluster.region, groups=groups, runtime_hours=hours, concurrent_steps=concurrency
            )
            if hours is not None
            else None
        )
        out.append(
            {
                "step_id": step["Id"],
                "name": step.get("Name", ""),
                "state": step.get("Status", {}).get("State", ""),
                "runtime_hours": None if hours is None else round(hours, 4),
                "cost": cost.to_dict() if cost else None,
                "_estimate": cost,
            }
        )
    return out


# --- EMR Serverless -------------------------------------------------------------------------------


def _job_tags(client: Any, job: Mapping[str, Any]) -> dict[str, str]:
    """A job run's tags; a run whose tags cannot be read is not provably ours and gets none."""
    if job.get("tags") is not None:
        return dict(job["tags"])
    if job.get("arn"):
        try:
            return dict(client.list_tags_for_resource(resourceArn=job["arn"]).get("tags", {}))
        except Exception as exc:  # e.g. an untagged run on an endpoint without the tagging API
            log.debug("No tags readable for %s: %s", job["arn"], exc)
    return {}


def list_serverless_runs(
    client: Any,
    *,
    region: str,
    table: PriceTable | None,
    created_after: datetime | None = None,
    active_only: bool = False,
) -> list[ManagedResource]:
    """EMR Serverless job runs tagged as ours, with billedResourceUtilization priced."""
    out = []
    for app in _paginate(client, "list_applications", "applications", page_size=50):
        kwargs: dict[str, Any] = {"applicationId": app["id"]}
        if created_after:
            kwargs["createdAtAfter"] = created_after
        if active_only:
            kwargs["states"] = list(SERVERLESS_JOB_CANCELLABLE)
        for summary in _paginate(client, "list_job_runs", "jobRuns", **kwargs, page_size=50):
            job = client.get_job_run(applicationId=app["id"], jobRunId=summary["id"])["jobRun"]
            resource_tags = _job_tags(client, job)
            if not _is_ours(resource_tags):
                continue
            cost = None
            if table is not None:
                cost = estimate_serverless(
                    table,
                    region=region,
                    billed_resource_utilization=job.get("billedResourceUtilization") or {},
                    architecture=str(app.get("architecture", "X86_64")),
                )
            state = job["state"]
            active = state in SERVERLESS_JOB_CANCELLABLE
            monitoring = (job.get("configurationOverrides") or {}).get("monitoringConfiguration", {})
            out.append(
                ManagedResource(
                    kind=Kind.SERVERLESS,
                    id=job["jobRunId"],
                    parent_id=app["id"],
                    name=job.get("name") or "",
                    state=state,
                    active=active,
                    region=region,
                    tags=resource_tags,
                    created_at=job.get("createdAt"),
                    ended_at=None if active else job.get("updatedAt"),
                    log_uri=(monitoring.get("s3MonitoringConfiguration") or {}).get("logUri", ""),
                    cost=cost,
                    details={"billedResourceUtilization": job.get("billedResourceUtilization")},
                )
            )
    return out


# --- EMR on EKS -----------------------------------------------------------------------------------

_MEM = re.compile(r"([0-9]+(?:\.[0-9]+)?)([kmgt]?)b?", re.IGNORECASE | re.ASCII)


def _gb(value: str) -> float:
    m = _MEM.fullmatch(value.strip())
    if not m:
        return 0.0
    number, unit = float(m.group(1)), m.group(2).lower()
    return number * {"": 1 / 1024**3, "k": 1 / 1024**2, "m": 1 / 1024, "g": 1.0, "t": 1024.0}[unit]


def requested_resources(spark_submit_parameters: str) -> tuple[float, float]:
    """(vCPU, memory GB) a Spark job asks for: driver + executors, Spark defaults where unset."""
    conf = dict(re.findall(r"--conf\s+([A-Za-z0-9_.]+)=(\S+)", spark_submit_parameters or ""))
    executors = float(conf.get("spark.executor.instances", 1))
    ecores = float(conf.get("spark.executor.cores", 1))
    dcores = float(conf.get("spark.driver.cores", 1))
    emem = _gb(conf.get("spark.executor.memory", "1g"))
    dmem = _gb(conf.get("spark.driver.memory", "1g"))
    return dcores + executors * ecores, dmem + executors * emem


def list_eks_runs(
    client: Any,
    *,
    region: str,
    table: PriceTable | None,
    created_after: datetime | None = None,
    active_only: bool = False,
    now: datetime | None = None,
) -> list[ManagedResource]:
    """EMR on EKS job runs tagged as ours, priced from requested resources x runtime."""
    now = now or datetime.now(UTC)
    out = []
    for vc in _paginate(client, "list_virtual_clusters", "virtualClusters", page_size=50):
        kwargs: dict[str, Any] = {"virtualClusterId": vc["id"]}
        if created_after:
            kwargs["createdAfter"] = created_after
        if active_only:
            kwargs["states"] = list(EKS_JOB_CANCELLABLE)
        for summary in _paginate(client, "list_job_runs", "jobRuns", **kwargs, page_size=50):
            job = client.describe_job_run(id=summary["id"], virtualClusterId=vc["id"])["jobRun"]
            resource_tags = _job_tags(client, job)
            if not _is_ours(resource_tags):
                continue
            state = job["state"]
            created, ended = job.get("createdAt"), job.get("finishedAt")
            cost = None
            if table is not None:
                params = ((job.get("jobDriver") or {}).get("sparkSubmitJobDriver") or {}).get(
                    "sparkSubmitParameters", ""
                )
                vcpu, mem = requested_resources(params)
                cost = estimate_emr_on_eks(
                    table,
                    region=region,
                    vcpu=vcpu,
                    memory_gb=mem,
                    runtime_hours=_hours(created, ended, now) or 0.0,
                )
            monitoring = (job.get("configurationOverrides") or {}).get("monitoringConfiguration", {})
            out.append(
                ManagedResource(
                    kind=Kind.EKS,
                    id=job["id"],
                    parent_id=vc["id"],
                    name=job.get("name") or "",
                    state=state,
                    active=state in EKS_JOB_CANCELLABLE,
                    region=region,
                    tags=resource_tags,
                    created_at=created,
                    ended_at=ended,
                    log_uri=(monitoring.get("s3MonitoringConfiguration") or {}).get("logUri", ""),
                    cost=cost,
                )
            )
    return out


def _safely(what: str, func: Any, *args: Any, **kwargs: Any) -> tuple[list[ManagedResource], str | None]:
    """Run one listing; a flavour the account/emulator lacks becomes a warning, not a dead page."""
    try:
        return func(*args, **kwargs), None
    except Exception as exc:  # botocore ClientError, EndpointConnectionError, NoCredentials, ...
        log.debug("Could not list %s: %s", what, exc)  # returned as a warning; callers show it
        return [], f"could not list {what}: {exc}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Inventory:
    resources: tuple[ManagedResource, ...]
    warnings: tuple[str, ...] = ()


def collect(
    clients: AwsClients,
    *,
    table: PriceTable | None,
    days: int | None = None,
    active_only: bool = False,
    now: datetime | None = None,
) -> Inventory:
    """Everything of ours across the three flavours, newest first."""
    now = now or datetime.now(UTC)
    after = now - timedelta(days=days) if days else None
    found: list[ManagedResource] = []
    warnings: list[str] = []
    for what, func, client in (
        ("EMR clusters", list_clusters, clients.emr),
        ("EMR Serverless job runs", list_serverless_runs, clients.serverless),
        ("EMR on EKS job runs", list_eks_runs, clients.containers),
    ):
        kwargs: dict[str, Any] = {
            "region": clients.region,
            "table": table,
            "created_after": after,
            "active_only": active_only,
        }
        if func is not list_serverless_runs:
            kwargs["now"] = now
        items, warning = _safely(what, func, client, **kwargs)
        found.extend(items)
        if warning:
            warnings.append(warning)
    epoch = datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda r: r.created_at or epoch, reverse=True)
    return Inventory(resources=tuple(found), warnings=tuple(warnings))
