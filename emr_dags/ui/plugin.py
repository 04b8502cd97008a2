"""The emr-dags Airflow plugin: the EMR page and the diagnosis page (3.1+ plugin interface).

Registered through the ``airflow.plugins`` entry point (see pyproject.toml), so ``pip install emr-dags``
is enough: no file to copy into the plugins folder. Registration only; the page lives in
``emr_dags.ui``. The same app serves ``/diagnosis``, the target of the operators' "Probable cause" extra
link. The app is built on its first request, so loading plugins in the scheduler or dag-processor
imports neither FastAPI routes nor boto3.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from emr_dags.ui import URL_PREFIX  # the extra links build their URLs from the same constant


class LazyApp:
    """An ASGI app that builds ``emr_dags.ui.app.create_app()`` on first use."""

    def __init__(self) -> None:
        self._app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            from emr_dags.ui.app import create_app

            self._app = create_app(url_prefix=URL_PREFIX)
        await self._app(scope, receive, send)


class EmrDagsPlugin(AirflowPlugin):
    name = "emr_dags"
    fastapi_apps = [{"app": LazyApp(), "url_prefix": URL_PREFIX, "name": "emr-dags EMR page"}]
    external_views = [
        {
            "name": "EMR",
            "href": f"{URL_PREFIX.lstrip('/')}/",  # relative: Airflow resolves it against its base URL
            "url_route": "emr",  # shown inside Airflow's UI at /plugin/emr
            "destination": "nav",
            "category": "browse",
        }
    ]
