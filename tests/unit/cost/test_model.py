from __future__ import annotations

import pytest

from emr_dags.cost import (
    CostItem,
    InstanceGroupUsage,
    Market,
    Method,
    estimate_emr_on_ec2,
    estimate_emr_on_eks,
    estimate_from_result,
    estimate_serverless,
    normalization_factor,
    rollup,
)
from emr_dags.cost.prices import table_from_dict

TABLE = table_from_dict(
    {
        "as_of": "2025-01-01",
        "source": "test",
        "spot_factor": 0.5,
        "region_factor": {"us-east-1": 1.0, "eu-west-1": 2.0},
        "ec2": {"m5.xlarge": 0.2, "r5.2xlarge": 0.5},
        "emr_uplift": {"m5.xlarge": 0.05, "r5.2xlarge": 0.1},
        "serverless": {
            "x86_64": {"vcpu_hour": 0.05, "memory_gb_hour": 0.005, "storage_gb_hour": 0.0001},
            "arm64": {"vcpu_hour": 0.04, "memory_gb_hour": 0.004, "storage_gb_hour": 0.0001},
        },
        "eks_uplift": {"vcpu_hour": 0.01, "memory_gb_hour": 0.001},
    }
)


@pytest.mark.parametrize(
    ("itype", "factor"),
    [
        ("m5.xlarge", 8),
        ("m5.2xlarge", 16),
        ("r5.4xlarge", 32),
        ("m1.small", 1),
        ("c5.large", 4),
        ("x.weird", None),
    ],
)
def test_normalization_factor_follows_emr_table(itype, factor):
    assert normalization_factor(itype) == factor


def test_nih_of_a_single_group_turns_back_into_instance_hours():
    # 3 x m5.xlarge for 1 h = 24 NIH -> 3 instance-hours at (0.2 + 0.05)
    est = estimate_emr_on_ec2(
        TABLE,
        region="us-east-1",
        groups=[InstanceGroupUsage(instance_type="m5.xlarge", count=3)],
        normalized_instance_hours=24,
    )
    assert est.method is Method.NORMALIZED_INSTANCE_HOURS
    assert est.amount == pytest.approx(3 * 0.25)
    assert est.lines[0].quantity == pytest.approx(3)


def test_nih_is_split_across_groups_by_size_weight():
    groups = [
        InstanceGroupUsage(instance_type="m5.xlarge", count=1),  # weight 8
        InstanceGroupUsage(instance_type="r5.2xlarge", count=2),  # weight 32
    ]
    est = estimate_emr_on_ec2(TABLE, region="us-east-1", groups=groups, normalized_instance_hours=80)
    # 2 hours of everything: 1*2 m5.xlarge hours, 2*2 r5.2xlarge hours
    assert [ln.quantity for ln in est.lines] == pytest.approx([2, 4])
    assert est.amount == pytest.approx(2 * 0.25 + 4 * 0.6)


def test_without_nih_the_runtime_is_used():
    est = estimate_emr_on_ec2(
        TABLE,
        region="us-east-1",
        groups=[InstanceGroupUsage(instance_type="m5.xlarge", count=4)],
        runtime_hours=0.5,
    )
    assert est.method is Method.RUNTIME
    assert est.amount == pytest.approx(4 * 0.5 * 0.25)


def test_spot_discounts_ec2_but_not_the_emr_uplift():
    est = estimate_emr_on_ec2(
        TABLE,
        region="us-east-1",
        groups=[InstanceGroupUsage(instance_type="m5.xlarge", count=1, market=Market.SPOT)],
        runtime_hours=1,
    )
    assert est.amount == pytest.approx(0.2 * 0.5 + 0.05)
    assert any("Spot" in n for n in est.notes)


def test_region_factor_scales_prices_and_unknown_region_says_so():
    groups = [InstanceGroupUsage(instance_type="m5.xlarge", count=1)]
    eu = estimate_emr_on_ec2(TABLE, region="eu-west-1", groups=groups, runtime_hours=1)
    assert eu.amount == pytest.approx(0.5)
    xx = estimate_emr_on_ec2(TABLE, region="xx-moon-1", groups=groups, runtime_hours=1)
    assert xx.amount == pytest.approx(0.25)
    assert any("xx-moon-1" in n for n in xx.notes)


def test_unknown_instance_type_gives_no_estimate_rather_than_zero():
    est = estimate_emr_on_ec2(
        TABLE,
        region="us-east-1",
        groups=[InstanceGroupUsage(instance_type="z9.xlarge", count=2)],
        runtime_hours=1,
    )
    assert est.amount is None
    assert est.method is Method.NONE
    assert "no estimate" in est.label
    assert any("z9.xlarge" in n for n in est.notes)


def test_serverless_prices_billed_resource_utilization():
    est = estimate_serverless(
        TABLE,
        region="us-east-1",
        billed_resource_utilization={"vCPUHour": 10, "memoryGBHour": 40, "storageGBHour": 100},
    )
    assert est.amount == pytest.approx(10 * 0.05 + 40 * 0.005 + 100 * 0.0001)
    arm = estimate_serverless(
        TABLE, region="us-east-1", billed_resource_utilization={"vCPUHour": 10}, architecture="ARM64"
    )
    assert arm.amount == pytest.approx(0.4)


