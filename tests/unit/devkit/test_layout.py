"""The product/dev-kit split: what each side may import, where the stack's files come from."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from emr_dags_devkit import layout

REPO = Path(__file__).resolve().parents[3]


def test_the_product_package_never_imports_the_dev_kit():
    offenders = []
    for path in (REPO / "emr_dags").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(REPO)}: {n}" for n in names if n.split(".")[0] == "emr_dags_devkit"
            ]
    assert offenders == []


def test_dags_folder_holds_only_examples():
    fixtures = {p.name for p in layout.FIXTURE_DAGS.glob("*.py")}
    examples = {p.name for p in (REPO / "dags").glob("*.py")}
    assert fixtures, "the bench/chaos fixture DAGs live in the dev kit"
    assert not fixtures & examples
    assert not [n for n in examples if n.startswith(("bench_", "chaos_"))]


def test_project_prefers_the_current_folder_then_the_checkout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert layout.project().root == REPO
    assert layout.project().kind == "checkout"
    (tmp_path / "docker-compose.yaml").write_text("services: {}\n")
    assert layout.project() == layout.Project(tmp_path, "cwd")
    assert layout.project().default_state_dir == tmp_path / ".state"


def test_a_packaged_project_keeps_its_state_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    packaged = layout.Project(Path(sys.prefix) / "site-packages" / "emr_dags_devkit" / "project", "package")
    assert packaged.default_state_dir == tmp_path / ".state"


def test_dag_folder_links_examples_and_fixtures_and_drops_stale_links(tmp_path):
    examples, fixtures, target = tmp_path / "ex", tmp_path / "fx", tmp_path / "state" / "dags"
    (examples / "scripts").mkdir(parents=True)
    (examples / "a.py").write_text("# a")
    (examples / "__pycache__").mkdir()
    fixtures.mkdir()
    (fixtures / "a.py").write_text("# fixture a")
    (fixtures / "b.py").write_text("# b")
    layout.build_dag_folder(target, [examples, fixtures])
    assert sorted(p.name for p in target.iterdir()) == ["a.py", "b.py", "scripts"]
    assert (target / "a.py").read_text() == "# a"  # the example wins over a same-named fixture
    assert (target / "scripts").resolve() == (examples / "scripts").resolve()
    layout.build_dag_folder(target, [examples])
    assert sorted(p.name for p in target.iterdir()) == ["a.py", "scripts"]


def test_cli_without_the_dev_kit_names_the_package_to_install(monkeypatch, capsys):
    from emr_dags import cli

    monkeypatch.setattr(cli, "entry_points", lambda group: [])
    assert cli.main(["up", "--api-port", "1"]) == 2
    err = capsys.readouterr().err
    assert "pip install emr-dags-devkit" in err
    assert "emr-dags up" in err


def test_cli_with_the_dev_kit_has_its_commands():
    from emr_dags import cli

    parser = cli.build_parser()
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["up", "--help"])
    assert exc.value.code == 0
