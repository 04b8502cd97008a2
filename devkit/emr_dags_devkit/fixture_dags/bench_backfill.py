"""Benchmark fixtures (airflow DAGs): the 1-step emr-dags pipeline and its stock twin, scheduled
``@daily`` so ``emr-dags bench --only backfill`` can backfill them (``airflow backfill create``).

The same shapes as ``bench_emr_n1`` / ``bench_stock_n1``; separate DAGs because those must stay
unscheduled. The schedule ends at ``BACKFILL_END`` (early 2026): unpausing starts no run of today.
"""

from __future__ import annotations

from emr_dags_devkit.bench.backfill import MAX_ACTIVE_RUNS, RETRIES
from emr_dags_devkit.bench.shapes import emr_dags_pipeline, stock_pipeline

bench_emr_backfill_n1 = emr_dags_pipeline(
    "bench_emr_backfill_n1",
    n_steps=1,
    poll_interval=5.0,
    tags=["bench", "emr-dags"],
    schedule="@daily",
    max_active_runs=MAX_ACTIVE_RUNS,
    retries=RETRIES,
)
bench_stock_backfill_n1 = stock_pipeline(
    "bench_stock_backfill_n1",
    n_steps=1,
    poll_interval=5.0,
    tags=["bench", "stock"],
    schedule="@daily",
    max_active_runs=MAX_ACTIVE_RUNS,
    retries=RETRIES,
)
