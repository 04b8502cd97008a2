"""Tag keys and deterministic resource keys shared by operators, the reaper and the UI plugin.

Every AWS resource emr-dags creates carries these tags, so that a retry can find what an earlier
try created (exactly-once), the on-call page can list what a DAG run owns, and the reaper can prove
a resource is ours before it touches it.
"""

from __future__ import annotations

import hashlib

PREFIX = "emr-dags:"
MANAGED = f"{PREFIX}managed"  # always "true" on resources we create
KEY = f"{PREFIX}key"  # deterministic key, see resource_key()
DAG_ID = f"{PREFIX}dag-id"
RUN_ID = f"{PREFIX}run-id"
TASK_ID = f"{PREFIX}task-id"
MAP_INDEX = f"{PREFIX}map-index"
TRY_GENERATION = f"{PREFIX}generation"  # bumped only when a user asks for a fresh resource
DEADLINE = f"{PREFIX}deadline"  # ISO-8601 UTC; the reaper may act after it


def resource_key(dag_id: str, run_id: str, task_id: str, map_index: int = -1, generation: int = 0) -> str:
    """A short, stable key for the resource a task instance owns.

    Same inputs, same key, across retries, worker crashes and triggerer restarts. ``generation``
    lets a user ask for a new resource on purpose (clear with a fresh generation).
    """
    raw = f"{dag_id}\x1f{run_id}\x1f{task_id}\x1f{map_index}\x1f{generation}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def ownership_tags(
    dag_id: str, run_id: str, task_id: str, map_index: int = -1, generation: int = 0
) -> dict[str, str]:
    """The tag set for a resource owned by one task instance."""
    return {
        MANAGED: "true",
        KEY: resource_key(dag_id, run_id, task_id, map_index, generation),
        DAG_ID: dag_id,
        RUN_ID: run_id,
        TASK_ID: task_id,
        MAP_INDEX: str(map_index),
        TRY_GENERATION: str(generation),
    }
