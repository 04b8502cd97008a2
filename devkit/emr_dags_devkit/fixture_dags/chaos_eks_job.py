"""Chaos fixture (an airflow DAG): an emr-dags EMR on EKS job (``emr-dags chaos`` drives it).

Not an example to copy (see ``emr_on_eks_job.py``): schedule=None, fast polling and retries so the
harness can SIGKILL the job task right after StartJobRun and audit that the retry re-attached to the
one job run. Runs on the local stack's seeded virtual cluster ``emr-dags-demo``.
"""

from __future__ import annotations

from emr_dags_devkit.bench.shapes import eks_job_dag

dag = eks_job_dag(
    "chaos_eks_job",
    poll_interval=2.0,
    tags=["chaos", "emr-dags", "emr-on-eks"],
    retries=2,
    max_active_runs=10,
)
