"""An in-memory EMR client with just enough behaviour for idempotency tests."""

from __future__ import annotations

import itertools
from typing import Any


class ClientError(Exception):
    def __init__(self, code: str, status: int) -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}


class FakePager:
    """botocore's ``get_paginator`` over a fake's list method: one page, PageSize as maxResults."""

    def get_paginator(self, operation: str) -> Any:
        method = getattr(self, operation)

        class _Paginator:
            def paginate(self, PaginationConfig: dict[str, Any] | None = None, **params: Any) -> Any:
                size = (PaginationConfig or {}).get("PageSize")
                yield method(**params, **({"maxResults": size} if size else {}))

        return _Paginator()


class FakeEmr(FakePager):
    def __init__(self) -> None:
        self.clusters: dict[str, dict[str, Any]] = {}
        self.steps: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[str] = []
        self.fail_after_run_job_flow = 0  # server creates the cluster, then the reply is lost (500)
        self._ids = itertools.count(1)

    def run_job_flow(self, **req: Any) -> dict[str, Any]:
        self.calls.append("RunJobFlow")
        cid = f"j-{next(self._ids)}"
        self.clusters[cid] = {
            "Id": cid,
            "Name": req["Name"],
            "Tags": req.get("Tags", []),
            "Status": {"State": "STARTING"},
        }
        self.steps[cid] = []
        if self.fail_after_run_job_flow:
            self.fail_after_run_job_flow -= 1
            raise ClientError("InternalFailure", 500)
        return {"JobFlowId": cid}

    def list_clusters(self, ClusterStates: list[str], Marker: str | None = None) -> dict[str, Any]:
        self.calls.append("ListClusters")
        return {
            "Clusters": [
                {"Id": c["Id"], "Name": c["Name"], "Status": c["Status"]}
                for c in self.clusters.values()
                if c["Status"]["State"] in ClusterStates
            ]
        }

    def describe_cluster(self, ClusterId: str) -> dict[str, Any]:
        self.calls.append("DescribeCluster")
        return {"Cluster": self.clusters[ClusterId]}

    def add_job_flow_steps(self, JobFlowId: str, Steps: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append("AddJobFlowSteps")
        ids = []
        for step in Steps:
            sid = f"s-{next(self._ids)}"
            self.steps[JobFlowId].insert(0, {"Id": sid, "Name": step["Name"], "Status": {"State": "PENDING"}})
            ids.append(sid)
        return {"StepIds": ids}

    def list_steps(self, ClusterId: str, Marker: str | None = None) -> dict[str, Any]:
        self.calls.append("ListSteps")
        return {"Steps": list(self.steps[ClusterId])}

    def terminate_job_flows(self, JobFlowIds: list[str]) -> dict[str, Any]:
        self.calls.append("TerminateJobFlows")
        for cid in JobFlowIds:
            self.clusters[cid]["Status"]["State"] = "TERMINATING"
        return {}

    def cancel_steps(self, ClusterId: str, StepIds: list[str], StepCancellationOption: str) -> dict[str, Any]:
        self.calls.append("CancelSteps")
        for sid in StepIds:
            self.set_step_state(ClusterId, sid, "CANCELLED")
        return {"CancelStepsInfoList": [{"StepId": sid, "Status": "SUBMITTED"} for sid in StepIds]}

    def set_step_state(self, cluster_id: str, step_id: str, state: str) -> None:
        for step in self.steps[cluster_id]:
            if step["Id"] == step_id:
                step["Status"]["State"] = state
