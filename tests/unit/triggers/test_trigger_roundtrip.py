from __future__ import annotations

import importlib

import pytest

from emr_dags.triggers.eks import EmrEksJobTrigger
from emr_dags.triggers.emr import EmrClusterStateTrigger, EmrStepsTrigger
from emr_dags.triggers.serverless import EmrServerlessJobTrigger

COMMON = {
    "aws_conn_id": "aws_x",
    "region_name": "eu-west-1",
    "verify": "/etc/ssl/ca.pem",
    "botocore_config": {"retries": {"mode": "adaptive", "max_attempts": 10}, "read_timeout": 30},
    "poll_interval": 7.0,
    "deadline": "2026-01-01T00:00:00+00:00",
}

TRIGGERS = [
    EmrStepsTrigger(cluster_id="j-1", step_ids=["s-1", "s-2"], fail_fast=True, **COMMON),
    EmrStepsTrigger(cluster_id="j-1", step_ids=["s-1"], end_task_on_success=True, reattached=True, **COMMON),
    EmrClusterStateTrigger(
        cluster_id="j-1", target_states=["RUNNING", "WAITING"], cancel_on_kill=False, **COMMON
    ),
    EmrServerlessJobTrigger(application_id="app", job_run_ids=["r1"], **COMMON),
    EmrEksJobTrigger(virtual_cluster_id="vc", job_ids=["j1"], **COMMON),
]


@pytest.mark.parametrize("trigger", TRIGGERS, ids=lambda t: type(t).__name__)
def test_trigger_round_trips_through_serialize(trigger: object) -> None:
    import json

    classpath, kwargs = trigger.serialize()  # type: ignore[attr-defined]
    json.dumps(kwargs)  # JSON-serialisable only
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)
    assert (rebuilt.verify, rebuilt.botocore_config) == (COMMON["verify"], COMMON["botocore_config"])
    assert rebuilt.poll_key() == trigger.poll_key()  # type: ignore[attr-defined]


def test_triggers_share_a_poller_only_when_they_would_build_the_same_client() -> None:
    def key(**aws: object) -> object:
        return EmrStepsTrigger(cluster_id="j-1", step_ids=["s-1"], **aws).poll_key()  # type: ignore[arg-type]

    base = key(aws_conn_id="a", region_name="r")
    assert key(aws_conn_id="a", region_name="r") == base
    hash(base)  # usable as a dict key
    assert key(aws_conn_id="a", region_name="r", verify=False) != base
    assert key(aws_conn_id="a", region_name="r", botocore_config={"read_timeout": 5}) != base
    # dict order does not split the poller
    assert key(botocore_config={"a": 1, "b": 2}) == key(botocore_config={"b": 2, "a": 1})


def test_cluster_ready_trigger_treats_termination_as_failure() -> None:
    t = EmrClusterStateTrigger(cluster_id="j", target_states=["RUNNING", "WAITING"])
    assert t._outcome(["j"], {"j": "BOOTSTRAPPING"}) is None
    assert t._outcome(["j"], {"j": "WAITING"}) == "success"
    assert t._outcome(["j"], {"j": "TERMINATED_WITH_ERRORS"}) == "failed"


def test_steps_trigger_waits_for_all_unless_fail_fast() -> None:
    t = EmrStepsTrigger(cluster_id="j", step_ids=["a", "b"])
    assert t._outcome(["a", "b"], {"a": "FAILED", "b": "RUNNING"}) is None
    assert t._outcome(["a", "b"], {"a": "FAILED", "b": "COMPLETED"}) == "failed"
    fast = EmrStepsTrigger(cluster_id="j", step_ids=["a", "b"], fail_fast=True)
    assert fast._outcome(["a", "b"], {"a": "FAILED", "b": "RUNNING"}) == "failed"
