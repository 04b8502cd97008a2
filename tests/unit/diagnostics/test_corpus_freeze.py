"""The test half of ``tests/diagnostics_corpus/`` is frozen: its files never change, appear or vanish.

The split rule is spelled here on purpose, independently of the benchmark script: it is the
contract, so a change to the script's copy cannot silently move cases between halves.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "diagnostics_corpus"
MANIFEST = CORPUS / "test_half.sha256"
SALT = "emr-dags-corpus-v1:"


def _half(case_id: str) -> str:
    return "dev" if hashlib.sha256(f"{SALT}{case_id}".encode()).digest()[0] < 128 else "test"


def _frozen() -> dict[str, str]:
    """relative path -> sha256, as recorded when each test-half case was written."""
    entries = {}
    for line in MANIFEST.read_text().splitlines():
        if line.strip():
            digest, path = line.split("  ", 1)
            assert path not in entries, f"{path} is recorded twice in {MANIFEST.name}"
            entries[path] = digest
    return entries


def _case_dirs() -> list[Path]:
    return sorted(p.parent for p in CORPUS.glob("*/case.json"))


def _files(case_dir: Path) -> list[str]:
    return sorted(p.relative_to(CORPUS).as_posix() for p in case_dir.rglob("*") if p.is_file())


def test_every_case_id_names_its_folder() -> None:
    for case_dir in _case_dirs():
        assert json.loads((case_dir / "case.json").read_text())["id"] == case_dir.name


def test_recorded_test_cases_are_exactly_the_ones_the_split_rule_puts_in_test() -> None:
    recorded = {path.split("/", 1)[0] for path in _frozen()}
    on_disk = {d.name for d in _case_dirs()}
    wrongly_recorded = sorted(c for c in recorded if _half(c) != "test")
    assert not wrongly_recorded, f"recorded as test-half but the split rule says dev: {wrongly_recorded}"
    unrecorded = sorted(c for c in on_disk if _half(c) == "test" and c not in recorded)
    assert not unrecorded, (
        f"test-half cases not frozen: {unrecorded}; run tests/diagnostics_corpus/freeze_new_cases.py"
    )
    vanished = sorted(recorded - on_disk)
    assert not vanished, f"frozen test-half cases vanished: {vanished}"


@pytest.mark.parametrize(
    "case_dir", [d for d in _case_dirs() if _half(d.name) == "test"], ids=lambda d: d.name
)
def test_test_half_case_is_unchanged(case_dir: Path) -> None:
    frozen = {p: h for p, h in _frozen().items() if p.split("/", 1)[0] == case_dir.name}
    present = _files(case_dir)
    appeared = sorted(set(present) - set(frozen))
    vanished = sorted(set(frozen) - set(present))
    assert not appeared, f"files appeared in frozen case {case_dir.name}: {appeared}"
    assert not vanished, f"files vanished from frozen case {case_dir.name}: {vanished}"
    changed = [p for p in present if hashlib.sha256((CORPUS / p).read_bytes()).hexdigest() != frozen[p]]
    assert not changed, f"frozen test-half files changed: {changed}; record errata in the README instead"
