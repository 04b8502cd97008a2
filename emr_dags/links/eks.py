"""Link for EMR on EKS job runs. Payload XCom key: ``emr_dags_eks``."""

from __future__ import annotations

from typing import Any

from emr_dags.links.base import CONSOLE, EmrDagsLink

EKS_KEY = "emr_dags_eks"


class EmrEksJobLink(EmrDagsLink):
    name = "EMR on EKS Job"
    key = EKS_KEY

    def url(self, p: dict[str, Any]) -> str:
        return (
            CONSOLE
            + "/emr/home?region={region_name}#/virtual-clusters/{virtual_cluster_id}/job-runs/{job_id}"
        ).format(**p)
