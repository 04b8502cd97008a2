from __future__ import annotations

import importlib.util
from pathlib import Path

PLUGIN = Path(__file__).parents[3] / "plugins" / "emr_dags_plugin.py"


def _load():
    spec = importlib.util.spec_from_file_location("emr_dags_plugin_under_test", PLUGIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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

    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('p', {str(PLUGIN)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "print('emr_dags.ui.app' in sys.modules, 'boto3' in sys.modules)\n"
    )
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
