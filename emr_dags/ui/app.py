"""The EMR page: a FastAPI app that Airflow's api-server mounts (see ``emr_dags.ui.plugin``).

Security. Plugin apps are *not* protected by Airflow automatically, so every route here depends on
Airflow's own ``get_user`` (the JWT in ``Authorization: Bearer`` or the UI's ``_token`` cookie) and
asks Airflow's configured auth manager:

- to open the page at all: ``is_authorized_custom_view(GET, "EMR")``;
- to see a resource: ``is_authorized_dag(GET, RUN, dag_id)`` for the DAG its tags name; resources of
  other DAGs are filtered out, and asking for such a DAG explicitly is a 403;
- to terminate an orphan: ``[emr_dags] ui_allow_terminate = True`` (off by default: read-only),
  ``is_authorized_custom_view(DELETE, "EMR")`` and ``is_authorized_dag(PUT, RUN, dag_id)``, a POST
  whose ``confirm`` field repeats the resource id, and the resource must be an orphan of this
  deployment right now (else 409: live DAG run, unknown DAG run, another deployment, inconsistent tags);
- to read a task's diagnosis (``/diagnosis``, the "Probable cause" extra link):
  ``is_authorized_dag(GET, XCOM, dag_id)``, as Airflow's own XCom API asks.

No route reveals anything before authentication: a 401/403 body is Airflow's generic detail.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qs, urlparse

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from emr_dags.ui import DIAGNOSIS_PATH, URL_PREFIX, render, views

if TYPE_CHECKING:
    from emr_dags.ops.inventory import ManagedResource
    from emr_dags.ops.reaper import Decision
    from emr_dags.ui.backend import Backend

log = logging.getLogger(__name__)

RESOURCE_NAME = "EMR"
MAX_DAYS = 90


class Access:
    """What the signed-in user may see and do, asked of Airflow's auth manager (answers cached per request)."""

    def __init__(self, auth_manager: Any, user: Any) -> None:
        self.am = auth_manager
        self.user = user
        self._read: dict[str, bool] = {}

    @staticmethod
    def _details(dag_id: str) -> Any:
        from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails
        from airflow.configuration import conf

        team = None
        if conf.getboolean("core", "multi_team", fallback=False):
            from airflow.models.dag import DagModel

            team = DagModel.get_team_name(dag_id)
        return DagDetails(id=dag_id, team_name=team)

    def can_read_dag(self, dag_id: str) -> bool:
        from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity

        if dag_id not in self._read:
            self._read[dag_id] = bool(
                self.am.is_authorized_dag(
                    method="GET",
                    access_entity=DagAccessEntity.RUN,
                    details=self._details(dag_id),
                    user=self.user,
                )
            )
        return self._read[dag_id]

    def can_read_xcom(self, dag_id: str) -> bool:
        from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity

        return bool(
            self.am.is_authorized_dag(
                method="GET",
                access_entity=DagAccessEntity.XCOM,
                details=self._details(dag_id),
                user=self.user,
            )
        )

    def can_terminate(self, dag_id: str | None = None) -> bool:
        from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity

        if not self.am.is_authorized_custom_view(
            method="DELETE", resource_name=RESOURCE_NAME, user=self.user
        ):
            return False
        if dag_id is None:
            return True
        return bool(
            self.am.is_authorized_dag(
                method="PUT", access_entity=DagAccessEntity.RUN, details=self._details(dag_id), user=self.user
            )
        )


def _clamp_days(days: int) -> int:
    return max(1, min(MAX_DAYS, days))


def _get_user_dep() -> Any:
    from airflow.api_fastapi.core_api.security import get_user

    return get_user


def get_backend(request: Request) -> Backend:
    state = request.app.state
    if getattr(state, "emr_backend", None) is None:
        from emr_dags.ui.backend import AirflowBackend

        state.emr_backend = AirflowBackend()
    backend: Backend = state.emr_backend
    return backend


def access(user: Annotated[Any, Depends(_get_user_dep())]) -> Access:
    """The signed-in user (Airflow's JWT bearer token or ``_token`` cookie) allowed to open the page."""
    from airflow.api_fastapi.app import get_auth_manager

    am = get_auth_manager()
    if not am.is_authorized_custom_view(method="GET", resource_name=RESOURCE_NAME, user=user):
        raise HTTPException(status_code=403, detail="Forbidden")
    return Access(am, user)


AccessDep = Annotated[Access, Depends(access)]


def urls(request: Request) -> render.Urls:
    root = str(request.scope.get("root_path", "")).rstrip("/")
    prefix = request.app.state.emr_url_prefix
    airflow_root = root[: -len(prefix)] if prefix and root.endswith(prefix) else ""
    return render.Urls(airflow_root=airflow_root, page_root=root)


def check_dag_filter(acc: Access, dag_id: str | None) -> None:
    if dag_id and not acc.can_read_dag(dag_id):
        raise HTTPException(status_code=403, detail="Forbidden")


