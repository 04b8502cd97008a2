"""Benchmark fixtures (airflow DAGs): 1- and 5-step emr-dags pipelines and their stock twins (``emr-dags bench``),
plus the 1-step pipeline with ``end_from_trigger=True`` (its own rows, next to the default's)."""

from __future__ import annotations

from emr_dags_devkit.bench.shapes import emr_dags_pipeline, stock_pipeline

bench_emr_n1 = emr_dags_pipeline("bench_emr_n1", n_steps=1, poll_interval=5.0, tags=["bench", "emr-dags"])
bench_emr_n5 = emr_dags_pipeline("bench_emr_n5", n_steps=5, poll_interval=5.0, tags=["bench", "emr-dags"])
bench_emreft_n1 = emr_dags_pipeline(
    "bench_emreft_n1", n_steps=1, poll_interval=5.0, tags=["bench", "emr-dags"], end_from_trigger=True
)
bench_stock_n1 = stock_pipeline("bench_stock_n1", n_steps=1, poll_interval=5.0, tags=["bench", "stock"])
bench_stock_n5 = stock_pipeline("bench_stock_n5", n_steps=5, poll_interval=5.0, tags=["bench", "stock"])
