"""EMR on EKS: idempotent job-run operations over a boto3 ``emr-containers`` client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emr_dags import tags as tagmod
from emr_dags.aws.naming import client_token
from emr_dags.aws.paging import PAGE_SIZE, pages
from emr_dags.aws.requests import validate
from emr_dags.aws.states import EKS_JOB_ACTIVE, EKS_JOB_FAILED, EKS_JOB_SUCCESS, EKS_VIRTUAL_CLUSTER_RUNNING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mypy_boto3_emr_containers import EMRContainersClient


class EksApi:
    """Idempotent EMR on EKS operations; single calls are retried by botocore only."""

    def __init__(self, client: EMRContainersClient) -> None:
        self.client = client

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        return dict(getattr(self.client, operation)(**params))

    def _pages(self, operation: str, items: str, **params: Any) -> Iterator[dict[str, Any]]:
        return pages(self.client, operation, items, page_size=PAGE_SIZE, **params)

    def find_virtual_cluster_id(self, name: str) -> str | None:
        """The RUNNING virtual cluster named exactly ``name`` (names are matched as given), or None."""
        for vc in self._pages(
            "list_virtual_clusters", "virtualClusters", states=list(EKS_VIRTUAL_CLUSTER_RUNNING)
        ):
            if vc.get("name") == name:
                return str(vc["id"])
        return None

    def runs_with_key(
        self, virtual_cluster_id: str, key: str, name: str | None = None, deployment: str | None = None
    ) -> list[dict[str, Any]]:
        """Every job run of the virtual cluster whose ``emr-dags:key`` tag is ``key``, newest first.

        Only runs named ``name`` (as given) are looked at; ListJobRuns carries tags, and a run
        listed without them is confirmed with DescribeJobRun.
        """
        runs = []
        for run in self._pages("list_job_runs", "jobRuns", virtualClusterId=virtual_cluster_id):
            if (run.get("name") or None) != (name or None):
                continue
            run_tags = run.get("tags")
            if run_tags is None:
                run_tags = self.describe_job_run(virtual_cluster_id, run["id"]).get("tags")
            if tagmod.is_keyed(run_tags, key, deployment):
                runs.append(run)
        return sorted(runs, key=lambda r: str(r.get("createdAt", "")), reverse=True)

    def start_job_run(self, request: dict[str, Any], key: str, tags: dict[str, str]) -> tuple[str, bool]:
        """Re-attach to a live or completed run with ``key``; else start one. Returns (id, reattached)."""
        vc = str(request["virtualClusterId"])
        deployment = tags.get(tagmod.DEPLOYMENT)
        runs = self.runs_with_key(vc, key, request.get("name"), deployment)
        if runs and runs[0].get("state") in EKS_JOB_ACTIVE + EKS_JOB_SUCCESS:
            return str(runs[0]["id"]), True
        failed = sum(1 for r in runs if r.get("state") in EKS_JOB_FAILED)
        req = dict(request)
        req["tags"] = {**(req.get("tags") or {}), **tags}
        req["clientToken"] = client_token(key, failed, deployment)
        validate("emr-containers", "StartJobRun", req)
        return str(self._call("start_job_run", **req)["id"]), False

    def describe_job_run(self, virtual_cluster_id: str, job_id: str) -> dict[str, Any]:
        return dict(self._call("describe_job_run", virtualClusterId=virtual_cluster_id, id=job_id)["jobRun"])

    def list_job_runs(self, virtual_cluster_id: str, ids: set[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for run in self._pages("list_job_runs", "jobRuns", virtualClusterId=virtual_cluster_id):
            if run["id"] in ids:
                found[run["id"]] = run
                if ids <= found.keys():
                    break
        return found

    def cancel_job_run(self, virtual_cluster_id: str, job_id: str) -> None:
        self._call("cancel_job_run", virtualClusterId=virtual_cluster_id, id=job_id)