def visible(request: Request, acc: Access, days: int) -> tuple[list[ManagedResource], tuple[str, ...]]:
    inv = get_backend(request).inventory(days)
    return views.visible(inv.resources, acc.can_read_dag), inv.warnings


def orphan_decisions(request: Request, resources: list[ManagedResource]) -> list[Any]:
    backend_ = get_backend(request)
    return views.orphans(resources, backend_.run_states(), datetime.now(UTC), backend_.deployment_id)


router = APIRouter()

# --- JSON ---------------------------------------------------------------------------------------


@router.get("/api/resources")
def api_resources(
    request: Request, acc: AccessDep, dag_id: str | None = None, state: str = "all", days: int = 7
) -> dict[str, Any]:
    check_dag_filter(acc, dag_id)
    resources, warnings = visible(request, acc, _clamp_days(days))
    now = datetime.now(UTC)
    table = get_backend(request).prices()
    return {
        "estimate": True,
        "price_date": table.as_of,
        "resources": [r.to_dict(now) for r in resources if views.matches(r, dag_id=dag_id, state=state)],
        "warnings": list(warnings),
    }


@router.get("/api/orphans")
def api_orphans(request: Request, acc: AccessDep, dag_id: str | None = None, days: int = 7) -> dict[str, Any]:
    check_dag_filter(acc, dag_id)
    resources, warnings = visible(request, acc, _clamp_days(days))
    resources = [r for r in resources if views.matches(r, dag_id=dag_id, state="active")]
    now = datetime.now(UTC)
    return {
        "orphans": [
            {**d.resource.to_dict(now), "reason": d.reason} for d in orphan_decisions(request, resources)
        ],
        "warnings": list(warnings),
    }


@router.get("/api/costs")
def api_costs(request: Request, acc: AccessDep, dag_id: str | None = None, days: int = 7) -> dict[str, Any]:
    check_dag_filter(acc, dag_id)
    resources, warnings = visible(request, acc, _clamp_days(days))
    table = get_backend(request).prices()
    costs = views.cost_by_dag(table, [r for r in resources if views.matches(r, dag_id=dag_id, state="all")])
    return {
        "estimate": True,
        "price_date": table.as_of,
        "currency": table.currency,
        "days": _clamp_days(days),
        "dags": [c.to_dict() for c in costs],
        "warnings": list(warnings),
    }


@router.get(f"/api{DIAGNOSIS_PATH}")
def api_diagnosis(
    request: Request,
    acc: AccessDep,
    dag_id: str | None = None,
    run_id: str | None = None,
    task_id: str | None = None,
    map_index: str | None = None,
    try_number: str | None = None,
) -> dict[str, Any]:
    """One task try's diagnosis: 400 for a bad query, 404 (the reason in ``detail``) when there is none."""
    try:
        task = views.task_try_from_query(dag_id, run_id, task_id, map_index, try_number)
    except views.BadDiagnosisQuery as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    try:
        return find_diagnosis(request, acc, task).to_dict()
    except views.DiagnosisNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


def find_diagnosis(request: Request, acc: Access, task: views.TaskTry) -> views.FoundDiagnosis:
    if not acc.can_read_xcom(task.dag_id):
        raise HTTPException(status_code=403, detail="Forbidden")
    stored = get_backend(request).diagnosis(task.dag_id, task.run_id, task.task_id, task.map_index)
    return views.resolve_diagnosis(task, stored)


# --- HTML ---------------------------------------------------------------------------------------


@router.get(DIAGNOSIS_PATH, response_class=HTMLResponse)
def diagnosis_page(
    request: Request,
    acc: AccessDep,
    dag_id: str | None = None,
    run_id: str | None = None,
    task_id: str | None = None,
    map_index: str | None = None,
    try_number: str | None = None,
    format: str = "html",
) -> Any:
    """The target of the "Probable cause" extra link; ``format=json`` answers like ``/api/diagnosis``."""
    if format == "json":
        return JSONResponse(api_diagnosis(request, acc, dag_id, run_id, task_id, map_index, try_number))
    u = urls(request)
    headers = {"Cache-Control": "no-store"}
    if format != "html":
        msg = f"format: {format!r} is not supported; expected 'html' (the default) or 'json'"
        return HTMLResponse(render.diagnosis_error_page("Bad request", msg, urls=u), 400, headers)
    try:
        task = views.task_try_from_query(dag_id, run_id, task_id, map_index, try_number)
    except views.BadDiagnosisQuery as exc:
        return HTMLResponse(render.diagnosis_error_page("Bad request", str(exc), urls=u), 400, headers)
    try:
        found = find_diagnosis(request, acc, task)
    except views.DiagnosisNotFound as exc:
        page_ = render.diagnosis_error_page("Diagnosis not found", str(exc), urls=u, task=task)
        return HTMLResponse(page_, 404, headers)
    return HTMLResponse(render.diagnosis_page(found, urls=u), headers=headers)


