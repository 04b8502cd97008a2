"""EMR on EC2: idempotent cluster and step operations over a boto3 ``emr`` client.

Every method takes and returns plain dicts; the client is injected so unit tests use a fake.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from emr_dags import tags as tagmod
from emr_dags.aws.backoff import is_retryable
from emr_dags.aws.naming import has_marker, tag_dict, tag_list, with_marker
from emr_dags.aws.paging import pages
from emr_dags.aws.requests import validate
from emr_dags.aws.states import CLUSTER_ACTIVE, STEP_ACTIVE, STEP_SUCCESS

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from mypy_boto3_emr import EMRClient
    from mypy_boto3_emr.type_defs import StepConfigTypeDef

log = logging.getLogger(__name__)


def iso_ts(value: Any) -> str | None:
    """A boto3 datetime (or its ISO string, from a trigger event) as an ISO string."""
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value.isoformat()
    return None if value is None else str(value)


def seconds_between(start: str | None, end: str | None) -> float | None:
    import datetime as dt

    if not start or not end:
        return None
    return (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()


def step_result(cluster_id: str, step: dict[str, Any], reattached: bool | None) -> dict[str, Any]:
    """What a step task returns (its XCom): ids, final state and timings, from a DescribeStep /
    ListSteps entry. Built by the operator, or by the trigger when it ends the task itself."""
    timeline = step.get("Status", {}).get("Timeline", {})
    started, ended = iso_ts(timeline.get("StartDateTime")), iso_ts(timeline.get("EndDateTime"))
    return {
        "cluster_id": cluster_id,
        "step_id": step.get("Id"),
        "name": step.get("Name"),
        "state": step.get("Status", {}).get("State"),
        "reattached": reattached,
        "created_at": iso_ts(timeline.get("CreationDateTime")),
        "started_at": started,
        "ended_at": ended,
        "duration_seconds": seconds_between(started, ended),
    }


def step_summary_line(result: dict[str, Any]) -> str:
    """The one line per step the task log prints at the end."""
    return (
        f"Step {result['step_id']} {result['state']} on {result['cluster_id']} "
        f"in {result['duration_seconds']}s"
    )


def step_state(step: dict[str, Any]) -> str:
    return str(step.get("Status", {}).get("State", ""))


def reusable_step(step: dict[str, Any] | None) -> bool:
    """An earlier step is re-attached to when it is still going or already succeeded.

    A step that failed, was cancelled or interrupted is not reused: the new try adds a fresh one
    (that is what a task retry is for).
    """
    return step is not None and step_state(step) in STEP_ACTIVE + STEP_SUCCESS


class EmrApi:
    """Idempotent EMR on EC2 operations. ``client`` is a boto3 ``emr`` client (or a fake).

    Single calls are retried by botocore (the client's ``standard`` retry mode, see
    :mod:`emr_dags.aws.clients`), never again here: attempts do not multiply.
    """

    def __init__(self, client: EMRClient) -> None:
        self.client = client

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        return dict(getattr(self.client, operation)(**params))

    def _pages(self, operation: str, items: str, **params: Any) -> Iterator[dict[str, Any]]:
        return pages(self.client, operation, items, **params)

    # -- clusters ---------------------------------------------------------------------------
    def describe_cluster(self, cluster_id: str) -> dict[str, Any]:
        return dict(self._call("describe_cluster", ClusterId=cluster_id)["Cluster"])

    def find_cluster(
        self, key: str, name: str | None = None, deployment: str | None = None
    ) -> dict[str, Any] | None:
        """The active cluster whose ``emr-dags:key`` tag is ``key`` (and, given, whose
        ``emr-dags:deployment`` tag is ``deployment``), or None.

        With ``name`` (the name the cluster was created with, as given) only clusters of that exact
        name are described, which keeps the look-up to one DescribeCluster in the usual case.
        """
        for summary in self._keyed_clusters(key, name, deployment):
            return self.describe_cluster(summary["Id"])
        return None

    def _keyed_clusters(
        self, key: str, name: str | None, deployment: str | None, also: str = ""
    ) -> list[dict[str, Any]]:
        """Active cluster summaries carrying ``key`` by tag (plus the cluster ``also``, just created)."""
        found = []
        for summary in self._pages("list_clusters", "Clusters", ClusterStates=list(CLUSTER_ACTIVE)):
            if name is not None and summary.get("Name") != name and summary["Id"] != also:
                continue
            if summary["Id"] == also or tagmod.is_keyed(
                tag_dict(self.describe_cluster(summary["Id"]).get("Tags")), key, deployment
            ):
                found.append(summary)
        return found

    def find_cluster_id(
        self, *, name: str | None = None, tags: dict[str, str] | None = None, states: Iterable[str] = ()
    ) -> str | None:
        """An active cluster by exact name and/or tags (newest first); None when nothing matches."""
        wanted_tags = dict(tags or {})
        for summary in self._pages("list_clusters", "Clusters", ClusterStates=list(states or CLUSTER_ACTIVE)):
            if name is not None and summary.get("Name") != name:
                continue
            if wanted_tags:
                got = tag_dict(self.describe_cluster(summary["Id"]).get("Tags"))
                if any(got.get(k) != v for k, v in wanted_tags.items()):
                    continue
            return str(summary["Id"])
        return None

    def create_cluster(self, request: dict[str, Any], key: str, tags: dict[str, str]) -> str:
        """RunJobFlow with the name as given and the ownership tags (the key among them).

        RunJobFlow has no client token. When a call fails with a retryable error the request may
        still have succeeded server-side, so before each retry we look the key up again instead
        of blindly re-sending (which could create a second cluster).
        """
        req = dict(request)
        req["Tags"] = tag_list(tags, req.get("Tags"))
        validate("emr", "RunJobFlow", req)
        name, deployment = req.get("Name"), tags.get(tagmod.DEPLOYMENT)
        try:
            created = str(self.client.run_job_flow(**req)["JobFlowId"])
        except Exception as exc:
            # botocore has retried already. After a 5xx or a lost reply the cluster may exist all
            # the same: look once before failing, so the task's retry does not start a second one.
            if not is_retryable(exc):
                raise
            found = self.find_cluster(key, name, deployment)
            if found is None:
                raise
            return str(found["Id"])
        return self._settle_cluster(key, created, name, deployment)

    def _settle_cluster(
        self, key: str, created: str, name: str | None = None, deployment: str | None = None
    ) -> str:
        """Resolve a creation race: keep the oldest cluster carrying ``key``.

        RunJobFlow has no client token, so two copies of one try running at once (a zombie task and
        its replacement, or `airflow dags test` beside a scheduler) can both pass the lookup and
        create. Every racer lists again after creating and picks the same winner (oldest, then
        lowest id); a loser terminates the cluster it just made and re-attaches to the winner.
        Rivals are proven by the key tag, so a cluster of the same name but another owner (another
        DAG on the same schedule) is never a rival and never terminated.
        """
        rivals = self._keyed_clusters(key, name, deployment, also=created)
        if len(rivals) <= 1:
            return created
        winner = str(min(rivals, key=_creation_order)["Id"])
        if winner != created:
            log.warning(
                "Cluster %s lost a creation race to %s (key %s); terminating it", created, winner, key
            )
            self.terminate(created)
        return winner

    def terminate(self, cluster_id: str) -> None:
        self._call("terminate_job_flows", JobFlowIds=[cluster_id])

    def keep_alive_with_idle_timeout(self, cluster_id: str, idle_seconds: int) -> bool:
        """Set an auto-termination policy as a safety net; False when the API is unavailable."""
        try:
            self._call(
                "put_auto_termination_policy",
                ClusterId=cluster_id,
                AutoTerminationPolicy={"IdleTimeout": int(idle_seconds)},
            )
        except Exception as exc:  # older emulators and some partitions lack the API
            log.warning("Could not set auto-termination on %s: %s", cluster_id, exc)
            return False
        return True

    # -- steps ------------------------------------------------------------------------------
    def find_step(self, cluster_id: str, key: str) -> dict[str, Any] | None:
        """The step carrying ``key`` that a new try should re-attach to, else the newest one, else None.

        A running or completed step wins over a newer failed one, so ordering ties in ListSteps
        (same creation second) can never make a retry add a duplicate.
        """
        newest: dict[str, Any] | None = None
        for step in self._pages("list_steps", "Steps", ClusterId=cluster_id):
            if has_marker(step.get("Name"), key):
                if reusable_step(step):
                    return step
                newest = newest or step
        return newest

    def add_step(self, cluster_id: str, step: dict[str, Any], key: str) -> str:
        """AddJobFlowSteps for one step named with ``key``; re-checks by name before any resend."""
        req = dict(step)
        req["Name"] = with_marker(str(req.get("Name", "step")), key)
        validate("emr", "AddJobFlowSteps", {"JobFlowId": cluster_id, "Steps": [req]})
        try:
            steps = [cast("StepConfigTypeDef", req)]  # validated against botocore's model above
            added = str(self.client.add_job_flow_steps(JobFlowId=cluster_id, Steps=steps)["StepIds"][0])
        except Exception as exc:
            # as in create_cluster: botocore has retried; the step may have been added all the same
            if not is_retryable(exc):
                raise
            found = self.find_step(cluster_id, key)
            if found is None or not reusable_step(found):
                raise
            return str(found["Id"])
        return self._settle_step(cluster_id, key, added)

    def _settle_step(self, cluster_id: str, key: str, added: str) -> str:
        """The step twin of :meth:`_settle_cluster`: the oldest live step with ``key`` wins, a loser
        cancels the step it just added (still PENDING behind the winner) and re-attaches."""
        rivals = [
            step
            for step in self._pages("list_steps", "Steps", ClusterId=cluster_id)
            if has_marker(step.get("Name"), key) and reusable_step(step)
        ]
        if len(rivals) <= 1:
            return added
        winner = str(min(rivals, key=_creation_order)["Id"])
        if winner != added:
            log.warning("Step %s lost a submission race to %s (key %s); cancelling it", added, winner, key)
            self.cancel_steps(cluster_id, [added])
        return winner

    def list_steps(self, cluster_id: str, step_ids: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """Step summaries by id; stops paging once every wanted id has been seen."""
        wanted = set(step_ids or ())
        found: dict[str, dict[str, Any]] = {}
        for step in self._pages("list_steps", "Steps", ClusterId=cluster_id):
            if not wanted or step["Id"] in wanted:
                found[step["Id"]] = step
            if wanted and wanted <= found.keys():
                break
        return found

    def describe_step(self, cluster_id: str, step_id: str) -> dict[str, Any]:
        return dict(self._call("describe_step", ClusterId=cluster_id, StepId=step_id)["Step"])

    def cancel_steps(self, cluster_id: str, step_ids: list[str]) -> list[dict[str, Any]]:
        if not step_ids:
            return []
        resp = self._call(
            "cancel_steps", ClusterId=cluster_id, StepIds=step_ids, StepCancellationOption="SEND_INTERRUPT"
        )
        return list(resp.get("CancelStepsInfoList", []))


def _creation_order(summary: dict[str, Any]) -> tuple[float, str]:
    created = summary.get("Status", {}).get("Timeline", {}).get("CreationDateTime")
    stamp = created.timestamp() if hasattr(created, "timestamp") else float("inf")
    return (stamp, str(summary["Id"]))
