"""Links for EMR Serverless applications and job runs. Payload XCom key: ``emr_dags_serverless``."""

from __future__ import annotations

from typing import Any

from emr_dags.links.base import CONSOLE, EmrDagsLink
from emr_dags.links.emr import _s3_console

SERVERLESS_KEY = "emr_dags_serverless"


class EmrServerlessJobLink(EmrDagsLink):
    """The job run's dashboard page in EMR Studio (Spark UI / Tez UI launch from there)."""

    name = "EMR Serverless Job"
    key = SERVERLESS_KEY

    def url(self, p: dict[str, Any]) -> str:
        return (
            CONSOLE + "/emr/home?region={region_name}#/serverless-applications/{application_id}"
            "/job-runs/{job_run_id}"
        ).format(**p)


class EmrServerlessLogsLink(EmrDagsLink):
    name = "EMR Serverless Logs"
    key = SERVERLESS_KEY

    def url(self, p: dict[str, Any]) -> str:
        log_uri = p.get("log_uri")
        if not log_uri:
            return EmrServerlessJobLink().url(p)
        return _s3_console(
            f"{log_uri.rstrip('/')}/applications/{p['application_id']}/jobs/{p['job_run_id']}/",
            p["region_name"],
            p["aws_domain"],
        )
