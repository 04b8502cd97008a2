"""Multi-tenant fixture (two Airflow DAGs): ``tenant_a`` and ``tenant_b`` share a schedule, a Serverless
application name and a cluster name; each has its own job and step. The e2e test runs them at once
and checks that neither teardown touches the other's work (issue: ownership is the whole key)."""

from __future__ import annotations

from emr_dags_devkit.bench.shapes import tenant_dag

tenant_a = tenant_dag("tenant_a", job_name="a_job", step_name="a_step")
tenant_b = tenant_dag("tenant_b", job_name="b_job", step_name="b_step")
