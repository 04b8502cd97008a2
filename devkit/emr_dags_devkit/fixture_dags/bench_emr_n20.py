"""Benchmark fixture (an airflow DAG): a 20-step emr-dags transient-cluster pipeline (``emr-dags bench``)."""

from __future__ import annotations

from emr_dags_devkit.bench.shapes import emr_dags_pipeline

dag = emr_dags_pipeline("bench_emr_n20", n_steps=20, poll_interval=5.0, tags=["bench", "emr-dags"])
