"""Triggers for EMR on EC2: steps (batched per cluster) and cluster state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emr_dags.aws.emr import step_result, step_summary_line
from emr_dags.aws.states import CLUSTER_ALL, CLUSTER_ENDED, STEP_ACTIVE, STEP_CANCELLABLE, STEP_SUCCESS
from emr_dags.triggers.base import RESUMED_STATES, EmrWaitTrigger

if TYPE_CHECKING:
    from collections.abc import Hashable

    from airflow.triggers.base import TriggerEvent

    from emr_dags.aws.clients import AwsTarget
    from emr_dags.aws.emr import EmrApi
    from emr_dags.triggers._poller import Fetch


def _emr_api(target: AwsTarget) -> EmrApi:
    from emr_dags.aws.clients import client_for
    from emr_dags.aws.emr import EmrApi

    return EmrApi(client_for("emr", target))


class EmrStepsTrigger(EmrWaitTrigger):
    """Wait for steps on one cluster. All triggers on the same cluster share one ListSteps per interval.

    ``end_task_on_success`` (one step): when it completes, end the task from the triggerer with the
    step task's result as XCom ``return_value`` (``TaskSuccessEvent``), so no worker starts again
    just to return it. Any other outcome resumes the task on a worker (a failure is diagnosed there).
    """

    ACTIVE = STEP_ACTIVE
    SUCCESS = STEP_SUCCESS

    def __init__(
        self,
        *,
        cluster_id: str,
        step_ids: list[str],
        end_task_on_success: bool = False,
        reattached: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.cluster_id = cluster_id
        self.step_ids = list(step_ids)
        self.end_task_on_success = end_task_on_success
        self.reattached = reattached

    def _own_kwargs(self) -> dict[str, Any]:
        return {
            "cluster_id": self.cluster_id,
            "step_ids": list(self.step_ids),
            "end_task_on_success": self.end_task_on_success,
            "reattached": self.reattached,
        }

    def final_event(self, outcome: str, states: dict[str, str], latest: dict[str, Any]) -> TriggerEvent:
        if outcome != "success" or not self.end_task_on_success or len(self.step_ids) != 1:
            return super().final_event(outcome, states, latest)
        from airflow.triggers.base import TaskSuccessEvent

        result = step_result(self.cluster_id, latest[self.step_ids[0]], self.reattached)
        self.log.info("%s (task ended by the triggerer)", step_summary_line(result))
        return TaskSuccessEvent(xcoms={"return_value": result})

    def watched_ids(self) -> list[str]:
        return list(self.step_ids)

    def poll_key(self) -> Hashable:
        return ("emr-steps", *self.target_key(), self.cluster_id)

    def make_fetch(self) -> Fetch:
        api = _emr_api(self.target())
        cluster_id = self.cluster_id
        return lambda ids: api.list_steps(cluster_id, ids)

    def state_of(self, desc: dict[str, Any]) -> str:
        return str(desc.get("Status", {}).get("State", "UNKNOWN"))

    def diagnosis_request(self, resource_id: str) -> tuple[str, dict[str, Any]] | None:
        return "emr_step", {
            "emr_client": self.client("emr"),
            "s3_client": self.client("s3"),
            "cluster_id": self.cluster_id,
            "step_id": resource_id,
        }

    def cancel(self) -> None:
        api = _emr_api(self.target())
        live = [
            i
            for i, s in api.list_steps(self.cluster_id, self.step_ids).items()
            if self.state_of(s) in STEP_CANCELLABLE
        ]
        api.cancel_steps(self.cluster_id, live)
        self.log.info("Cancelled steps %s on %s", live, self.cluster_id)


class EmrClusterStateTrigger(EmrWaitTrigger):
    """Wait for a cluster to reach ``target_states``; a state in ``failure_states`` fails the wait.

    ``cancel_on_kill`` terminates the cluster: used by the create task, whose cluster is not yet
    covered by the group's teardown while the create task itself is still deferred. Not when the
    task is now ``success``: a cluster someone marked ready (or that ``dags test`` already handed to
    the steps) is in use, and the teardown owns it.
    """

    KEEP_WORK_WHEN = RESUMED_STATES | {"success"}

    def __init__(
        self,
        *,
        cluster_id: str,
        target_states: list[str],
        failure_states: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.cluster_id = cluster_id
        self.target_states = list(target_states)
        self.failure_states = list(failure_states if failure_states is not None else CLUSTER_ENDED)
        failure = set(self.failure_states) - set(self.target_states)
        self.SUCCESS = tuple(self.target_states)
        self.ACTIVE = tuple(s for s in CLUSTER_ALL if s not in self.target_states and s not in failure)

    def _own_kwargs(self) -> dict[str, Any]:
        return {
            "cluster_id": self.cluster_id,
            "target_states": list(self.target_states),
            "failure_states": list(self.failure_states),
        }

    def watched_ids(self) -> list[str]:
        return [self.cluster_id]

    def poll_key(self) -> Hashable:
        return ("emr-cluster", *self.target_key(), self.cluster_id)

    def make_fetch(self) -> Fetch:
        api = _emr_api(self.target())
        return lambda ids: {i: api.describe_cluster(i) for i in ids}

    def state_of(self, desc: dict[str, Any]) -> str:
        return str(desc.get("Status", {}).get("State", "UNKNOWN"))

    def cancel(self) -> None:
        _emr_api(self.target()).terminate(self.cluster_id)
        self.log.info("Terminated cluster %s", self.cluster_id)
