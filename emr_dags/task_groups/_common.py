"""Helpers shared by the task-group factories."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from emr_dags.errors import EmrConfigError

_NOT_ID = re.compile(r"[^a-zA-Z0-9_\-]+")


def task_id_for(item: Any, fallback: str) -> str:
    """A task id from a spec's ``name`` / a dict's ``Name``/``name``, made Airflow-safe."""
    name = getattr(item, "name", None)
    if name is None and isinstance(item, Mapping):
        name = item.get("Name") or item.get("name")
    if not isinstance(name, str) or not name or "{{" in name:
        return fallback
    return _NOT_ID.sub("_", name).strip("_")[:200] or fallback


def named_items(items: Sequence[Any] | Mapping[str, Any], what: str, owner: str) -> list[tuple[str, Any]]:
    """``[(task_id, item)]`` from a mapping (keys are task ids) or a sequence (ids from names)."""
    if isinstance(items, Mapping):
        pairs = [(str(k), v) for k, v in items.items()]
    else:
        pairs = [(task_id_for(item, f"{what}_{i + 1}"), item) for i, item in enumerate(items)]
    if not pairs:
        raise EmrConfigError(
            f"{owner}.{what}s: empty; expected at least one {what}", spec=owner, field=f"{what}s"
        )
    seen: set[str] = set()
    for tid, _ in pairs:
        if tid in seen:
            raise EmrConfigError(
                f"{owner}.{what}s: two {what}s map to task id {tid!r}; give them distinct names or pass a dict",
                spec=owner,
                field=f"{what}s",
            )
        seen.add(tid)
    return pairs


def aws_kwargs(
    aws_conn_id: str | None,
    region_name: str | None,
    verify: bool | str | None,
    botocore_config: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The AWS target every task of a group gets, the teardown included."""
    return {
        "aws_conn_id": aws_conn_id,
        "region_name": region_name,
        "verify": verify,
        "botocore_config": botocore_config,
    }


def common_kwargs(
    aws: Mapping[str, Any],
    deferrable: bool | None,
    poll_interval: float,
    generation: int | str,
    wait_timeout: Any,
) -> dict[str, Any]:
    """What the group's waiting tasks share; ``deferrable=None`` leaves Airflow's
    ``[operators] default_deferrable`` in charge, as for an operator built on its own."""
    return {
        **aws,
        "deferrable": deferrable,
        "poll_interval": poll_interval,
        "generation": generation,
        "wait_timeout": wait_timeout,
    }
