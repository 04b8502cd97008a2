"""Where the reaper and the UI learn whether a DAG run is still going.

A source is any callable ``(dag_id, run_id) -> state | None``; None means Airflow has no such run.
It raises :class:`RunStateUnavailable` when it cannot tell (network, auth), so callers never mistake
"could not ask" for "the run is gone".

- :class:`MetadataDbRunStates`: the metadata DB; for code inside the api-server (the UI plugin).
- :class:`RestApiRunStates`: Airflow's public REST API; for the ``emr-dags reap`` CLI.
- :class:`TaskSdkRunStates`: the Task SDK's ``get_dagrun_state``; for the maintenance DAG (Airflow 3
  tasks may not open the metadata DB).
- :class:`MappingRunStates`: a dict; for tests.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from emr_dags.errors import EmrDagsError

if TYPE_CHECKING:
    from collections.abc import Mapping

log = logging.getLogger(__name__)

FINISHED_STATES = frozenset({"success", "failed"})


def normalize(state: object) -> str | None:
    """``DagRunState.SUCCESS`` / ``"success"`` -> ``"success"`` (the Task SDK returns the enum)."""
    if state is None:
        return None
    return str(getattr(state, "value", state)).lower()


class RunStateUnavailable(EmrDagsError):
    """The DAG-run state source could not answer (not: the run does not exist)."""


class RunStateSource(Protocol):
    def __call__(self, dag_id: str, run_id: str) -> str | None: ...


class MappingRunStates:
    def __init__(self, states: Mapping[tuple[str, str], str]) -> None:
        self._states = dict(states)

    def __call__(self, dag_id: str, run_id: str) -> str | None:
        return self._states.get((dag_id, run_id))


class CachedRunStates:
    """Ask each (dag_id, run_id) once per reaper pass or page render."""

    def __init__(self, source: RunStateSource) -> None:
        self._source = source
        self._cache: dict[tuple[str, str], str | None] = {}

    def __call__(self, dag_id: str, run_id: str) -> str | None:
        key = (dag_id, run_id)
        if key not in self._cache:
            self._cache[key] = self._source(dag_id, run_id)
        return self._cache[key]


class MetadataDbRunStates:
    """Reads ``dag_run.state`` from the metadata DB (api-server, scheduler-side code only)."""

    def __call__(self, dag_id: str, run_id: str) -> str | None:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import select

        try:
            with create_session() as session:
                state = session.scalar(
                    select(DagRun.state).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
                )
        except Exception as exc:
            raise RunStateUnavailable(f"metadata DB: {exc}") from exc
        return normalize(state)


class RestApiRunStates:
    """``GET /api/v2/dags/{dag_id}/dagRuns/{run_id}`` with a bearer token.

    Pass ``token``, or ``username``/``password`` to obtain one from ``POST /auth/token`` (the simple
    auth manager and FAB both serve it).
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        transport: Any = None,
    ) -> None:
        import httpx

        self._base = base_url.rstrip("/")
        self._client = httpx.Client(timeout=timeout, transport=transport)
        self._token = token
        self._username, self._password = username, password

    def _auth_header(self) -> dict[str, str]:
        if self._token is None and self._username:
            resp = self._client.post(
                f"{self._base}/auth/token", json={"username": self._username, "password": self._password}
            )
            if resp.status_code >= 300:
                raise RunStateUnavailable(f"Airflow login failed: HTTP {resp.status_code}")
            self._token = resp.json()["access_token"]
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    def __call__(self, dag_id: str, run_id: str) -> str | None:
        url = f"{self._base}/api/v2/dags/{quote(dag_id, safe='')}/dagRuns/{quote(run_id, safe='')}"
        try:
            resp = self._client.get(url, headers=self._auth_header())
        except RunStateUnavailable:
            raise
        except Exception as exc:
            raise RunStateUnavailable(f"Airflow REST API at {self._base}: {exc}") from exc
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise RunStateUnavailable(
                f"Airflow REST API answered HTTP {resp.status_code} for {dag_id}/{run_id}"
            )
        return normalize(resp.json().get("state"))


class TaskSdkRunStates:
    """Asks through the Task SDK (execution API); usable only inside a running task."""

    def __call__(self, dag_id: str, run_id: str) -> str | None:
        from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

        try:
            state = RuntimeTaskInstance.get_dagrun_state(dag_id=dag_id, run_id=run_id)
            return normalize(state)
        except Exception as exc:  # AirflowRuntimeError carries the execution API's status code
            detail = getattr(getattr(exc, "error", None), "detail", None) or {}
            if (isinstance(detail, dict) and detail.get("status_code") == 404) or "not found" in str(
                exc
            ).lower():
                return None
            raise RunStateUnavailable(f"Task SDK: {exc}") from exc
