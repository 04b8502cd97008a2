"""Helpers shared by the emulator integration tests."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


def wait_for(probe: Callable[[], Any], predicate: Callable[[Any], bool], *, timeout: float = 20.0) -> Any:
    """Poll ``probe`` until ``predicate`` holds; fail with the last value seen."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not predicate(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; last value: {value!r}")
        time.sleep(0.05)
        value = probe()
    return value


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def run_cluster(
    emr: Any,
    *,
    name: str | None = None,
    keep_alive: bool = True,
    steps: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> str:
    kwargs: dict[str, Any] = {
        "Name": name or unique("cluster"),
        "ReleaseLabel": "emr-7.5.0",
        "Instances": {
            "MasterInstanceType": "m5.xlarge",
            "SlaveInstanceType": "m5.xlarge",
            "InstanceCount": 3,
            "KeepJobFlowAliveWhenNoSteps": keep_alive,
        },
        "JobFlowRole": "EMR_EC2_DefaultRole",
        "ServiceRole": "EMR_DefaultRole",
        "Steps": steps or [],
    }
    kwargs.update(extra)
    return emr.run_job_flow(**kwargs)["JobFlowId"]


def step(name: str, *, on_failure: str = "CONTINUE", args: list[str] | None = None) -> dict[str, Any]:
    return {
        "Name": name,
        "ActionOnFailure": on_failure,
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": args or ["spark-submit", "s3://code/job.py"]},
    }


def cluster_state(emr: Any, cluster_id: str) -> str:
    return emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"]


def step_states(emr: Any, cluster_id: str, step_ids: list[str]) -> list[str]:
    by_id = {s["Id"]: s["Status"]["State"] for s in emr.list_steps(ClusterId=cluster_id)["Steps"]}
    return [by_id[i] for i in step_ids]


def wait_cluster(emr: Any, cluster_id: str, *states: str, timeout: float = 20.0) -> str:
    return wait_for(lambda: cluster_state(emr, cluster_id), lambda s: s in states, timeout=timeout)


DONE_STEP = {"COMPLETED", "FAILED", "CANCELLED", "INTERRUPTED"}


def wait_steps_done(emr: Any, cluster_id: str, step_ids: list[str], timeout: float = 20.0) -> list[str]:
    return wait_for(
        lambda: step_states(emr, cluster_id, step_ids),
        lambda states: all(s in DONE_STEP for s in states),
        timeout=timeout,
    )
