"""docs/reference/ is generated from the code: a public signature or docstring change must regenerate it."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "gen_reference.py"
COMMITTED = ROOT / "docs" / "reference"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_reference", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def test_the_committed_reference_pages_are_current(tmp_path):
    gen = _generator()
    problems = gen.stale(COMMITTED, gen.generate(tmp_path))
    assert not problems, (
        "docs/reference/ is stale (a public signature or docstring changed):\n  "
        + "\n  ".join(problems)
        + f"\nRegenerate with: {gen.REGENERATE}"
    )


def test_every_public_operator_sensor_task_group_and_spec_has_a_page(tmp_path):
    import emr_dags

    gen = _generator()
    pages = gen.generate(tmp_path)
    for name, module in emr_dags._LAZY.items():
        if module.startswith(
            ("emr_dags.operators.", "emr_dags.sensors.", "emr_dags.task_groups.", "emr_dags.specs")
        ):
            assert f"{name}.md" in pages, name
            assert f"]({name}.md)" in pages["index.md"], name
    assert "EmrStepsTrigger.md" in pages


def test_an_operator_page_lists_parameters_template_fields_and_links(tmp_path):
    page = _generator().generate(tmp_path)["EmrStepOperator.md"]
    assert "| `cluster_id` | `Any` | required |" in page
    assert "| `poll_interval` | `float` | `30.0` | seconds between status checks" in page
    assert "`cluster_id`, `step`, `generation`, `aws_conn_id`, `region_name`, `verify`" in page
    assert "| Probable cause | `emr_dags.links.diagnosis.ProbableCauseLink` |" in page


def test_the_generator_is_deterministic_across_hash_seeds(tmp_path):
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
        subprocess.run(
            [sys.executable, str(SCRIPT), "--out", str(out)], check=True, env=env, capture_output=True
        )
        outputs.append({p.name: p.read_text() for p in sorted(out.glob("*.md"))})
    assert outputs[0] == outputs[1]


def test_every_path_and_name_in_the_readme_architecture_section_exists():
    readme = (ROOT / "README.md").read_text()
    section = (
        readme.split("## Architecture", 1)[1].split("Where each behaviour lives", 1)[1].split("\n## ", 1)[0]
    )
    rows = [line for line in section.splitlines() if line.startswith("| ") and "emr_dags/" in line]
    assert rows
    for row in rows:
        paths = re.findall(r"`((?:emr_dags|devkit)/[\w/.]*)`", row)
        assert paths, row
        for path in paths:
            assert (ROOT / path).exists(), f"README names {path}, which does not exist"
        sources = "".join((ROOT / p).read_text() for p in paths if (ROOT / p).is_file())
        for name in re.findall(r"`([a-z_]+[a-z])`", row):
            if name in ("execute", "on_kill") or f"def {name}" in sources or f"async def {name}" in sources:
                continue
            raise AssertionError(f"README names {name!r} in {paths}, which defines no such function")
