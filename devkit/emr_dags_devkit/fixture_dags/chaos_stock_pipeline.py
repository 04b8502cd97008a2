"""Chaos fixture (an airflow DAG): the stock amazon-provider twin of ``chaos_emr_pipeline`` (same cluster, same 2 steps).

EmrCreateJobFlowOperator -> 2 x (EmrAddStepsOperator -> EmrStepSensor) -> EmrTerminateJobFlowOperator,
with the same retries, so ``emr-dags chaos --stock`` can show what the same faults do without exactly-once.
"""

from __future__ import annotations

from emr_dags_devkit.bench.shapes import stock_pipeline

dag = stock_pipeline(
    "chaos_stock_pipeline",
    n_steps=2,
    poll_interval=2.0,
    tags=["chaos", "stock"],
    retries=2,
    max_active_runs=10,
)
