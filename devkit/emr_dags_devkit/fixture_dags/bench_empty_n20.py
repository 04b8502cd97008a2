"""Benchmark fixture (an airflow DAG): the stock twin's graph made of EmptyOperators (the parse-time floor)."""

from __future__ import annotations

from emr_dags_devkit.bench.shapes import empty_pipeline

dag = empty_pipeline("bench_empty_n20", n_steps=20, tags=["bench"])
