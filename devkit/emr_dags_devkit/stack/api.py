"""A small client of Airflow's REST API (v2), as an operator would drive it: demo and e2e tests use it."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

from emr_dags.errors import EmrDagsError

if TYPE_CHECKING:
    from collections.abc import Callable

TERMINAL_RUN_STATES = frozenset({"success", "failed"})


class AirflowApiError(EmrDagsError):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AirflowCliError(EmrDagsError):
    """An `airflow` CLI command failed (the message carries the tail of its output)."""


class AirflowClient:
    timeout = 30.0  # seconds per GET
    # A write can wait out SQLite's 30 s busy timeout (the stack's ``?timeout=30``) before it even
    # starts, so it gets longer than that; the writers below are retry-safe on top of it.
    write_timeout = 90.0
    read_attempts = 4  # GETs, and the retry-safe writers below

    def __init__(self, api_url: str, username: str, password: str) -> None:
        self.api_url = api_url.rstrip("/")
        self._username = username
        self._password = password
        self._token: str | None = None

    # ---------------------------------------------------------------- plumbing
    def token(self) -> str:
        if self._token is None:
            body = self._request(
                "POST", "/auth/token", {"username": self._username, "password": self._password}, auth=False
            )
            self._token = str(body["access_token"])
        return self._token

    def _request(self, method: str, path: str, body: Any = None, *, auth: bool = True) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.api_url}{path}", data=data, method=method, headers=headers)
        # Reads are retried: on a loaded machine the api-server can time out or answer 5xx (SQLite
        # "database is locked") for a moment. Writes are not: a timed-out POST may have landed.
        attempts = self.read_attempts if method == "GET" else 1
        for attempt in range(1, attempts + 1):
            try:
                timeout = self.timeout if method == "GET" else self.write_timeout
                with urllib.request.urlopen(request, timeout=timeout) as resp:
                    raw = resp.read()
                return json.loads(raw) if raw else None
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode(errors="replace")[:500]
                if exc.code < 500 or attempt == attempts:
                    raise AirflowApiError(f"{method} {path} -> HTTP {exc.code}: {detail}", exc.code) from exc
            except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
                if attempt == attempts:
                    raise AirflowApiError(
                        f"{method} {path} -> no answer after {attempts} tries: {exc}"
                    ) from exc
            time.sleep(min(2.0**attempt, 10.0))
        raise AssertionError("unreachable")

    def get(self, path: str, **params: Any) -> Any:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
        return self._request("GET", f"{path}?{query}" if query else path)

    # ------------------------------------------------------------------- DAGs
    def dags(self, tags: list[str] | None = None) -> list[dict[str, Any]]:
        return list(self.get("/api/v2/dags", tags=tags, limit=100)["dags"])

    def wait_for_dags(self, dag_ids: list[str], timeout: float = 120.0) -> None:
        """Block until the dag-processor has parsed every DAG in `dag_ids`."""
        deadline = time.monotonic() + timeout
        missing = set(dag_ids)
        while missing:
            missing -= {dag["dag_id"] for dag in self.dags()}
            if not missing:
                return
            if time.monotonic() > deadline:
                errors = self.get("/api/v2/importErrors").get("import_errors", [])
                raise AirflowApiError(
                    f"DAGs not parsed in {timeout:.0f}s: {sorted(missing)}; import errors: {errors}"
                )
            time.sleep(2.0)

    def unpause(self, dag_id: str) -> None:
        self._set_paused(dag_id, False)

    def pause(self, dag_id: str) -> None:
        self._set_paused(dag_id, True)

    def _set_paused(self, dag_id: str, paused: bool) -> None:
        path = f"/api/v2/dags/{urllib.parse.quote(dag_id)}"
        # Idempotent, so sending it again after a timeout is harmless: nothing to look up first.
        self._retry_write(lambda: self._request("PATCH", path, {"is_paused": paused}), lambda: None)

    def trigger(
        self,
        dag_id: str,
        conf: dict[str, Any] | None = None,
        run_id: str | None = None,
        logical_date: str | None = None,
    ) -> dict[str, Any]:
        """Create a DAG run (``logical_date`` as ISO 8601, or none, as a manual run). With a
        ``run_id`` it is safe to retry: a POST that timed out or got a 5xx may have landed, so the
        run is looked up before sending again (409 means it exists)."""
        body: dict[str, Any] = {"logical_date": logical_date, "conf": conf or {}}
        path = f"/api/v2/dags/{urllib.parse.quote(dag_id)}/dagRuns"
        if not run_id:
            return dict(self._request("POST", path, body))
        body["dag_run_id"] = run_id
        for attempt in range(1, self.read_attempts + 1):
            try:
                return dict(self._request("POST", path, body))
            except AirflowApiError as exc:
                retryable = exc.status is None or exc.status >= 500 or exc.status == 409
                if not retryable or (attempt == self.read_attempts and exc.status != 409):
                    raise
                try:
                    return self.dag_run(dag_id, run_id)  # it landed after all
                except AirflowApiError as missing:
                    if missing.status != 404 or attempt == self.read_attempts:
                        raise exc from None
            time.sleep(min(2.0**attempt, 10.0))
        raise AssertionError("unreachable")

    def _retry_write(self, send: Callable[[], Any], landed: Callable[[], Any]) -> Any:
        """Send a write; on a timeout or 5xx, which may or may not have landed, return ``landed()``
        when it reports the effect (anything but None) and send again only when it does not."""
        for attempt in range(1, self.read_attempts + 1):
            try:
                return send()
            except AirflowApiError as exc:
                if (exc.status is not None and exc.status < 500) or attempt == self.read_attempts:
                    raise
                done = landed()
                if done is not None:
                    return done
            time.sleep(min(2.0**attempt, 10.0))
        raise AssertionError("unreachable")

    def _ti_path(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> str:
        q = urllib.parse.quote
        path = f"/api/v2/dags/{q(dag_id)}/dagRuns/{q(run_id, safe='')}/taskInstances/{q(task_id)}"
        return f"{path}/{map_index}" if map_index >= 0 else path

    def task_instance(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> dict[str, Any]:
        return dict(self.get(self._ti_path(dag_id, run_id, task_id, map_index)))

    def clear_task(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        """Clear one task instance (as the grid's Clear does) so it runs again. Retry-safe: a clear
        landed when the task instance has a new id (Airflow 3 gives every cleared try a new one)."""
        before = self.task_instance(dag_id, run_id, task_id)["id"]
        body = {"dry_run": False, "dag_run_id": run_id, "task_ids": [task_id], "only_failed": False}
        path = f"/api/v2/dags/{urllib.parse.quote(dag_id)}/clearTaskInstances"

        def landed() -> dict[str, Any] | None:
            now = self.task_instance(dag_id, run_id, task_id)
            return now if now["id"] != before else None

        return dict(self._retry_write(lambda: self._request("POST", path, body), landed))

    def set_task_state(self, dag_id: str, run_id: str, task_id: str, state: str) -> dict[str, Any]:
        """Mark one task instance ``state`` (as the grid's Mark failed/success does). Retry-safe:
        setting the same state twice is harmless, and a landed write is seen by reading it back."""
        path = self._ti_path(dag_id, run_id, task_id)

        def landed() -> dict[str, Any] | None:
            now = self.task_instance(dag_id, run_id, task_id)
            return now if now["state"] == state else None

        return dict(self._retry_write(lambda: self._request("PATCH", path, {"new_state": state}), landed))

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return dict(
            self.get(f"/api/v2/dags/{urllib.parse.quote(dag_id)}/dagRuns/{urllib.parse.quote(run_id)}")
        )

    def dag_runs(self, dag_id: str) -> list[dict[str, Any]]:
        return list(self.get(f"/api/v2/dags/{urllib.parse.quote(dag_id)}/dagRuns", limit=100)["dag_runs"])

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        path = f"/api/v2/dags/{urllib.parse.quote(dag_id)}/dagRuns/{urllib.parse.quote(run_id)}/taskInstances"
        return list(self.get(path, limit=100)["task_instances"])

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 600.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            run = self.dag_run(dag_id, run_id)
            if run["state"] in TERMINAL_RUN_STATES:
                return run
            if time.monotonic() > deadline:
                raise AirflowApiError(f"{dag_id} run {run_id} still {run['state']} after {timeout:.0f}s")
            time.sleep(2.0)


def backfill_create(
    dag_id: str,
    from_date: str,
    to_date: str,
    *,
    env: dict[str, str],
    airflow: str = "airflow",
    max_active_runs: int | None = None,
    attempts: int = 8,
    retry_pause: float = 5.0,
    timeout: float = 300.0,
) -> None:
    """`airflow backfill create` (dates inclusive), retried while SQLite answers "database is locked".

    On the SQLite metadata DB the CLI's transaction can lose against the scheduler's and the
    dag-processor's writes (it fails within milliseconds, so the busy timeout does not help). Airflow
    commits the backfill row before it creates the runs, so after a locked attempt a retry may be told
    "Another backfill is running": that backfill is the earlier attempt's, and this returns. It may
    have no runs (the scheduler drops such a backfill after 2 minutes): callers that need the runs
    check they exist. ``env`` is the stack's CLI environment (``Stack.cli_env()``).
    """
    cmd = [airflow, "backfill", "create", "--dag-id", dag_id, "--from-date", from_date, "--to-date", to_date]
    if max_active_runs is not None:
        cmd += ["--max-active-runs", str(max_active_runs)]
    locked = False
    for _ in range(attempts):
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        text = out.stdout + out.stderr
        if out.returncode == 0 or (locked and "Another backfill is running" in text):
            return
        if "database is locked" not in text:
            raise AirflowCliError(
                f"backfill create for {dag_id} failed ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
            )
        locked = True
        time.sleep(retry_pause)
    raise AirflowCliError(
        f"backfill create for {dag_id} kept failing with 'database is locked' ({attempts} tries)"
    )
