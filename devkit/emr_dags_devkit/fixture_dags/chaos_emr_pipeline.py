"""Chaos fixture (an airflow DAG): a 2-step emr-dags transient-cluster pipeline (``emr-dags chaos`` drives it).

Not an example to copy: schedule=None, fast polling and step retries so the harness can kill task
processes, restart the triggerer/scheduler and inject throttling while auditing AWS-side state.
Runs whose id contains ``chaos-fail`` meet an emulator rule that fails their steps.
"""

from __future__ import annotations

from emr_dags_devkit.bench.shapes import emr_dags_pipeline

dag = emr_dags_pipeline(
    "chaos_emr_pipeline",
    n_steps=2,
    poll_interval=2.0,
    tags=["chaos", "emr-dags"],
    retries=2,
    max_active_runs=10,
)
