"""Every corpus log gets its expected category and decisive line; precision per category holds."""

from __future__ import annotations

from collections import Counter

import pytest

from emr_dags.diagnostics import Diagnosis, FailureCategory

from .corpus_tools import load_manifest

CASES = load_manifest()
MIN_PRECISION = 0.9


def test_corpus_is_big_enough_and_covers_every_failure_category() -> None:
    failures = [c for c in CASES if c["category"] != "no_failure_found"]
    successes = [c for c in CASES if c["category"] == "no_failure_found"]
    assert len(failures) >= 25
    assert len(successes) >= 5
    covered = {c["category"] for c in failures}
    expected = {c.value for c in FailureCategory} - {"unknown", "no_failure_found"}
    assert expected <= covered, f"no corpus case for {sorted(expected - covered)}"


@pytest.mark.parametrize("case", CASES, ids=[str(c["id"]) for c in CASES])
def test_corpus_case_gets_expected_category_and_decisive_line(
    case: dict[str, object], corpus_diagnoses: dict[str, Diagnosis]
) -> None:
    diagnosis = corpus_diagnoses[str(case["id"])]
    assert diagnosis.category.value == case["category"], diagnosis.format_block()
    if case["decisive"] is None:
        assert not diagnosis.found_failure
        assert diagnosis.decisive_line is None
        return
    assert diagnosis.found_failure
    assert diagnosis.decisive_line is not None
    assert str(case["decisive"]) in diagnosis.decisive_line.text, diagnosis.format_block()
    assert diagnosis.decisive_line.line > 0
    assert diagnosis.source == diagnosis.decisive_line.file
    assert diagnosis.evidence[0] == diagnosis.decisive_line


def test_precision_per_category(corpus_diagnoses: dict[str, Diagnosis]) -> None:
    predicted: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    expected: Counter[str] = Counter()
    for case in CASES:
        got = corpus_diagnoses[str(case["id"])].category.value
        predicted[got] += 1
        expected[str(case["category"])] += 1
        if got == case["category"]:
            correct[got] += 1
    rows = []
    print(f"\n{'category':32} {'cases':>5} {'predicted':>9} {'correct':>7} {'precision':>9} {'recall':>6}")
    for category in sorted(set(predicted) | set(expected)):
        precision = correct[category] / predicted[category] if predicted[category] else 0.0
        recall = correct[category] / expected[category] if expected[category] else 0.0
        rows.append((category, precision))
        print(
            f"{category:32} {expected[category]:5} {predicted[category]:9} {correct[category]:7} "
            f"{precision:9.2f} {recall:6.2f}"
        )
    total = sum(correct.values()) / len(CASES)
    print(f"{'overall accuracy':32} {len(CASES):5} {'':9} {sum(correct.values()):7} {total:9.2f}")
    low = [(c, p) for c, p in rows if predicted[c] and p < MIN_PRECISION]
    assert not low, f"precision below {MIN_PRECISION}: {low}"
    assert total >= MIN_PRECISION
