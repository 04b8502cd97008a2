"""Maintenance: stop EMR resources emr-dags launched whose DAG run is over (the orphan reaper).

Terminates clusters and cancels Serverless / EMR on EKS job runs launched by this deployment
(``emr-dags:deployment``, consistent key tag) whose DAG run has finished, or is unknown to Airflow and
past its ``emr-dags:deadline``. Resources without our tags, other deployments' and ones whose tags were
copied or edited are never touched.

Unscheduled and a dry run by default: trigger it, e.g.
``airflow dags trigger emr_dags_reaper -c '{"dry_run": false}'``. Set env ``EMR_DAGS_REAPER_SCHEDULE=@hourly``
(and ``EMR_DAGS_REAPER_DRY_RUN=false``) on the dag-processor and scheduler to run it hourly, or pass
``schedule=``/``dry_run=`` below. See ``emr_dags.ops.reaper_dag``.
"""

from __future__ import annotations

import os

from emr_dags.ops.reaper_dag import reaper_dag

dag = reaper_dag(
    schedule=os.environ.get("EMR_DAGS_REAPER_SCHEDULE") or None,
    dry_run=os.environ.get("EMR_DAGS_REAPER_DRY_RUN", "true").lower() not in ("false", "0", "no"),
)
