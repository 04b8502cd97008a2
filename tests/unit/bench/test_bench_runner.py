from __future__ import annotations

import pytest

from emr_dags.bench.runner import ROWS, format_table, run_bench


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
