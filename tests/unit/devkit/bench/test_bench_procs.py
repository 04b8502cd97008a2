from __future__ import annotations

from emr_dags_devkit.bench import procs


def _table():
    return {
        10: procs.Proc(10, 1, "airflow scheduler"),
        11: procs.Proc(11, 10, "airflow worker -- LocalExecutor: ti-a"),
        12: procs.Proc(12, 11, "airflow worker -- ti-a"),
        13: procs.Proc(13, 10, "airflow worker -- LocalExecutor: <idle>"),
        20: procs.Proc(20, 1, "airflow scheduler"),  # another stack's scheduler
        21: procs.Proc(21, 20, "airflow worker -- LocalExecutor: ti-b"),
        22: procs.Proc(22, 21, "airflow worker -- ti-b"),
    }


def test_descendants_stay_inside_one_stack(monkeypatch):
    monkeypatch.setattr(procs, "processes", _table)
    assert sorted(p.pid for p in procs.descendants(10)) == [11, 12, 13]


def test_task_process_is_the_child_not_the_supervisor(monkeypatch):
    monkeypatch.setattr(procs, "processes", _table)
    assert procs.task_process(10, "ti-a") == 12
    assert procs.task_process(10, "ti-b") is None  # never another stack's task


def test_busy_slots_skip_idle_workers(monkeypatch):
    monkeypatch.setattr(procs, "processes", _table)
    assert procs.busy_slots(10) == ["ti-a"]
