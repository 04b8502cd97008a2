"""benchmarks/diagnosis_accuracy.py runs on a few corpus cases and its counts add up."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "diagnosis_accuracy.py"


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("diagnosis_accuracy", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_script_on_three_cases_reports_consistent_counts(capsys: pytest.CaptureFixture[str]) -> None:
    script = _script()
    assert script.main(["--half", "all", "--limit", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)

    assert result["n"] == len(result["cases"]) == 3
    assert sum(row["n"] for row in result["per_category"].values()) == 3
    assert result["right"] == sum(c["right"] for c in result["cases"])
    assert result["right"] == sum(row["right"] for row in result["per_category"].values())
    for row in result["per_category"].values():
        assert 0 <= row["right"] <= row["n"]
        assert row["accuracy"] == round(row["right"] / row["n"], 3)
    every_case = script.load_cases()
    assert sum(result["cases_per_half"].values()) == len(every_case)
    for case in result["cases"]:
        assert case["half"] == script.half_of(case["id"])
        if case["right"]:  # right needs the category; the decisive line is checked on top
            assert case["got"] == case["expected"]


def test_text_output_names_the_half_and_counts_per_half(capsys: pytest.CaptureFixture[str]) -> None:
    assert _script().main(["--half", "dev", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "in-sample (development half)" in out
    assert "test-half cases" in out
    assert "development-half cases" in out
