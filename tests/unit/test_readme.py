"""The README's Python examples run as written (they build DAGs; no AWS call is made)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_has_python_examples():
    assert BLOCKS


@pytest.mark.parametrize("source", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_example_builds(source):
    namespace: dict = {}
    exec(compile(source, str(README), "exec"), namespace)  # noqa: S102 - our own README
    assert sorted(namespace["dag"].task_ids) == [
        "analytics.create_cluster",
        "analytics.report",
        "analytics.sessionize",
        "analytics.terminate_cluster",
    ]
