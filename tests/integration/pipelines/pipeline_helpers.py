"""Drive emr-dags operators the way the Airflow task runner and triggerer do, without a scheduler.

``run_operator`` calls ``execute``; when the operator defers, it runs the trigger's ``run`` in an
event loop (as the triggerer would) and resumes with ``execute_complete``. A fake task instance
stores XComs in a dict shared across tries, like the XCom table for one DAG run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeTI:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1
    try_number: int = 1
    start_date: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    xcoms: dict[tuple[str, str, int], Any] = field(default_factory=dict)

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[(self.task_id, key, self.map_index)] = value

    def xcom_pull(self, task_ids: str, key: str = "return_value", map_indexes: int | None = None) -> Any:
        return self.xcoms.get((task_ids, key, -1 if map_indexes is None else map_indexes))


def context_for(ti: FakeTI) -> dict[str, Any]:
    return {"ti": ti, "task_instance": ti, "run_id": ti.run_id}


async def first_event(trigger: Any) -> Any:
    async for event in trigger.run():
        return event
    raise AssertionError("trigger ended without an event")


async def run_trigger(trigger: Any) -> dict[str, Any]:
    """The event's payload; a ``TaskSuccessEvent`` (the trigger ended the task) as
    ``{"status": "success", "ended_task": True, "xcoms": ...}``."""
    from airflow.triggers.base import BaseTaskEndEvent

    event = await first_event(trigger)
    if isinstance(event, BaseTaskEndEvent):
        return {"status": str(event.task_instance_state), "ended_task": True, "xcoms": event.xcoms}
    return dict(event.payload)


def run_operator(op: Any, ti: FakeTI) -> Any:
    """The task's result: what ``execute`` or ``execute_complete`` returned, or, when the trigger
    ended the task itself (``TaskSuccessEvent``), the ``return_value`` XCom the triggerer pushes."""
    from airflow.sdk.exceptions import TaskDeferred
    from airflow.triggers.base import BaseTaskEndEvent, TaskSuccessEvent

    ctx = context_for(ti)
    try:
        return op.execute(ctx)
    except TaskDeferred as deferred:
        event = asyncio.run(first_event(deferred.trigger))
        if isinstance(event, BaseTaskEndEvent):
            assert isinstance(event, TaskSuccessEvent), event
            result = (event.xcoms or {}).get("return_value")
            ti.xcom_push("return_value", result)
            return result
        return getattr(op, deferred.method_name)(ctx, event=dict(event.payload))


def cluster_request(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "ReleaseLabel": "emr-7.5.0",
        "Instances": {
            "MasterInstanceType": "m5.xlarge",
            "SlaveInstanceType": "m5.xlarge",
            "InstanceCount": 3,
            "KeepJobFlowAliveWhenNoSteps": True,
        },
        "JobFlowRole": "EMR_EC2_DefaultRole",
        "ServiceRole": "EMR_DefaultRole",
        **extra,
    }


def step_request(name: str) -> dict[str, Any]:
    return {
        "Name": name,
        "ActionOnFailure": "CONTINUE",
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["spark-submit", "s3://code/job.py"]},
    }
