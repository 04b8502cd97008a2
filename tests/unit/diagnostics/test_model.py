from __future__ import annotations

import json

from emr_dags.diagnostics import Diagnosis, Evidence, FailureCategory, diagnose_text
from emr_dags.diagnostics.model import BLOCK_END, BLOCK_START


def test_to_dict_is_json_with_the_documented_keys() -> None:
    diagnosis = diagnose_text(
        "stderr.gz", ["Traceback (most recent call last):", '  File "a.py", line 1', "KeyError: 'x'"]
    )
    data = json.loads(json.dumps(diagnosis.to_dict()))
    assert data["category"] == "python_exception"
    assert data["found_failure"] is True
    assert data["evidence"] == ["stderr.gz:3: KeyError: 'x'"]
    assert data["source"] == "stderr.gz"
    assert {"summary", "decisive_line", "searched", "missing"} <= set(data)
    assert "KeyError: 'x'" in data["summary"]


def test_format_block_is_clearly_marked() -> None:
    diagnosis = Diagnosis(
        category=FailureCategory.DISK_FULL,
        summary="Disk full: No space left on device [stderr:3]",
        decisive_line=Evidence(file="stderr", line=3, text="No space left on device"),
        evidence=(Evidence(file="stderr", line=3, text="No space left on device"),),
        source="s3://logs/j-1/steps/s-1/stderr.gz",
        missing=("s3://logs/j-1/steps/s-1/stdout.gz: not uploaded after 300s",),
    )
    block = diagnosis.format_block().splitlines()
    assert block[0] == BLOCK_START
    assert block[-1] == BLOCK_END
    assert "Category: disk_full (Disk full)" in block
    assert "  stderr:3: No space left on device" in block
    assert any("not uploaded" in line for line in block)


def test_long_evidence_lines_are_clipped_in_text_but_kept_in_dict() -> None:
    evidence = Evidence(file="f", line=1, text="x" * 1000)
    assert len(str(evidence)) < 320
    assert evidence.to_dict()["text"] == "x" * 1000
