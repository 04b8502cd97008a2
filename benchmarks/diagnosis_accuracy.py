"""Diagnosis accuracy on the real-text corpus in ``tests/diagnostics_corpus/``.

Each case folder holds ``case.json`` (the label) and ``logs/`` (the files EMR stored). A case is
diagnosed exactly as ``emr-dags diagnose CASE/logs --json`` would (``diagnose_paths`` in-process) and
counts as right when the category matches AND the labelled ``decisive`` substring appears in the
summary or the first evidence line (the decisive line, read whole: evidence strings are clipped) (a success case is right when the category is ``no_failure_found``).

The corpus is split once by id (see the corpus README): the **test** half is frozen and is what this
script reports by default; the **dev** half is in-sample for anyone tuning rules on it.

    .venv/bin/python benchmarks/diagnosis_accuracy.py                 # test half (held out)
    .venv/bin/python benchmarks/diagnosis_accuracy.py --half dev      # in-sample
    .venv/bin/python benchmarks/diagnosis_accuracy.py --half all --json

The half is decided from each folder's name before the folder is opened, so ``--half dev`` never
reads a test-half case.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "diagnostics_corpus"
SPLIT_SALT = "emr-dags-corpus-v1:"
HALF_LABELS = {
    "test": "held-out (test half)",
    "dev": "in-sample (development half)",
    "all": "all cases (test + development halves)",
}


def half_of(case_id: str) -> str:
    """``dev`` or ``test``: the first byte of sha256(salt + id) below 128 is dev."""
    return "dev" if hashlib.sha256(f"{SPLIT_SALT}{case_id}".encode()).digest()[0] < 128 else "test"


def load_cases(corpus: Path = CORPUS, half: str = "all") -> list[dict[str, Any]]:
    """Every case's ``case.json`` (plus ``dir`` and ``half``), sorted by id, limited to ``half``."""
    cases = []
    for folder in sorted(p for p in corpus.iterdir() if p.is_dir()):
        # the half is decided from the folder name (= the id) BEFORE anything in it is opened, so a
        # dev-half run never reads a test-half case
        if half not in ("all", half_of(folder.name)) or not (folder / "case.json").is_file():
            continue
        path = folder / "case.json"
        case = json.loads(path.read_text())
        case["dir"] = path.parent
        case["half"] = half_of(case["id"])
        if half in ("all", case["half"]):
            cases.append(case)
    return cases


def judge(case: dict[str, Any], diagnosis: dict[str, Any]) -> bool:
    """Right category, and the decisive substring quoted in the summary or first evidence line."""
    if diagnosis["category"] != case["category"]:
        return False
    decisive = case.get("decisive")
    if decisive is None:
        return True
    # evidence strings are clipped to 300 characters; the decisive line (evidence[0]) is also given whole
    first_evidence = diagnosis["evidence"][0] if diagnosis["evidence"] else ""
    whole = (diagnosis.get("decisive_line") or {}).get("text", "")
    return any(decisive in text for text in (diagnosis["summary"], first_evidence, whole))


def diagnose_case(case: dict[str, Any]) -> dict[str, Any]:
    """What ``emr-dags diagnose CASE/logs --json`` prints, as a dict."""
    from emr_dags.diagnostics.api import diagnose_paths

    return diagnose_paths([case["dir"] / "logs"]).to_dict()


def run(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """Diagnose and judge every case; per-category and total counts, and each case's outcome."""
    n: Counter[str] = Counter()
    right: Counter[str] = Counter()
    outcomes = []
    for case in cases:
        got = diagnose_case(case)
        ok = judge(case, got)
        n[case["category"]] += 1
        right[case["category"]] += ok
        outcomes.append(
            {
                "id": case["id"],
                "half": case["half"],
                "expected": case["category"],
                "got": got["category"],
                "right": ok,
            }
        )
    per_category = {
        c: {"n": n[c], "right": right[c], "accuracy": round(right[c] / n[c], 3)} for c in sorted(n)
    }
    total = sum(n.values())
    return {
        "n": total,
        "right": sum(right.values()),
        "accuracy": round(sum(right.values()) / total, 3) if total else 0.0,
        "per_category": per_category,
        "cases": outcomes,
    }


def _table(result: dict[str, Any]) -> str:
    rows = [f"{'category':32} {'n':>4} {'right':>5} {'accuracy':>8}"]
    for category, row in result["per_category"].items():
        rows.append(f"{category:32} {row['n']:>4} {row['right']:>5} {row['accuracy']:>8.0%}")
    rows.append(f"{'TOTAL':32} {result['n']:>4} {result['right']:>5} {result['accuracy']:>8.0%}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--half", choices=("test", "dev", "all"), default="test")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the corpus folder")
    parser.add_argument("--limit", type=int, default=None, help="only the first N cases (by id)")
    args = parser.parse_args(argv)

    everything = load_cases(args.corpus, args.half)
    per_half = Counter(half_of(p.name) for p in args.corpus.iterdir() if p.is_dir())  # names only
    cases = everything[: args.limit]
    result = run(cases)
    result["half"] = args.half
    result["label"] = HALF_LABELS[args.half]
    result["cases_per_half"] = {"dev": per_half["dev"], "test": per_half["test"]}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"Diagnosis accuracy, {result['label']}: {len(cases)} cases")
    print(f"Corpus: {per_half['test']} test-half cases, {per_half['dev']} development-half cases")
    print(_table(result))
    wrong = [c for c in result["cases"] if not c["right"] and c["half"] == "dev"]
    if wrong:  # test-half misses are not itemised: nobody should tune on them
        print("\nwrong (development half):")
        for c in wrong:
            print(f"  {c['id']}: expected {c['expected']}, got {c['got']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
