from __future__ import annotations

import datetime as dt

import pytest

from emr_dags_devkit.bench import backfill
from emr_dags_devkit.bench.runner import _backfill_rows, format_table

T0 = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def _cluster(cid, dag_id, run_id, *, state="TERMINATED", nih=24, name=None, tagged=True):
    tags = {"emr-dags:dag-id": dag_id, "emr-dags:run-id": run_id} if tagged else {}
    return {
        "id": cid,
        "name": name or f"bench-{dag_id}",
        "state": state,
        "tags": tags,
        "normalized_instance_hours": nih,
    }


def _timeline(created_s, ended_s=None):
    out = {"CreationDateTime": T0 + dt.timedelta(seconds=created_s)}
    if ended_s is not None:
        out["EndDateTime"] = T0 + dt.timedelta(seconds=ended_s)
    return out


def test_usage_counts_only_the_dags_clusters_and_sums_simulated_hours():
    state = {
        "time_scale": 1.0,  # 1 real second per simulated minute
        "clusters": [
            _cluster("j-1", "bench_emr_backfill_n1", "backfill__2026-01-01"),
            _cluster("j-2", "bench_emr_backfill_n1", "backfill__2026-01-02"),
            _cluster("j-3", "bench_stock_backfill_n1", "backfill__2026-01-01"),
        ],
    }
    timelines = {"j-1": _timeline(0, 60), "j-2": _timeline(10, 100), "j-3": _timeline(0, 30)}
    used = backfill.usage(state, timelines, "bench_emr_backfill_n1")
    assert used.clusters == 2
    assert used.runs_with_clusters == 2
    assert used.runs_with_several == {}
    assert used.lifetimes_minutes == [60.0, 90.0]
    assert used.cluster_hours == 2.5  # (60 + 90) simulated minutes
    assert used.instance_hours == 48
    assert used.still_active == []


def test_usage_converts_real_seconds_with_the_time_scale():
    state = {"time_scale": 0.5, "clusters": [_cluster("j-1", "d", "r")]}
    used = backfill.usage(state, {"j-1": _timeline(0, 30)}, "d")
    assert used.cluster_hours == 1.0  # 30 real s at 0.5 s/sim-min = 60 sim-min


def test_a_stock_cluster_is_recognised_by_its_name_without_tags():
    state = {"time_scale": 1.0, "clusters": [_cluster("j-9", "bench_stock_backfill_n1", "r", tagged=False)]}
    used = backfill.usage(state, {"j-9": _timeline(0, 6)}, "bench_stock_backfill_n1")
    assert used.clusters == 1


def test_a_run_with_two_clusters_and_a_live_cluster_are_reported():
    state = {
        "time_scale": 1.0,
        "clusters": [
            _cluster("j-1", "d", "backfill__a"),
            _cluster("j-2", "d", "backfill__a", state="WAITING"),
        ],
    }
    now = T0 + dt.timedelta(seconds=120)
    used = backfill.usage(state, {"j-1": _timeline(0, 60), "j-2": _timeline(0)}, "d", now=now)
    assert used.clusters == 2
    assert used.runs_with_clusters == 1
    assert used.runs_with_several == {"backfill__a": 2}
    assert used.still_active == ["j-2"]
    assert used.cluster_hours == 3.0  # 60 + 120 (alive until the measurement) simulated minutes


def test_date_range_is_inclusive():
    assert backfill.date_range(30) == ("2026-01-01", "2026-01-30")
    assert backfill.date_range(5) == ("2026-01-01", "2026-01-05")


def test_run_states_count_only_backfill_runs():
    runs = [
        {"dag_run_id": "backfill__2026-01-01T00:00:00+00:00", "run_type": "backfill", "state": "success"},
        {"dag_run_id": "backfill__2026-01-02T00:00:00+00:00", "run_type": "backfill", "state": "failed"},
        {"dag_run_id": "manual__x", "run_type": "manual", "state": "success"},
    ]
    assert backfill.run_states(runs) == {"success": 1, "failed": 1}


def _result(dag_id, **over):
    base = {
        "dag_id": dag_id,
        "dates": 5,
        "seconds": 100.0,
        "run_states": {"success": 5},
        "runs_success": 5,
        "runs_not_ended": 0,
        "clusters": 5,
        "clusters_left_active": [],
        "cluster_hours": 5.0,
        "normalized_instance_hours": 120,
    }
    return {**base, **over}


def test_clean_backfill_has_no_problems_and_four_rows_named_by_the_date_count():
    rows = _backfill_rows(
        {"emr-dags": _result("e"), "stock": _result("s", cluster_hours=4.0)}, 5, True, "scale 1"
    )
    assert [r["row"] for r in rows] == [
        "backfill_5_dates_clusters",
        "backfill_5_dates_cluster_hours",
        "backfill_5_dates_instance_hours",
        "backfill_5_dates_wall_time",
    ]
    assert all(r["problems"] == [] for r in rows)
    assert "--quick; the full bench does 30" in rows[0]["setup"]
    assert "all 5 runs success and nothing left running" in rows[0]["setup"]
    assert "1.25x" in format_table(rows)


@pytest.mark.parametrize(
    ("over", "says"),
    [
        ({"runs_success": 4, "run_states": {"success": 4, "failed": 1}}, "4/5 runs success"),
        ({"clusters_left_active": ["j-1"]}, "clusters still active ['j-1']"),
    ],
)
def test_a_failed_run_or_a_live_cluster_makes_the_row_not_clean(over, says):
    rows = _backfill_rows({"emr-dags": _result("e", **over), "stock": _result("s")}, 5, False, "")
    assert any(says in p for p in rows[0]["problems"])
    assert "NOT CLEAN" in rows[0]["setup"]
    assert "--quick" not in rows[0]["setup"]


def test_retried_tasks_counts_task_instances_past_their_first_try():
    tis = [
        {"task_id": "pipeline.create_cluster", "try_number": 2},
        {"task_id": "pipeline.create_cluster", "try_number": 1},
        {"task_id": "pipeline.step_01", "try_number": 3},
        {"task_id": "pipeline.terminate_cluster", "try_number": None},
    ]
    assert backfill.retried_tasks(tis) == {"pipeline.create_cluster": 1, "pipeline.step_01": 1}
