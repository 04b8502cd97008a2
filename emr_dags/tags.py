"""Tag keys and deterministic resource keys shared by operators, the reaper and the UI plugin.

Every AWS resource emr-dags creates carries these tags, so that a retry can find what an earlier
try created (exactly-once), the on-call page can list what a DAG run owns, and the reaper can prove
a resource is ours before it touches it.

Owner: the whole key (deployment, DAG, DAG run, task group, task, map index), never the run id alone:
two DAGs on one schedule share ``scheduled__...`` run ids, and two deployments can share DAG ids.
The ``emr-dags:`` prefix is reserved: specs refuse user tags that start with it (see :func:`reject_reserved`).
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import TYPE_CHECKING

from emr_dags.errors import EmrConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

PREFIX = "emr-dags:"
MANAGED = f"{PREFIX}managed"  # always "true" on resources we create
KEY = f"{PREFIX}key"  # deterministic key, see resource_key()
DAG_ID = f"{PREFIX}dag-id"
RUN_ID = f"{PREFIX}run-id"
TASK_ID = f"{PREFIX}task-id"
GROUP_ID = f"{PREFIX}group-id"  # the task group of the task ("" at the DAG's top level: tag omitted)
MAP_INDEX = f"{PREFIX}map-index"
TRY_GENERATION = f"{PREFIX}generation"  # bumped only when a user asks for a fresh resource
DEPLOYMENT = f"{PREFIX}deployment"  # which Airflow deployment created it, see deployment_id()
DEADLINE = f"{PREFIX}deadline"  # ISO-8601 UTC; the reaper may act after it, unless the DAG run is live
PRESET = (
    f"{PREFIX}preset"  # descriptive, set by emr_dags.specs.presets; the one reserved key a spec may carry
)

# Keys a spec may carry although they use the reserved prefix: descriptive, never read for ownership.
SPEC_SETTABLE = frozenset({PRESET})

DEPLOYMENT_ENV = "AIRFLOW__EMR_DAGS__DEPLOYMENT_ID"
_DEPLOYMENT_VALUE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
UNKNOWN_DEPLOYMENT = "unknown"


def resource_key(dag_id: str, run_id: str, task_id: str, map_index: int = -1, generation: int = 0) -> str:
    """A short, stable key for the resource a task instance owns.

    Same inputs, same key, across retries, worker crashes and triggerer restarts. ``generation``
    lets a user ask for a new resource on purpose (clear with a fresh generation).
    """
    raw = f"{dag_id}\x1f{run_id}\x1f{task_id}\x1f{map_index}\x1f{generation}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def ownership_tags(
    dag_id: str,
    run_id: str,
    task_id: str,
    map_index: int = -1,
    generation: int = 0,
    *,
    group_id: str = "",
    deployment: str | None = None,
) -> dict[str, str]:
    """The tag set for a resource owned by one task instance of this deployment."""
    out = {
        MANAGED: "true",
        KEY: resource_key(dag_id, run_id, task_id, map_index, generation),
        DAG_ID: dag_id,
        RUN_ID: run_id,
        TASK_ID: task_id,
        MAP_INDEX: str(map_index),
        TRY_GENERATION: str(generation),
        DEPLOYMENT: deployment if deployment is not None else deployment_id(),
    }
    if group_id:  # EMR on EKS refuses empty tag values
        out[GROUP_ID] = group_id
    return out


def consistent(tags: Mapping[str, str]) -> bool:
    """True when the key tag is the hash of the DAG/run/task/map-index/generation tags beside it.

    A resource whose tags were copied from another one, or edited by hand, fails this check, so
    no on-call tool acts on it on the strength of tags it did not get from emr-dags.
    """
    try:
        expected = resource_key(
            tags[DAG_ID],
            tags[RUN_ID],
            tags[TASK_ID],
            int(tags.get(MAP_INDEX, "-1")),
            int(tags.get(TRY_GENERATION, "0")),
        )
    except (KeyError, ValueError):
        return False
    return tags.get(KEY) == expected


def ownership_problem(tags: Mapping[str, str], deployment: str) -> str | None:
    """Why an on-call tool of ``deployment`` must not act on a resource with ``tags``; None if it may."""
    if tags.get(MANAGED) != "true":
        return f"not tagged {MANAGED}=true"
    theirs = tags.get(DEPLOYMENT)
    if theirs != deployment:
        return (
            f"{DEPLOYMENT} is {theirs!r}, not this deployment's {deployment!r}"
            if theirs
            else f"no {DEPLOYMENT} tag (created by another or an older emr-dags deployment)"
        )
    if not consistent(tags):
        return f"{KEY} does not match its dag/run/task tags (tags copied or edited?)"
    return None


def same_owner_group(tags: Mapping[str, str], *, deployment: str, dag_id: str, run_id: str,
                     group_id: str, map_index: int) -> bool:  # fmt: skip
    """Whether a resource belongs to the same pipeline instance: deployment, DAG, run, task group, and
    map index (a teardown at map index -1 owns every map index of its group's tasks)."""
    if not consistent(tags) or tags.get(DEPLOYMENT) != deployment:
        return False
    if tags.get(DAG_ID) != dag_id or tags.get(RUN_ID) != run_id or tags.get(GROUP_ID, "") != group_id:
        return False
    return map_index == -1 or tags.get(MAP_INDEX) == str(map_index)


def is_keyed(found: Mapping[str, str] | None, key: str, deployment: str | None) -> bool:
    """Whether a found resource's tags say it is the one ``key`` names in ``deployment`` (None: any).

    Two deployments running the same DAG on the same schedule compute the same key; the deployment
    tag keeps one from re-attaching to (and later tearing down) the other's resource.
    """
    found = found or {}
    return found.get(KEY) == key and (deployment is None or found.get(DEPLOYMENT) == deployment)


def reject_reserved(tag_keys: object, owner: str, field: str) -> None:
    """Raise :class:`EmrConfigError` for a user tag key in the reserved ``emr-dags:`` prefix.

    Ownership, deadline and deployment tags decide what on-call tools may terminate; a user-set
    copy would let any DAG claim (or expire) another's resources.
    """
    for key in tag_keys or ():  # type: ignore[attr-defined]
        if str(key).startswith(PREFIX) and key not in SPEC_SETTABLE:
            raise EmrConfigError(
                f"{owner}.{field}: tag key {key!r} uses the reserved {PREFIX!r} prefix; "
                f"expected a tag key of your own (emr-dags sets {PREFIX}* tags itself)",
                spec=owner,
                field=field,
            )


def deployment_id() -> str:
    """This Airflow deployment's identity, stamped on every resource as ``emr-dags:deployment``.

    ``[emr_dags] deployment_id`` (env ``AIRFLOW__EMR_DAGS__DEPLOYMENT_ID``) when set; else ``db-``
    and 12 hex digits of the SHA-256 of ``[database] sql_alchemy_conn`` (stable for a deployment,
    different between deployments with their own metadata DB; the URL itself is never stored);
    else ``unknown``. Workers, the triggerer, the api-server and ``emr-dags reap`` must agree: set it
    explicitly where a component cannot read the metadata DB URL.
    """
    configured = os.environ.get(DEPLOYMENT_ENV) or _airflow_option("emr_dags", "deployment_id")
    if configured:
        if not _DEPLOYMENT_VALUE.match(configured):
            raise EmrConfigError(
                f"[emr_dags] deployment_id: {configured!r} is not a deployment id; expected 1-64 "
                "characters from A-Z a-z 0-9 . _ -",
                spec="emr_dags",
                field="deployment_id",
            )
        return configured
    db_url = _airflow_option("database", "sql_alchemy_conn")
    if db_url:
        return "db-" + hashlib.sha256(db_url.encode()).hexdigest()[:12]
    return UNKNOWN_DEPLOYMENT


def _airflow_option(section: str, key: str) -> str | None:
    try:
        from airflow.configuration import conf
    except ImportError:  # outside Airflow (e.g. `emr-dags reap` on a laptop)
        return None
    try:
        value = conf.get(section, key, fallback=None)
    except Exception:  # a misconfigured secret backend for the DB URL must not stop tagging
        return None
    return str(value) if value not in (None, "") else None
