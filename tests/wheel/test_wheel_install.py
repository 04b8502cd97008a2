"""emr-dags as a user installs it: the built wheels, not editable, in clean virtualenvs.

Two dependency sets: the oldest we support (``constraints-oldest.txt``: Airflow 3.1.0, amazon provider
9.15.0) and the newest PyPI serves today. In each: ``airflow providers list`` and ``airflow plugins``
show emr-dags, the packaged example DAGs parse, and one example runs with ``airflow dags test`` against
the dev kit's emulator. With the newest set, ``emr-dags up`` and ``emr-dags demo`` run in an empty
folder (the compose file and examples come from the wheel).

Slow (a venv per set; uv's cache makes a warm install take seconds). Needs the package registry.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest

from emr_dags_devkit.stack.runner import free_port

pytestmark = pytest.mark.wheel
REPO = Path(__file__).resolve().parents[2]
NEUTRAL = Path(tempfile.mkdtemp(prefix="emr-dags-wheel-cwd-"))  # empty: nothing to import by accident
EXAMPLES = sorted(p.stem for p in (REPO / "dags").glob("*.py"))
SETS = {
    "oldest": ["-c", str(REPO / "constraints-oldest.txt")],
    "newest": ["--upgrade"],
}


def _uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if not found:
        pytest.fail("uv is missing: `make install` installs it into .venv")
    return found


def _run(
    argv: list[str], *, env: dict[str, str] | None = None, timeout: float = 600, cwd: Path | None = None
):
    # Never from the checkout: `python -c`/`-m` would import its emr_dags/ instead of the wheel's.
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd or NEUTRAL)
    problems = [line for line in proc.stdout.splitlines() if "FAILED" in line or "failed" in line]
    assert proc.returncode == 0, (
        f"{' '.join(argv)} -> {proc.returncode}\n{problems}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("wheels")
    _run([_uv(), "build", "-q", "--wheel", "-o", str(out), str(REPO)])
    _run([_uv(), "build", "-q", "--wheel", "-o", str(out), str(REPO / "devkit")])
    built = sorted(out.glob("*.whl"))
    assert [w.name.split("-")[0] for w in built] == ["emr_dags", "emr_dags_devkit"]
    return built


def test_the_product_wheel_holds_only_the_product_and_the_dev_kit_wheel_its_data(wheels):
    product, devkit = wheels
    top = {name.split("/")[0] for name in zipfile.ZipFile(product).namelist()}
    assert {t for t in top if not t.endswith(".dist-info")} == {"emr_dags"}
    entry_points = zipfile.ZipFile(product).read(
        f"{product.name.split('-py3')[0]}.dist-info/entry_points.txt"
    )
    assert b"[airflow.plugins]" in entry_points
    assert b"apache_airflow_provider" in entry_points
    names = set(zipfile.ZipFile(devkit).namelist())
    assert "emr_dags_devkit/project/docker-compose.yaml" in names
    assert {f"emr_dags_devkit/project/dags/{e}.py" for e in EXAMPLES} <= names
    assert not [n for n in names if n.startswith("emr_dags_devkit/project/dags/") and "/bench_" in n]


@pytest.fixture(scope="module", params=sorted(SETS))
def venv(request: pytest.FixtureRequest, wheels: list[Path], tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp(f"venv-{request.param}")
    _run([sys.executable, "-m", "venv", str(root / "venv")])
    python = root / "venv" / "bin" / "python"
    _run([_uv(), "pip", "install", "-q", "--python", str(python), *SETS[request.param], *map(str, wheels)])
    home = root / "airflow"
    dags = Path(
        _run(
            [
                str(python),
                "-c",
                "import emr_dags_devkit.layout as l; print(l.PACKAGE_DIR / 'project' / 'dags')",
            ]
        ).stdout.strip()
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "EMR_DAGS", "VIRTUAL_ENV", "PYTHON"))
    }
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    _run([str(python.parent / "airflow"), "db", "migrate"], env=env)
    return {"name": request.param, "bin": python.parent, "env": env, "root": root}


def _json_out(stdout: str) -> Any:
    """The JSON document in a CLI's stdout (Airflow may print log lines before it)."""
    for line in reversed(stdout.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    raise AssertionError(f"no JSON line in:\n{stdout[-2000:]}")


def _versions(venv) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json; print(json.dumps({p: m.version(p) for p in "
        "('apache-airflow', 'apache-airflow-providers-amazon', 'boto3', 'emr-dags', 'emr-dags-devkit')}))"
    )
    return json.loads(_run([str(venv["bin"] / "python"), "-c", code]).stdout)


def test_installed_not_editable_with_the_sets_airflow(venv):
    versions = _versions(venv)
    code = "import emr_dags, sys; print(emr_dags.__file__, sys.path)"
    origin = _run([str(venv["bin"] / "python"), "-I", "-c", code]).stdout
    assert "site-packages" in origin
    if venv["name"] == "oldest":
        assert versions["apache-airflow"] == "3.1.0"
        assert versions["apache-airflow-providers-amazon"] == "9.15.0"


def _airflow_imports() -> list[str]:
    """Every ``from airflow... import ...`` in the product outside a ``try`` that handles ImportError."""
    guarded: set[int] = set()
    found: set[str] = set()
    for path in (REPO / "emr_dags").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Try) and any(
                isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                for h in node.handlers
            ):
                guarded |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and (node.module or "").split(".")[0] == "airflow"
                and id(node) not in guarded
            ):
                found.add(f"from {node.module} import {', '.join(a.name for a in node.names)}")
    return sorted(found)


def test_every_airflow_import_of_the_product_exists_in_the_set(venv):
    # Function-level imports run only on some paths (a sensor's timeout, a link): check them all here.
    imports = _airflow_imports()
    assert len(imports) > 10
    code = (
        "import sys\n"
        "for line in sys.argv[1:]:\n"
        "    try:\n"
        "        exec(line)\n"
        "    except ImportError as e:\n"
        "        print(f'MISSING {line}: {e}')\n"
    )
    out = _run([str(venv["bin"] / "python"), "-I", "-c", code, *imports], env=venv["env"]).stdout
    missing = [line for line in out.splitlines() if line.startswith("MISSING ")]
    assert missing == [], f"missing in the {venv['name']} set"


def test_airflow_lists_the_provider_and_the_plugin(venv):
    airflow = str(venv["bin"] / "airflow")
    providers = _json_out(_run([airflow, "providers", "list", "-o", "json"], env=venv["env"]).stdout)
    assert "emr-dags" in [p["package_name"] for p in providers]
    plugins = _json_out(_run([airflow, "plugins", "-o", "json"], env=venv["env"]).stdout)
    assert "emr_dags" in [p["name"] for p in plugins]


def test_the_packaged_example_dags_parse(venv):
    airflow = str(venv["bin"] / "airflow")
    _run([airflow, "dags", "reserialize"], env=venv["env"])
    errors = subprocess.run(
        [airflow, "dags", "list-import-errors", "-o", "json"],
        env=venv["env"],
        capture_output=True,
        text=True,
        cwd=NEUTRAL,
    )
    assert _json_out(errors.stdout) == [], errors.stdout[-3000:]
    listed = _json_out(_run([airflow, "dags", "list", "-o", "json"], env=venv["env"]).stdout)
    dag_ids = {d["dag_id"] for d in listed}
    assert dag_ids == set(EXAMPLES)  # one DAG per example file, and no bench/chaos fixture


def _wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_an_example_runs_with_dags_test_against_the_emulator(venv):
    port = free_port()
    emulator = subprocess.Popen(
        [str(venv["bin"] / "python"), "-I", "-m", "emr_dags_devkit.emulator", "--port", str(port)],
        env=venv["env"],
        cwd=NEUTRAL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_http(f"http://127.0.0.1:{port}/emr-dags/health")
        env = {
            **venv["env"],
            "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(
                {
                    "conn_type": "aws",
                    "extra": {"endpoint_url": f"http://127.0.0.1:{port}", "region_name": "us-east-1"},
                }
            ),
        }
        proc = subprocess.run(
            [str(venv["bin"] / "airflow"), "dags", "test", "emr_nightly_analytics"],
            env=env,
            cwd=NEUTRAL,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    db = sqlite3.connect(Path(venv["env"]["AIRFLOW_HOME"]) / "airflow.db")
    try:
        rows = db.execute("SELECT state FROM dag_run WHERE dag_id = 'emr_nightly_analytics'").fetchall()
        tasks = dict(
            db.execute("SELECT task_id, state FROM task_instance WHERE dag_id = 'emr_nightly_analytics'")
        )
    finally:
        db.close()
    assert rows == [("success",)], f"rc={proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert set(tasks.values()) == {"success"}, tasks


def test_up_and_demo_work_from_the_wheel_in_an_empty_folder(venv):
    if venv["name"] != "newest":
        pytest.skip("the local stack from the wheel is checked once, with the newest set")
    folder = venv["root"] / "empty"
    folder.mkdir()
    ports = [
        "--api-port", str(free_port()), "--emulator-port", str(free_port()),
        "--scheduler-health-port", str(free_port()), "--worker-log-port", str(free_port()),
        "--trigger-log-port", str(free_port()),
    ]  # fmt: skip
    emr_dags = str(venv["bin"] / "emr-dags")
    env = {k: v for k, v in venv["env"].items() if not k.startswith("AIRFLOW")}
    try:
        # Local execution on: the demo's word count really runs (as `emr-dags demo` alone would start it).
        _run([emr_dags, "up", "--local-exec", *ports], env=env, cwd=folder, timeout=600)
        assert (folder / ".state" / "stack.json").exists()  # state in the empty folder, not site-packages
        demo = _run([emr_dags, "demo", *ports], env=env, cwd=folder, timeout=1500)
        assert "SUCCESS" in demo.stdout
        assert "FAILED" not in demo.stdout
    finally:
        subprocess.run([emr_dags, "down"], env=env, cwd=folder, capture_output=True, timeout=300)
    status = subprocess.run(
        [emr_dags, "status", "--json"], env=env, cwd=folder, capture_output=True, text=True
    )
    assert '"running": true' not in status.stdout
