"""EMR Serverless: idempotent application and job-run operations over a boto3 ``emr-serverless`` client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emr_dags import tags as tagmod
from emr_dags.aws.naming import client_token, scoped_key
from emr_dags.aws.paging import PAGE_SIZE, pages
from emr_dags.aws.requests import validate
from emr_dags.aws.states import (
    SERVERLESS_APP_LIVE,
    SERVERLESS_JOB_ACTIVE,
    SERVERLESS_JOB_FAILED,
    SERVERLESS_JOB_SUCCESS,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mypy_boto3_emr_serverless import EMRServerlessClient


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def reusable_run(run: dict[str, Any] | None) -> bool:
    return run is not None and run.get("state") in SERVERLESS_JOB_ACTIVE + SERVERLESS_JOB_SUCCESS


class ServerlessApi:
    """Idempotent EMR Serverless operations; single calls are retried by botocore only."""

    def __init__(self, client: EMRServerlessClient) -> None:
        self.client = client

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        return dict(getattr(self.client, operation)(**params))

    def _pages(self, operation: str, items: str, **params: Any) -> Iterator[dict[str, Any]]:
        try:
            yield from pages(self.client, operation, items, page_size=PAGE_SIZE, **params)
        except Exception as exc:
            # moto (and so the emulator) answers ListJobRuns for an application without runs
            # with ResourceNotFound; AWS returns an empty list. A missing application still
            # fails loudly at GetApplication / StartJobRun.
            if operation == "list_job_runs" and _error_code(exc) == "ResourceNotFoundException":
                return
            raise

    # -- applications ---------------------------------------------------------------------
    def get_application(self, application_id: str) -> dict[str, Any]:
        return dict(self._call("get_application", applicationId=application_id)["application"])

    def find_application(self, name: str) -> dict[str, Any] | None:
        """The live application named exactly ``name`` (names are matched as given), or None."""
        for app in self._pages("list_applications", "applications", states=list(SERVERLESS_APP_LIVE)):
            if app.get("name") == name:
                return app
        return None

    def ensure_application(self, request: dict[str, Any], key: str, tags: dict[str, str]) -> tuple[str, bool]:
        """Reuse the live application with the requested name, else create it.

        Returns ``(application_id, owned)``; ``owned`` is True when this key created it (now or in
        an earlier try), which is what allows a teardown to stop or delete it.
        """
        existing = self.find_application(str(request["name"]))
        if existing is not None:
            app = self.get_application(existing["id"])
            owned = tagmod.is_keyed(app.get("tags"), key, tags.get(tagmod.DEPLOYMENT))
            return str(app["applicationId"]), owned
        req = dict(request)
        req["tags"] = {**(req.get("tags") or {}), **tags}
        req["clientToken"] = scoped_key(key, tags.get(tagmod.DEPLOYMENT))
        validate("emr-serverless", "CreateApplication", req)
        return str(self._call("create_application", **req)["applicationId"]), True

    def stop_application(self, application_id: str) -> None:
        self._call("stop_application", applicationId=application_id)

    def delete_application(self, application_id: str) -> None:
        self._call("delete_application", applicationId=application_id)

    # -- job runs -------------------------------------------------------------------------
    def runs_with_key(
        self, application_id: str, key: str, name: str | None = None, deployment: str | None = None
    ) -> list[dict[str, Any]]:
        """Every job run of the application whose ``emr-dags:key`` tag is ``key``, newest first.

        ListJobRuns has no tags, so runs are confirmed with GetJobRun; only runs named ``name``
        (the name the run was started with, as given; None for an unnamed run) are looked at.
        """
        runs = []
        for summary in self._pages("list_job_runs", "jobRuns", applicationId=application_id):
            if (summary.get("name") or None) != (name or None):
                continue
            run = self.get_job_run(application_id, summary["id"])
            if tagmod.is_keyed(run.get("tags"), key, deployment):
                runs.append({**summary, "state": run.get("state", summary.get("state"))})
        return sorted(runs, key=lambda r: str(r.get("createdAt", "")), reverse=True)

    def start_job_run(
        self, application_id: str, request: dict[str, Any], key: str, tags: dict[str, str]
    ) -> tuple[str, bool]:
        """Re-attach to a live or successful run with ``key``; else start one. Returns (id, reattached)."""
        deployment = tags.get(tagmod.DEPLOYMENT)
        runs = self.runs_with_key(application_id, key, request.get("name"), deployment)
        if runs and reusable_run(runs[0]):
            return str(runs[0]["id"]), True
        failed = sum(1 for r in runs if r.get("state") in SERVERLESS_JOB_FAILED)
        req = dict(request)
        req["applicationId"] = application_id
        req["tags"] = {**(req.get("tags") or {}), **tags}
        req["clientToken"] = client_token(key, failed, deployment)
        validate("emr-serverless", "StartJobRun", req)
        return str(self._call("start_job_run", **req)["jobRunId"]), False

    def get_job_run(self, application_id: str, job_run_id: str) -> dict[str, Any]:
        return dict(self._call("get_job_run", applicationId=application_id, jobRunId=job_run_id)["jobRun"])

    def list_job_runs(self, application_id: str, ids: set[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for run in self._pages("list_job_runs", "jobRuns", applicationId=application_id):
            if run["id"] in ids:
                found[run["id"]] = run
                if ids <= found.keys():
                    break
        return found

    def live_job_run_ids(self, application_id: str) -> list[str]:
        return [
            r["id"]
            for r in self._pages(
                "list_job_runs", "jobRuns", applicationId=application_id, states=list(SERVERLESS_JOB_ACTIVE)
            )
        ]

    def cancel_job_run(self, application_id: str, job_run_id: str) -> None:
        self._call("cancel_job_run", applicationId=application_id, jobRunId=job_run_id)