@router.get("/", response_class=HTMLResponse)
def page(
    request: Request,
    acc: AccessDep,
    view: str = "resources",
    dag_id: str | None = None,
    state: str = "all",
    days: int = 7,
    msg: str = "",
) -> HTMLResponse:
    dag_id = dag_id or None
    check_dag_filter(acc, dag_id)
    days = _clamp_days(days)
    resources, warnings = visible(request, acc, days)
    table = get_backend(request).prices()
    u = urls(request)
    now = datetime.now(UTC)
    dag_ids = sorted({r.dag_id for r in resources})
    message = msg[:200]
    if view == "orphans":
        active = [r for r in resources if views.matches(r, dag_id=dag_id, state="active")]
        decisions = orphan_decisions(request, active)
        allowed = get_backend(request).allow_terminate

        def can(dag: str) -> bool:
            return allowed and acc.can_terminate(dag)

        html = render.orphans_page(
            decisions, urls=u, table=table, now=now, dag_ids=dag_ids, dag_id=dag_id, days=days,
            warnings=warnings, can_terminate=can, message=message,
        )  # fmt: skip
    elif view == "costs":
        chosen = [r for r in resources if views.matches(r, dag_id=dag_id, state="all")]
        html = render.costs_page(
            views.cost_by_dag(table, chosen), urls=u, table=table, days=days, warnings=warnings
        )
    else:
        chosen = [r for r in resources if views.matches(r, dag_id=dag_id, state=state)]
        html = render.resources_page(
            chosen, urls=u, table=table, now=now, dag_ids=dag_ids, dag_id=dag_id, state=state, days=days,
            warnings=warnings, message=message,
        )  # fmt: skip
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


# --- the one write action -------------------------------------------------------------------------


@router.post("/orphans/terminate")
async def terminate(request: Request, acc: AccessDep) -> Any:
    origin = request.headers.get("origin")
    if origin and urlparse(origin).netloc != request.headers.get("host"):
        raise HTTPException(status_code=403, detail="Forbidden")  # cross-site form post
    raw = await request.body()
    is_json = request.headers.get("content-type", "").startswith("application/json")
    if is_json:
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError as exc:
            raise HTTPException(status_code=400, detail="Request body is not valid JSON") from exc
    else:
        body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
    kind, resource_id, confirm = (str(body.get(k, "")) for k in ("kind", "id", "confirm"))
    backend_ = get_backend(request)
    if not backend_.allow_terminate or not acc.can_terminate():
        raise HTTPException(status_code=403, detail="Forbidden")
    if not resource_id or confirm != resource_id:
        raise HTTPException(status_code=400, detail="confirm must repeat the resource id exactly")
    from starlette.concurrency import run_in_threadpool

    resources, _ = await run_in_threadpool(visible, request, acc, MAX_DAYS)
    match = [r for r in resources if r.id == resource_id and r.kind.value == kind]
    if not match:
        raise HTTPException(
            status_code=404,
            detail=f"No emr-dags resource of kind {kind!r} with id {resource_id!r} among those tagged "
            f"emr-dags:managed=true in the last {MAX_DAYS} days, in DAGs you may read",
        )
    resource = match[0]
    if not acc.can_terminate(resource.dag_id):
        raise HTTPException(status_code=403, detail="Forbidden")
    from emr_dags.ops.reaper import Action

    decision = await run_in_threadpool(_decide_now, request, resource)
    if decision.action is not Action.REAP:
        # Docs promise 409 for anything that is not an orphan now: a live DAG run (whatever its
        # deadline tag says), a run Airflow does not know (maybe another deployment's), another
        # deployment's resource, or tags whose key does not hash the dag/run/task tags.
        raise HTTPException(status_code=409, detail=f"Not an orphan: {decision.reason}")
    result = await run_in_threadpool(
        backend_.terminate, resource, f"{decision.reason}; by {acc.user.get_name()} in the UI"
    )
    log.info(
        "UI: %s asked to %s %s %s (dag %s run %s): %s",
        acc.user.get_name(), decision.verb, resource.kind.value, resource.id, resource.dag_id,
        resource.run_id, result.outcome.value,
    )  # fmt: skip
    if is_json:
        return result.to_dict()
    message = f"{decision.verb} {resource.id}: {result.outcome.value} {result.detail}".strip()
    return RedirectResponse(urls(request).page(view="orphans", msg=message), status_code=303)


def _decide_now(request: Request, resource: ManagedResource) -> Decision:
    """The reaper's decision for one resource, with this deployment's id and fresh DAG-run state."""
    from emr_dags.ops.reaper import decide

    backend_ = get_backend(request)
    return decide(resource, backend_.run_states(), now=datetime.now(UTC), deployment=backend_.deployment_id)


def create_app(*, backend: Backend | None = None, url_prefix: str = URL_PREFIX) -> FastAPI:
    """Build the app; ``backend`` defaults to AWS via Airflow's connection plus the metadata DB."""
    app = FastAPI(title="emr-dags: EMR", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.emr_backend = backend
    app.state.emr_url_prefix = url_prefix
    app.include_router(router)
    return app