def test_eks_estimate_is_the_uplift_only_and_says_so():
    est = estimate_emr_on_eks(TABLE, region="us-east-1", vcpu=8, memory_gb=32, runtime_hours=2)
    assert est.amount == pytest.approx(16 * 0.01 + 64 * 0.001)
    assert any("not included" in n for n in est.notes)


def test_every_label_says_estimate_and_the_price_date():
    est = estimate_serverless(TABLE, region="us-east-1", billed_resource_utilization={"vCPUHour": 1})
    assert "estimate" in est.label
    assert "2025-01-01" in est.label
    d = est.to_dict()
    assert d["estimate"] is True
    assert d["price_date"] == "2025-01-01"


def test_estimate_from_result_dispatches_on_the_result_shape():
    ec2 = estimate_from_result(
        TABLE,
        {
            "NormalizedInstanceHours": 8,
            "InstanceGroups": [{"InstanceType": "m5.xlarge", "RequestedInstanceCount": 1}],
        },
        region="us-east-1",
    )
    assert ec2.amount == pytest.approx(0.25)
    sls = estimate_from_result(TABLE, {"billedResourceUtilization": {"vCPUHour": 2}}, region="us-east-1")
    assert sls.method is Method.SERVERLESS_BILLED
    eks = estimate_from_result(TABLE, {"vcpu": 1, "memory_gb": 0, "runtime_hours": 1}, region="us-east-1")
    assert eks.amount == pytest.approx(0.01)


def _item(dag, run, task, amount_vcpu_hours):
    est = estimate_serverless(
        TABLE, region="us-east-1", billed_resource_utilization={"vCPUHour": amount_vcpu_hours}
    )
    return CostItem(dag_id=dag, run_id=run, task_id=task, estimate=est)


def test_rollup_sums_per_task_group_run_and_dag():
    items = [
        _item("d", "r1", "etl.step_a", 1),
        _item("d", "r1", "etl.step_b", 2),
        _item("d", "r1", "report", 3),
        _item("d", "r2", "etl.step_a", 4),
        _item("e", "r1", "x", 5),
    ]
    by_group = rollup(TABLE, items, by="group")
    assert by_group[("d", "r1", "etl")].amount == pytest.approx(3 * 0.05)
    assert by_group[("d", "r1", "")].amount == pytest.approx(3 * 0.05)
    by_run = rollup(TABLE, items, by="run")
    assert by_run[("d", "r1")].amount == pytest.approx(6 * 0.05)
    by_dag = rollup(TABLE, items, by="dag")
    assert by_dag[("d",)].amount == pytest.approx(10 * 0.05)
    assert by_dag[("e",)].amount == pytest.approx(5 * 0.05)


def test_rollup_keeps_unpriced_items_visible():
    unpriced = CostItem(
        dag_id="d",
        run_id="r",
        task_id="t2",
        estimate=estimate_emr_on_ec2(TABLE, region="us-east-1", groups=[], runtime_hours=None),
    )
    out = rollup(TABLE, [_item("d", "r", "t1", 1), unpriced], by="run")[("d", "r")]
    assert out.amount == pytest.approx(0.05)
    assert any("1 of 2 items could not be priced" in n for n in out.notes)


def test_step_cost_is_the_clusters_rate_over_the_step_runtime():
    from emr_dags.cost.model import estimate_emr_step

    groups = [InstanceGroupUsage(instance_type="m5.xlarge", count=4)]
    est = estimate_emr_step(TABLE, region="us-east-1", groups=groups, runtime_hours=0.25)
    assert est.amount == pytest.approx(4 * 0.25 * 0.25)
    shared = estimate_emr_step(
        TABLE, region="us-east-1", groups=groups, runtime_hours=0.25, concurrent_steps=2
    )
    assert shared.amount == pytest.approx(est.amount / 2)
    assert any("concurrent" in n for n in shared.notes)


def test_estimate_from_the_emr_operators_actual_xcom_result():
    # Shape pushed by emr_dags.operators.emr (_result) and serverless operators.
    result = {
        "cluster_id": "j-1",
        "state": "TERMINATED",
        "normalized_instance_hours": 16,
        "created_at": "2026-01-01T00:00:00+00:00",
        "ended_at": "2026-01-01T00:30:00+00:00",
    }
    groups = [{"InstanceType": "m5.xlarge", "RequestedInstanceCount": 2}]
    est = estimate_from_result(TABLE, result, region="us-east-1", instance_groups=groups)
    assert est.method is Method.NORMALIZED_INSTANCE_HOURS
    assert est.amount == pytest.approx(2 * 0.25)
    no_groups = estimate_from_result(TABLE, result, region="us-east-1")
    assert no_groups.amount is None
    assert any("instance groups" in n for n in no_groups.notes)
    runtime = estimate_from_result(
        TABLE, {**result, "normalized_instance_hours": None}, region="us-east-1", instance_groups=groups
    )
    assert runtime.method is Method.RUNTIME
    assert runtime.amount == pytest.approx(2 * 0.5 * 0.25)
    sls = estimate_from_result(
        TABLE, {"job_run_id": "x", "billed_resource_utilization": {"vCPUHour": 1.0}}, region="us-east-1"
    )
    assert sls.amount == pytest.approx(0.05)
