"""The Python examples in docs/install.md and docs/migration.md run as written (no AWS call is made)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCKS = [
    (doc, block)
    for doc in ("install.md", "migration.md")
    for block in re.findall(r"```python\n(.*?)```", (DOCS / doc).read_text(), flags=re.S)
]


def test_the_docs_have_python_examples():
    assert {doc for doc, _ in BLOCKS} == {"install.md", "migration.md"}


@pytest.mark.parametrize(("doc", "source"), BLOCKS, ids=[f"{d}-{i}" for i, (d, _) in enumerate(BLOCKS)])
def test_docs_python_example_runs(doc, source):
    namespace: dict = {}
    exec(compile(source, str(DOCS / doc), "exec"), namespace)  # noqa: S102 - our own docs
    dag = namespace.get("dag")
    if dag is not None:
        assert dag.task_ids


def test_the_migration_before_and_after_build_the_same_pipeline():
    blocks = [b for d, b in BLOCKS if d == "migration.md"]
    ids = []
    for source in blocks[:3]:
        namespace: dict = {}
        exec(compile(source, "migration.md", "exec"), namespace)  # noqa: S102
        ids.append(sorted(namespace["dag"].task_ids))
    assert ids[0] == ["add_steps", "create_job_flow", "remove_cluster", "watch_step"]
    assert (
        ids[1]
        == ids[2]
        == ["analytics.create_cluster", "analytics.sessionize", "analytics.terminate_cluster"]
    )
