"""The price table behind every cost estimate: where it comes from and how a user overrides it.

Resolution order, first hit wins for the *file*; the file is then merged over the packaged table, so
an override may list only the prices it changes:

1. an explicit ``path`` argument (``emr-dags cost --price-file``),
2. env ``AIRFLOW__EMR_DAGS__PRICE_FILE``,
3. Airflow config ``[emr_dags] price_file`` (read only if Airflow is importable),
4. the table shipped in this package (``prices.json``, dated by its ``as_of`` field).

``[emr_dags] spot_factor`` (env ``AIRFLOW__EMR_DAGS__SPOT_FACTOR``) overrides the share of the
on-demand EC2 price paid for Spot capacity.

The AWS Pricing API is an optional refresh (:func:`refresh_from_pricing_api`): bounded timeouts,
one attempt, and any failure leaves the table as it was. Nothing here ever blocks a page or a task.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from emr_dags.errors import EmrConfigError

log = logging.getLogger(__name__)

ENV_PRICE_FILE = "AIRFLOW__EMR_DAGS__PRICE_FILE"
ENV_SPOT_FACTOR = "AIRFLOW__EMR_DAGS__SPOT_FACTOR"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True, kw_only=True, slots=True)
class ServerlessRates:
    vcpu_hour: float
    memory_gb_hour: float
    storage_gb_hour: float = 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class PriceTable:
    """Hourly USD list prices for us-east-1 plus per-region factors. All figures are estimates."""

    as_of: str
    source: str
    currency: str = "USD"
    spot_factor: float = 0.35
    region_factor: Mapping[str, float] = field(default_factory=dict)
    ec2: Mapping[str, float] = field(default_factory=dict)
    emr_uplift: Mapping[str, float] = field(default_factory=dict)
    serverless: Mapping[str, ServerlessRates] = field(default_factory=dict)
    eks_uplift: ServerlessRates | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.spot_factor <= 1.0:
            raise EmrConfigError(
                f"PriceTable.spot_factor: {self.spot_factor!r} is out of range; expected a share of the "
                "on-demand price in (0, 1], e.g. 0.35 for Spot at 35% of on-demand",
                spec="PriceTable",
                field="spot_factor",
            )

    def regional(self, region: str) -> tuple[float, str | None]:
        """The factor to apply to us-east-1 prices in ``region``, and a note when it is a guess."""
        if region in self.region_factor:
            return self.region_factor[region], None
        return 1.0, f"no price factor for region {region}; used us-east-1 prices"

    def label(self) -> str:
        return f"estimate, {self.currency} list prices as of {self.as_of}"


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _rates(raw: Mapping[str, Any], where: str) -> ServerlessRates:
    try:
        return ServerlessRates(
            vcpu_hour=float(raw["vcpu_hour"]),
            memory_gb_hour=float(raw["memory_gb_hour"]),
            storage_gb_hour=float(raw.get("storage_gb_hour", 0.0)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise EmrConfigError(
            f"price table {where}: {dict(raw)!r} is not a rate; expected "
            '{"vcpu_hour": 0.05, "memory_gb_hour": 0.005, "storage_gb_hour": 0.0001}',
            spec="PriceTable",
            field=where,
        ) from exc


def table_from_dict(raw: Mapping[str, Any]) -> PriceTable:
    """Build a :class:`PriceTable` from the JSON shape of ``prices.json``."""
    return PriceTable(
        as_of=str(raw.get("as_of", "unknown")),
        source=str(raw.get("source", "unknown")),
        currency=str(raw.get("currency", "USD")),
        spot_factor=float(raw.get("spot_factor", 0.35)),
        region_factor={k: float(v) for k, v in raw.get("region_factor", {}).items()},
        ec2={k: float(v) for k, v in raw.get("ec2", {}).items()},
        emr_uplift={k: float(v) for k, v in raw.get("emr_uplift", {}).items()},
        serverless={k: _rates(v, f"serverless.{k}") for k, v in raw.get("serverless", {}).items()},
        eks_uplift=_rates(raw["eks_uplift"], "eks_uplift") if raw.get("eks_uplift") else None,
    )


def packaged_prices() -> dict[str, Any]:
    text = resources.files("emr_dags.cost").joinpath("prices.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _airflow_conf(key: str) -> str | None:
    try:
        from airflow.configuration import conf
    except ImportError:  # the CLI and tests may run without a configured Airflow
        return None
    value = conf.get("emr_dags", key, fallback=None)
    return str(value) if value else None


def configured_price_file() -> str | None:
    return os.environ.get(ENV_PRICE_FILE) or _airflow_conf("price_file")


def load_price_table(
    path: str | os.PathLike[str] | None = None, *, use_airflow_conf: bool = True
) -> PriceTable:
    """The packaged table, with the user's override file (if any) merged over it."""
    data = packaged_prices()
    override_path = (
        str(path)
        if path
        else (configured_price_file() if use_airflow_conf else os.environ.get(ENV_PRICE_FILE))
    )
    if override_path:
        try:
            override = json.loads(Path(override_path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise EmrConfigError(
                f"[emr_dags] price_file: cannot read {override_path!r} ({exc}); expected a JSON file "
                "shaped like emr_dags/cost/prices.json, or unset it to use the packaged prices",
                spec="emr_dags",
                field="price_file",
            ) from exc
        if "as_of" not in override:
            override["as_of"] = f"{data['as_of']} (+ overrides from {Path(override_path).name})"
        data = _deep_merge(data, override)
    spot = os.environ.get(ENV_SPOT_FACTOR) or (_airflow_conf("spot_factor") if use_airflow_conf else None)
    if spot:
        data["spot_factor"] = float(spot)
    return table_from_dict(data)


# --- optional: AWS Pricing API --------------------------------------------------------------------

_PRICING_LOCATION = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
}


def _first_usd_price(price_item: str) -> float | None:
    item = json.loads(price_item)
    for term in item.get("terms", {}).get("OnDemand", {}).values():
        for dim in term.get("priceDimensions", {}).values():
            usd = dim.get("pricePerUnit", {}).get("USD")
            if usd is not None and float(usd) > 0:
                return float(usd)
    return None


def refresh_from_pricing_api(
    table: PriceTable, instance_types: Iterable[str], *, client: Any = None, region: str = "us-east-1"
) -> PriceTable:
    """Replace EC2 prices for ``instance_types`` with live on-demand prices, when AWS answers quickly.

    One attempt, short timeouts; on any failure the table is returned unchanged. Prices fetched for a
    region other than us-east-1 are divided by that region's factor so the table stays us-east-1 based.
    """
    location = _PRICING_LOCATION.get(region)
    if location is None:
        return table
    try:
        if client is None:
            from emr_dags.aws.clients import AwsTarget, client_for

            quick = {"connect_timeout": 2, "read_timeout": 3, "retries": {"total_max_attempts": 1}}
            target = AwsTarget(aws_conn_id=None, region_name="us-east-1", botocore_config=quick)
            client = client_for("pricing", target)
        ec2 = dict(table.ec2)
        factor, _ = table.regional(region)
        for instance_type in sorted(set(instance_types)):
            resp = client.get_products(
                ServiceCode="AmazonEC2",
                Filters=[
                    {"Type": "TERM_MATCH", "Field": f, "Value": v}
                    for f, v in (
                        ("instanceType", instance_type),
                        ("location", location),
                        ("operatingSystem", "Linux"),
                        ("tenancy", "Shared"),
                        ("preInstalledSw", "NA"),
                        ("capacitystatus", "Used"),
                    )
                ],
                MaxResults=1,
            )
            for item in resp.get("PriceList", []):
                price = _first_usd_price(item)
                if price:
                    ec2[instance_type] = price / factor
    except Exception as exc:  # optional refresh: any failure keeps the shipped table
        log.info("AWS Pricing API not used (%s); keeping prices as of %s", exc, table.as_of)
        return table
    from datetime import UTC, datetime

    today = datetime.now(UTC).date().isoformat()
    return replace(table, ec2=ec2, as_of=f"{today} (EC2 from AWS Pricing API)", source="AWS Pricing API")
