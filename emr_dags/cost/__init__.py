"""Estimated cost of EMR work: a dated price table and pure estimate functions.

Every number this package produces is an estimate from list prices; see docs/operations.md.
"""

from __future__ import annotations

from emr_dags.cost.model import (
    CostEstimate,
    CostItem,
    InstanceGroupUsage,
    Market,
    Method,
    combine,
    estimate_emr_on_ec2,
    estimate_emr_on_eks,
    estimate_emr_step,
    estimate_from_result,
    estimate_serverless,
    rollup,
)
from emr_dags.cost.prices import PriceTable, load_price_table
from emr_dags.cost.weights import normalization_factor

__all__ = [
    "CostEstimate",
    "CostItem",
    "InstanceGroupUsage",
    "Market",
    "Method",
    "PriceTable",
    "combine",
    "estimate_emr_on_ec2",
    "estimate_emr_on_eks",
    "estimate_emr_step",
    "estimate_from_result",
    "estimate_serverless",
    "load_price_table",
    "normalization_factor",
    "rollup",
]
