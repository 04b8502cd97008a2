"""The provider registration: Airflow's schema, importable modules, and every [emr_dags] option declared."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from emr_dags.provider_info import get_provider_info

PACKAGE = Path(__file__).resolve().parents[2] / "emr_dags"


def _schema() -> dict[str, object] | None:
    import airflow

    path = Path(airflow.__file__).parent / "provider_info.schema.json"
    return json.loads(path.read_text()) if path.exists() else None


def test_provider_info_validates_against_airflows_schema() -> None:
    schema = _schema()
    if schema is None:
        pytest.skip("this Airflow ships no provider_info.schema.json")
    import jsonschema

    jsonschema.validate(get_provider_info(), schema)


def test_every_declared_module_and_link_imports() -> None:
    info = get_provider_info()
    integrations = {i["integration-name"] for i in info["integrations"]}
    assert integrations == {"Amazon EMR", "Amazon EMR Serverless", "Amazon EMR on EKS"}
    for kind in ("operators", "sensors", "triggers"):
        for entry in info[kind]:
            assert entry["integration-name"] in integrations
            for module in entry["python-modules"]:
                importlib.import_module(module)
    for path in info["extra-links"]:
        module, _, name = path.rpartition(".")
        assert hasattr(importlib.import_module(module), name), path


def _options_read_by_the_code() -> set[str]:
    # conf.get("emr_dags", "key") and the module helpers that wrap it: _conf("key") (the UI backend's)
    # and _airflow_conf("key") (prices.py's), section emr_dags; _airflow_option("emr_dags", "key") (tags.py's).
    pattern = re.compile(
        r"""(?:conf\.get\w*\(\s*"emr_dags",\s*|\b_conf\(|\b_airflow_conf\(|\b_airflow_option\(\s*"emr_dags",\s*)"""
        r"""\s*"(\w+)\""""
    )
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        found |= set(pattern.findall(path.read_text()))
    return found


def test_every_option_the_code_reads_is_declared_with_its_metadata() -> None:
    options = get_provider_info()["config"]["emr_dags"]["options"]
    read = _options_read_by_the_code()
    assert {"price_file", "spot_factor", "ui_allow_terminate"} <= read  # the scan finds them
    assert read <= options.keys(), read - options.keys()
    assert "deployment_id" in options
    for name, option in options.items():
        assert option["description"], name
        assert option["type"] in ("string", "boolean", "integer", "float"), name
        assert option["example"] is not None, name


def test_airflow_config_list_shows_the_emr_dags_section(tmp_path: Path) -> None:
    repo = PACKAGE.parent
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join([str(repo), str(repo / "devkit"), os.environ.get("PYTHONPATH", "")]),
    }
    env = {k: v for k, v in env.items() if not k.startswith("AIRFLOW__EMR_DAGS__")}
    airflow = Path(sys.executable).with_name("airflow")
    done = subprocess.run(
        [str(airflow), "config", "list", "--section", "emr_dags", "--show-values", "--include-descriptions"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "[emr_dags]" in out
    for name in get_provider_info()["config"]["emr_dags"]["options"]:
        assert re.search(rf"^#?\s*{name}\s*=", out, flags=re.M), (name, out)
    assert re.search(r"^#? ?aws_conn_id = aws_default$", out, flags=re.M), out
    assert "stable identity stamped on every resource" in out
