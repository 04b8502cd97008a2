"""The "Probable cause" link: from a failed task to its diagnosis on the emr-dags page.

When a step or job run fails, the operator pushes the diagnosis to XCom (key ``diagnosis``, see
``emr_dags.operators._base.diagnose``). Airflow 3 computes extra links in the worker as the try
ends and stores them in XCom, so the URL names that exact try; the page (``emr_dags.ui``) reads the
diagnosis from the metadata DB and checks that it is that try's. No diagnosis, no link: Airflow hides
a link whose URL is "".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from emr_dags.links.base import EmrDagsLink
from emr_dags.ui import DIAGNOSIS_PATH, URL_PREFIX

DIAGNOSIS_KEY = "diagnosis"


def api_base_url() -> str:
    """``[api] base_url`` (as Airflow's own log links use it); "" when unset, so the link is
    root-relative and the browser resolves it against the UI it was clicked in."""
    from emr_dags.compat import airflow_conf

    return str(airflow_conf().get("api", "base_url", fallback="") or "").rstrip("/")


def diagnosis_page_url(
    *,
    dag_id: str,
    run_id: str,
    task_id: str,
    map_index: int = -1,
    try_number: int | None = None,
    base_url: str | None = None,
    api: bool = False,
) -> str:
    """The page (or, with ``api=True``, the JSON) showing one task try's diagnosis."""
    base = api_base_url() if base_url is None else base_url.rstrip("/")
    params: dict[str, Any] = {"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "map_index": map_index}
    if try_number is not None:
        params["try_number"] = try_number
    path = f"/api{DIAGNOSIS_PATH}" if api else DIAGNOSIS_PATH
    return f"{base}{URL_PREFIX}{path}?{urlencode(params)}"


class ProbableCauseLink(EmrDagsLink):
    """The emr-dags page for this try's diagnosis; only when the try stored one."""

    name = "Probable cause"
    key = DIAGNOSIS_KEY

    def url_for(self, p: dict[str, Any], ti_key: Any) -> str:
        if not p.get("category"):
            return ""
        map_index = getattr(ti_key, "map_index", -1)
        return diagnosis_page_url(
            dag_id=ti_key.dag_id,
            run_id=ti_key.run_id,
            task_id=ti_key.task_id,
            map_index=-1 if map_index is None else int(map_index),
            try_number=int(ti_key.try_number),
        )
