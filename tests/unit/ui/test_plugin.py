from __future__ import annotations

import importlib


def _load():
    return importlib.import_module("emr_dags.ui.plugin")


def test_plugin_is_registered_through_the_airflow_plugins_entry_point():
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="airflow.plugins") if e.value.startswith("emr_dags")]
    assert entry.load() is _load().EmrDagsPlugin


def test_plugin_registers_a_fastapi_app_and_a_nav_view_airflow_accepts():
    from airflow.api_fastapi.app import RESERVED_URL_PREFIXES
    from airflow.api_fastapi.core_api.datamodels.plugins import ExternalViewResponse
    from airflow.plugins_manager import AirflowPlugin

    plugin = _load().EmrDagsPlugin
    assert issubclass(plugin, AirflowPlugin)
    (app,) = plugin.fastapi_apps
    assert app["url_prefix"]
    assert not any(app["url_prefix"].startswith(p) for p in RESERVED_URL_PREFIXES)
    (view,) = plugin.external_views
    ExternalViewResponse.model_validate(view)
    assert not view["href"].startswith("/")  # Airflow resolves it against its base URL
    assert view["url_route"]


def test_plugin_import_does_not_import_the_page_or_boto3():
    import subprocess
    import sys

    code = "import sys, emr_dags.ui.plugin\nprint('emr_dags.ui.app' in sys.modules, 'boto3' in sys.modules)\n"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split()[-2:] == ["False", "False"]


def test_mounted_lazy_app_requires_airflow_auth(auth_manager):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    module = _load()
    root = FastAPI()
    root.mount(module.URL_PREFIX, module.LazyApp())
    resp = TestClient(root).get(f"{module.URL_PREFIX}/api/resources")
    assert resp.status_code == 401
