"""Cost estimates for EMR on EC2, EMR Serverless and EMR on EKS: pure functions over a price table.

Every figure is an *estimate*: list prices from a dated table, no discounts, no Savings Plans, no
EBS/S3/data transfer. Each :class:`CostEstimate` carries the table date and the method used so the UI
and the CLI always say where a number came from.

EMR on EC2
    ``NormalizedInstanceHours`` (NIH) is what EMR reports: instance-hours weighted by size (a
    ``small`` counts 1, ``xlarge`` 8, ``4xlarge`` 32, ...) and rounded *up to the hour per instance*.
    Given the cluster's instance groups, NIH is split across groups by their weight (count x size
    factor), turned back into instance-hours per type and priced at EC2 + EMR uplift. Without NIH
    (e.g. a cluster still running) the estimate is ``count x runtime hours`` per group.
EMR Serverless
    ``billedResourceUtilization`` (vCPU-hours, memory GB-hours, billed storage GB-hours) times the
    per-architecture rates.
EMR on EKS
    vCPU and memory requested by the job times its runtime, at the EMR on EKS uplift. The EC2 or
    Fargate capacity underneath is billed by EKS and is not included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from emr_dags.cost.weights import normalization_factor

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from emr_dags.cost.prices import PriceTable


class Market(StrEnum):
    ON_DEMAND = "ON_DEMAND"
    SPOT = "SPOT"


class Method(StrEnum):
    NORMALIZED_INSTANCE_HOURS = "normalized-instance-hours"
    RUNTIME = "instance-count-x-runtime"
    SERVERLESS_BILLED = "serverless-billed-resource-utilization"
    EKS_REQUESTED = "eks-requested-resources-x-runtime"
    SUM = "sum"
    NONE = "none"


@dataclass(frozen=True, kw_only=True, slots=True)
class InstanceGroupUsage:
    instance_type: str
    count: int
    market: Market = Market.ON_DEMAND


@dataclass(frozen=True, kw_only=True, slots=True)
class CostLine:
    """One priced quantity, e.g. 3.2 instance-hours of m5.xlarge at $0.24."""

    item: str
    quantity: float
    unit: str
    unit_price: float

    @property
    def amount(self) -> float:
        return self.quantity * self.unit_price


@dataclass(frozen=True, kw_only=True, slots=True)
class CostEstimate:
    """An estimated cost in ``currency``; ``amount`` is None when nothing could be priced."""

    amount: float | None
    currency: str
    price_date: str
    method: Method
    lines: tuple[CostLine, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        if self.amount is None:
            return f"no estimate (prices as of {self.price_date})"
        return f"~{format_money(self.amount, self.currency)} estimate (prices as of {self.price_date})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimate": True,
            "amount": None if self.amount is None else round(self.amount, 4),
            "currency": self.currency,
            "price_date": self.price_date,
            "method": self.method.value,
            "label": self.label,
            "lines": [
                {
                    "item": ln.item,
                    "quantity": round(ln.quantity, 4),
                    "unit": ln.unit,
                    "unit_price": round(ln.unit_price, 6),
                    "amount": round(ln.amount, 4),
                }
                for ln in self.lines
            ],
            "notes": list(self.notes),
        }


def format_money(amount: float, currency: str = "USD") -> str:
    symbol = "$" if currency == "USD" else f"{currency} "
    return f"{symbol}{amount:,.2f}" if amount >= 0.01 or amount == 0 else f"{symbol}{amount:.4f}"


def _estimate(table: PriceTable, method: Method, lines: list[CostLine], notes: list[str]) -> CostEstimate:
    amount = sum(ln.amount for ln in lines) if lines else None
    return CostEstimate(
        amount=amount,
        currency=table.currency,
        price_date=table.as_of,
        method=method if lines else Method.NONE,
        lines=tuple(lines),
        notes=tuple(dict.fromkeys(notes)),
    )


def instance_hour_price(table: PriceTable, region: str, instance_type: str, market: Market) -> float | None:
    """EC2 (Spot-discounted if SPOT) plus the EMR uplift for one instance-hour, or None if unknown."""
    ec2 = table.ec2.get(instance_type)
    uplift = table.emr_uplift.get(instance_type)
    if ec2 is None or uplift is None:
        return None
    factor, _ = table.regional(region)
    if market is Market.SPOT:
        ec2 *= table.spot_factor
    return (ec2 + uplift) * factor


def _instance_hours(
    groups: list[InstanceGroupUsage], nih: float | None, runtime_hours: float | None
) -> tuple[Method, list[tuple[InstanceGroupUsage, float]], list[str]]:
    notes: list[str] = []
    if nih is not None:
        weights = [(g, (normalization_factor(g.instance_type) or 0.0) * g.count) for g in groups]
        total = sum(w for _, w in weights)
        if total > 0:
            out = [
                (g, nih * w / total / (normalization_factor(g.instance_type) or 1.0)) for g, w in weights if w
            ]
            notes.append("EMR rounds normalized instance hours up to the hour per instance")
            return Method.NORMALIZED_INSTANCE_HOURS, out, notes
        notes.append("instance sizes unknown; could not split NormalizedInstanceHours")
    if runtime_hours is not None:
        return Method.RUNTIME, [(g, g.count * runtime_hours) for g in groups], notes
    notes.append("neither NormalizedInstanceHours nor a runtime is known")
    return Method.NONE, [], notes


def estimate_emr_on_ec2(
    table: PriceTable,
    *,
    region: str,
    groups: Iterable[InstanceGroupUsage],
    normalized_instance_hours: float | None = None,
    runtime_hours: float | None = None,
) -> CostEstimate:
    """Cost of an EMR on EC2 cluster (or the share of one a step used), EC2 + EMR uplift."""
    groups = [g for g in groups if g.count > 0]
    method, hours, notes = _instance_hours(groups, normalized_instance_hours, runtime_hours)
    _, region_note = table.regional(region)
    if region_note:
        notes.append(region_note)
    lines: list[CostLine] = []
    for group, instance_hours in hours:
        price = instance_hour_price(table, region, group.instance_type, group.market)
        if price is None:
            notes.append(f"no price for {group.instance_type}; left out of the estimate")
            continue
        market = " spot" if group.market is Market.SPOT else ""
        lines.append(
            CostLine(
                item=f"{group.instance_type}{market} (EC2 + EMR)",
                quantity=instance_hours,
                unit="instance-hour",
                unit_price=price,
            )
        )
    if any(g.market is Market.SPOT for g in groups):
        notes.append(f"Spot priced at {table.spot_factor:.0%} of on-demand EC2")
    return _estimate(table, method if lines else Method.NONE, lines, notes)


def _num(mapping: Mapping[str, Any], *keys: str) -> float:
    for key in keys:
        if mapping.get(key) is not None:
            return float(mapping[key])
    return 0.0


def estimate_serverless(
    table: PriceTable,
    *,
    region: str,
    billed_resource_utilization: Mapping[str, Any],
    architecture: str = "x86_64",
) -> CostEstimate:
    """Cost of an EMR Serverless job run from its ``billedResourceUtilization``."""
    arch = "arm64" if architecture.upper() in ("ARM64", "ARM") else "x86_64"
    rates = table.serverless.get(arch)
    notes: list[str] = []
    if rates is None:
        return _estimate(table, Method.NONE, [], [f"no EMR Serverless rates for {arch}"])
    factor, region_note = table.regional(region)
    if region_note:
        notes.append(region_note)
    u = billed_resource_utilization
    lines = [
        CostLine(
            item=f"vCPU ({arch})",
            quantity=_num(u, "vCPUHour", "vcpu_hour"),
            unit="vCPU-hour",
            unit_price=rates.vcpu_hour * factor,
        ),
        CostLine(
            item=f"memory ({arch})",
            quantity=_num(u, "memoryGBHour", "memory_gb_hour"),
            unit="GB-hour",
            unit_price=rates.memory_gb_hour * factor,
        ),
        CostLine(
            item="storage (beyond 20 GB/worker)",
            quantity=_num(u, "storageGBHour", "storage_gb_hour"),
            unit="GB-hour",
            unit_price=rates.storage_gb_hour * factor,
        ),
    ]
    return _estimate(table, Method.SERVERLESS_BILLED, lines, notes)


def estimate_emr_on_eks(
    table: PriceTable, *, region: str, vcpu: float, memory_gb: float, runtime_hours: float
) -> CostEstimate:
    """The EMR on EKS uplift for a job's requested vCPU and memory over its runtime."""
    rates = table.eks_uplift
    if rates is None:
        return _estimate(table, Method.NONE, [], ["no EMR on EKS rates in the price table"])
    factor, region_note = table.regional(region)
    notes = ["EKS/EC2/Fargate capacity under the virtual cluster is billed separately and not included"]
    if region_note:
        notes.append(region_note)
    lines = [
        CostLine(
            item="EMR on EKS vCPU",
            quantity=vcpu * runtime_hours,
            unit="vCPU-hour",
            unit_price=rates.vcpu_hour * factor,
        ),
        CostLine(
            item="EMR on EKS memory",
            quantity=memory_gb * runtime_hours,
            unit="GB-hour",
            unit_price=rates.memory_gb_hour * factor,
        ),
    ]
    return _estimate(table, Method.EKS_REQUESTED, lines, notes)


