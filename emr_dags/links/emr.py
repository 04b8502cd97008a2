"""Links for EMR on EC2 clusters and steps. Payload XCom key: ``emr_dags_cluster`` / ``emr_dags_step``."""

from __future__ import annotations

from typing import Any

from emr_dags.links.base import CONSOLE, EmrDagsLink, s3_console_url

CLUSTER_KEY = "emr_dags_cluster"
STEP_KEY = "emr_dags_step"


def _cluster_page(p: dict[str, Any]) -> str:
    return (CONSOLE + "/emr/home?region={region_name}#/clusterDetails/{cluster_id}").format(**p)


def _s3_console(uri: str, region: str, domain: str) -> str:
    return s3_console_url(uri, region, domain)


class EmrClusterLink(EmrDagsLink):
    name = "EMR Cluster"
    key = CLUSTER_KEY

    def url(self, p: dict[str, Any]) -> str:
        return _cluster_page(p)


class EmrClusterLogsLink(EmrDagsLink):
    """The cluster's S3 log folder; without a LogUri, the console cluster page (EMR-managed logs)."""

    name = "EMR Cluster Logs"
    key = CLUSTER_KEY

    def url(self, p: dict[str, Any]) -> str:
        log_uri = p.get("log_uri")
        if not log_uri:
            return _cluster_page(p) + "?tab=logs"
        return _s3_console(f"{log_uri.rstrip('/')}/{p['cluster_id']}/", p["region_name"], p["aws_domain"])


class EmrAppUiLink(EmrDagsLink):
    """The persistent application UIs (Spark history server, YARN timeline, Tez UI) of the cluster."""

    name = "Spark History (persistent UI)"
    key = CLUSTER_KEY

    def url(self, p: dict[str, Any]) -> str:
        return _cluster_page(p) + "?tab=applications"


class EmrStepLink(EmrDagsLink):
    name = "EMR Step"
    key = STEP_KEY

    def url(self, p: dict[str, Any]) -> str:
        return _cluster_page(p) + "/steps/{step_id}".format(**p)


class EmrStepLogsLink(EmrDagsLink):
    name = "EMR Step Logs"
    key = STEP_KEY

    def url(self, p: dict[str, Any]) -> str:
        log_uri = p.get("log_uri")
        if not log_uri:
            return _cluster_page(p) + "/steps/{step_id}".format(**p)
        return _s3_console(
            f"{log_uri.rstrip('/')}/{p['cluster_id']}/steps/{p['step_id']}/",
            p["region_name"],
            p["aws_domain"],
        )


class EmrStepClusterLink(EmrClusterLink):
    """The cluster page, from a step task (payload carries the cluster id too)."""

    key = STEP_KEY


class EmrStepAppUiLink(EmrAppUiLink):
    key = STEP_KEY
