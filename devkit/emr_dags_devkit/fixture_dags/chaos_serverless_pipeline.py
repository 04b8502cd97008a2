"""Chaos fixture (an airflow DAG): an emr-dags EMR Serverless pipeline (``emr-dags chaos`` drives it).

Not an example to copy (see ``emr_serverless_jobs.py``): schedule=None, fast polling and retries so
the harness can SIGKILL the job task right after StartJobRun and audit that the retry re-attached to
the one job run and that the application this run created was stopped and deleted.
"""

from __future__ import annotations

from emr_dags_devkit.bench.shapes import serverless_pipeline_dag

dag = serverless_pipeline_dag(
    "chaos_serverless_pipeline",
    poll_interval=2.0,
    tags=["chaos", "emr-dags", "emr-serverless"],
    retries=2,
    max_active_runs=10,
)
