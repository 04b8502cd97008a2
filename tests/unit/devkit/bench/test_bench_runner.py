from __future__ import annotations

import pytest

from emr_dags_devkit.bench.runner import ROWS, format_table, run_bench


def test_table_has_one_line_per_figure_with_a_ratio():
    rows = [
        {"row": "api_calls_n1", "unit": "calls", "setup": "N=1", "emr-dags": 10, "stock": 40},
        {
            "row": "parse",
            "unit": "ms",
            "setup": "median of 10",
            "emr-dags": 50.0,
            "stock": 100.0,
            "floor": 20.0,
        },
        {
            "row": "triggerer_50",
            "setup": "50 waits",
            "emr-dags": {"cpu_seconds": 1.0, "rss_mib_added": 10.0, "api_calls_per_min": 6.0},
            "stock": {"cpu_seconds": 4.0, "rss_mib_added": 40.0, "api_calls_per_min": 600.0},
        },
        {"row": "_runs", "runs": {}},
    ]
    table = format_table(rows)
    assert "0.25x" in table
    assert "0.50x" in table
    assert "0.01x" in table
    assert "floor (EmptyOperator) 20.0 ms" in table
    assert "_runs" not in table
    assert len(table.splitlines()) == 2 + 1 + 1 + 3


def test_unknown_rows_are_refused_with_the_allowed_names():
    with pytest.raises(SystemExit, match="parse"):
        run_bench(only=["nope"], quick=True, seed=1)
    assert "backfill" in ROWS


def _run(slots: float, latency: float, lifetime: float) -> dict:
    return {
        "api_calls": 10,
        "api_calls_by_action": {},
        "slot_seconds_steps": slots,
        "slot_seconds_total": slots + 5,
        "latency_seconds": latency,
        "cluster_lifetime_seconds": lifetime,
    }


def test_the_end_from_trigger_run_gets_its_own_rows_against_the_same_stock_run():
    from emr_dags_devkit.bench.runner import END_FROM_TRIGGER, STACK_TIME_SCALE, _measured_rows

    measured = {
        ("emr-dags", 1): _run(10.0, 7.0, 36.0),
        ("stock", 1): _run(27.0, 4.8, 33.0),
        (END_FROM_TRIGGER, 1): _run(4.0, 2.5, 30.0),
    }
    rows = {r["row"]: r for r in _measured_rows(measured, (1,), {"slots", "latency"}, "s")}
    assert rows["latency_step_end_to_downstream_start"]["emr-dags"] == 7.0
    eft = rows["latency_step_end_to_downstream_start_end_from_trigger"]
    assert (eft["emr-dags"], eft["stock"]) == (2.5, 4.8)
    assert rows["slot_seconds_per_step_n1_end_from_trigger"]["emr-dags"] == 4.0
    life = rows["cluster_lifetime_n1_end_from_trigger"]
    assert (life["emr-dags"], life["stock"]) == (30.0 / STACK_TIME_SCALE, 33.0 / STACK_TIME_SCALE)
    # without the slots row asked for, no end_from_trigger slot row either
    only_latency = {r["row"] for r in _measured_rows(measured, (1,), {"latency"}, "s")}
    assert "slot_seconds_per_step_n1_end_from_trigger" not in only_latency
