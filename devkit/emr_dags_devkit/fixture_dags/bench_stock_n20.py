"""Benchmark fixture (an airflow DAG): the stock amazon-provider twin of ``bench_emr_n20``.

EmrCreateJobFlowOperator, 20 x (EmrAddStepsOperator -> EmrStepSensor), EmrTerminateJobFlowOperator.
"""

from __future__ import annotations

from emr_dags_devkit.bench.shapes import stock_pipeline

dag = stock_pipeline("bench_stock_n20", n_steps=20, poll_interval=5.0, tags=["bench", "stock"])
