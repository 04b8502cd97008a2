"""Every Python example in docs/specs.md runs (blocks that need an operator's ``self`` are skipped)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "specs.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)


def test_the_doc_has_examples() -> None:
    assert len(BLOCKS) >= 15


def test_every_example_runs_in_order() -> None:
    namespace: dict[str, object] = {}
    exec("from emr_dags.specs import *\nfrom emr_dags.specs import FlinkMode", namespace)
    for block in BLOCKS:
        if "self." in block:
            continue
        try:
            exec(compile(block, str(DOC), "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message is the point
            pytest.fail(f"docs example failed: {exc!r}\n{block}")