def combine(table: PriceTable, estimates: Iterable[CostEstimate]) -> CostEstimate:
    """The sum of several estimates (a task group, a DAG run); unpriced parts are noted, not zeroed."""
    estimates = list(estimates)
    priced = [e for e in estimates if e.amount is not None]
    notes: list[str] = [n for e in estimates for n in e.notes]
    if len(priced) < len(estimates):
        notes.append(f"{len(estimates) - len(priced)} of {len(estimates)} items could not be priced")
    if not priced:
        return CostEstimate(
            amount=None,
            currency=table.currency,
            price_date=table.as_of,
            method=Method.NONE,
            notes=tuple(notes),
        )
    return CostEstimate(
        amount=sum(e.amount or 0.0 for e in priced),
        currency=table.currency,
        price_date=table.as_of,
        method=Method.SUM,
        lines=tuple(ln for e in priced for ln in e.lines),
        notes=tuple(dict.fromkeys(notes)),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class CostItem:
    """One priced unit of work (a step, a job run, a cluster) and who owns it."""

    dag_id: str
    run_id: str
    task_id: str
    estimate: CostEstimate
    resource_id: str = ""
    task_group: str | None = field(default=None)

    @property
    def group(self) -> str:
        """The task group: explicit, or the task id's dotted prefix (``etl.run_step`` -> ``etl``)."""
        if self.task_group is not None:
            return self.task_group
        return self.task_id.rsplit(".", 1)[0] if "." in self.task_id else ""


def rollup(table: PriceTable, items: Iterable[CostItem], *, by: str) -> dict[tuple[str, ...], CostEstimate]:
    """Sum estimates ``by`` "run" (dag_id, run_id), "group" (+ task group) or "dag" (dag_id)."""
    keyfuncs: dict[str, Callable[[CostItem], tuple[str, ...]]] = {
        "dag": lambda i: (i.dag_id,),
        "run": lambda i: (i.dag_id, i.run_id),
        "group": lambda i: (i.dag_id, i.run_id, i.group),
        "task": lambda i: (i.dag_id, i.run_id, i.task_id),
    }
    if by not in keyfuncs:
        raise ValueError(f"rollup(by={by!r}): expected one of {sorted(keyfuncs)}")
    buckets: dict[tuple[str, ...], list[CostEstimate]] = {}
    for item in items:
        buckets.setdefault(keyfuncs[by](item), []).append(item.estimate)
    return {key: combine(table, ests) for key, ests in sorted(buckets.items())}


def groups_from_aws(instance_groups: Iterable[Mapping[str, Any]]) -> list[InstanceGroupUsage]:
    """Instance groups as EMR's ``ListInstanceGroups`` or an XCom result reports them."""
    out = []
    for g in instance_groups:
        itype = g.get("InstanceType") or g.get("instance_type")
        if not itype:
            continue
        count = g.get(
            "RunningInstanceCount", g.get("RequestedInstanceCount", g.get("InstanceCount", g.get("count", 0)))
        )
        market = str(g.get("Market") or g.get("market") or "ON_DEMAND").upper()
        out.append(
            InstanceGroupUsage(
                instance_type=str(itype),
                count=int(count or 0),
                market=Market.SPOT if market == "SPOT" else Market.ON_DEMAND,
            )
        )
    return out


def _iso_hours(start: Any, end: Any) -> float | None:
    from datetime import datetime

    try:
        a = (
            start
            if isinstance(start, datetime)
            else datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        )
        b = end if isinstance(end, datetime) else datetime.fromisoformat(str(end).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return max(0.0, (b - a).total_seconds() / 3600.0)


def estimate_from_result(
    table: PriceTable,
    result: Mapping[str, Any],
    *,
    region: str,
    instance_groups: Iterable[Mapping[str, Any]] | None = None,
) -> CostEstimate:
    """Price an operator's XCom result, whatever flavour it is.

    Serverless: ``billed_resource_utilization`` / ``billedResourceUtilization`` (+ ``architecture``).
    EKS: ``vcpu``, ``memory_gb``, ``runtime_hours``. EMR on EC2: ``normalized_instance_hours`` /
    ``NormalizedInstanceHours`` plus the cluster's instance groups (in the result as ``InstanceGroups``
    or passed as ``instance_groups``, e.g. from ``ListInstanceGroups``); without NIH the runtime from
    ``created_at``/``ended_at`` (or ``runtime_hours``) is used.
    """
    bru = result.get("billedResourceUtilization") or result.get("billed_resource_utilization")
    if bru is not None or "billedResourceUtilization" in result or "billed_resource_utilization" in result:
        return estimate_serverless(
            table,
            region=region,
            billed_resource_utilization=bru or {},
            architecture=str(result.get("architecture", "x86_64")),
        )
    if "vcpu" in result and "memory_gb" in result:
        return estimate_emr_on_eks(
            table,
            region=region,
            vcpu=float(result["vcpu"]),
            memory_gb=float(result["memory_gb"]),
            runtime_hours=float(result.get("runtime_hours") or 0.0),
        )
    nih = result.get("NormalizedInstanceHours", result.get("normalized_instance_hours"))
    groups = groups_from_aws(
        instance_groups or result.get("InstanceGroups") or result.get("instance_groups") or []
    )
    runtime = result.get("runtime_hours")
    if runtime is None and result.get("created_at") and result.get("ended_at"):
        runtime = _iso_hours(result["created_at"], result["ended_at"])
    if not groups:
        return _estimate(
            table, Method.NONE, [], ["instance types unknown: pass the cluster's instance groups"]
        )
    return estimate_emr_on_ec2(
        table,
        region=region,
        groups=groups,
        normalized_instance_hours=None if nih is None else float(nih),
        runtime_hours=None if runtime is None else float(runtime),
    )


def estimate_emr_step(
    table: PriceTable,
    *,
    region: str,
    groups: Iterable[InstanceGroupUsage],
    runtime_hours: float,
    concurrent_steps: int = 1,
) -> CostEstimate:
    """A step's share of its cluster: the cluster's hourly price over the step's runtime.

    With ``concurrent_steps`` > 1 (StepConcurrencyLevel) the cluster's price is split evenly between
    the steps running together, an approximation that is noted on the estimate. Idle time between
    steps belongs to no step; it shows up in the cluster's total, not here.
    """
    share = 1.0 / max(1, concurrent_steps)
    est = estimate_emr_on_ec2(table, region=region, groups=groups, runtime_hours=runtime_hours * share)
    if concurrent_steps > 1 and est.amount is not None:
        note = f"split evenly across {concurrent_steps} concurrent steps"
        return CostEstimate(
            amount=est.amount,
            currency=est.currency,
            price_date=est.price_date,
            method=est.method,
            lines=est.lines,
            notes=(*est.notes, note),
        )
    return est
