"""Manual runs in Airflow 3 have no logical date; emr-dags templates still render {{ ds }}."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from emr_dags.operators._base import fill_date_macros

RUN_AFTER = dt.datetime(2026, 11, 25, 14, 5, 9, tzinfo=dt.UTC)


def test_a_run_without_logical_date_gets_date_macros_from_run_after():
    context = {"logical_date": None, "dag_run": SimpleNamespace(run_after=RUN_AFTER)}
    fill_date_macros(context)
    assert context["ds"] == "2026-11-25"
    assert context["ds_nodash"] == "20261125"
    assert context["ts_nodash"] == "20261125T140509"
    assert context["ts"] == "2026-11-25T14:05:09+00:00"


def test_a_run_with_a_logical_date_is_left_alone():
    context = {"logical_date": RUN_AFTER, "ds": "2026-03-01", "dag_run": SimpleNamespace(run_after=RUN_AFTER)}
    fill_date_macros(context)
    assert context["ds"] == "2026-03-01"
    assert "ds_nodash" not in context


def test_the_step_operator_renders_ds_for_a_manual_run():
    from emr_dags.operators.emr import EmrStepOperator
    from emr_dags.specs import CommandStep

    op = EmrStepOperator(
        task_id="count", cluster_id="j-1", step=CommandStep(name="count", argv=["echo", "{{ ds_nodash }}"])
    )
    context = {"logical_date": None, "dag_run": SimpleNamespace(run_after=RUN_AFTER), "params": {}}
    op.render_template_fields(context)
    rendered = op.step if isinstance(op.step, dict) else None
    assert rendered is not None, f"step not rendered to a dict: {op.step!r}"
    assert rendered["HadoopJarStep"]["Args"] == ["echo", "20261125"]
