"""Append the sha256 of every file of each *new* test-half case to ``test_half.sha256``.

Run it right after writing a case, then commit. It never changes or removes an existing entry:
a frozen test-half case is never edited (a wrong one goes to the README's errata instead).

    python tests/diagnostics_corpus/freeze_new_cases.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "test_half.sha256"
SALT = "emr-dags-corpus-v1:"


def half_of(case_id: str) -> str:
    return "dev" if hashlib.sha256(f"{SALT}{case_id}".encode()).digest()[0] < 128 else "test"


def main() -> int:
    lines = MANIFEST.read_text().splitlines() if MANIFEST.exists() else []
    frozen_cases = {line.split("  ", 1)[1].split("/", 1)[0] for line in lines if line.strip()}
    added = []
    for case_json in sorted(HERE.glob("*/case.json")):
        case_id = json.loads(case_json.read_text())["id"]
        if half_of(case_id) != "test" or case_id in frozen_cases:
            continue
        for file in sorted(p for p in case_json.parent.rglob("*") if p.is_file()):
            digest = hashlib.sha256(file.read_bytes()).hexdigest()
            lines.append(f"{digest}  {file.relative_to(HERE).as_posix()}")
        added.append(case_id)
    MANIFEST.write_text("".join(f"{line}\n" for line in lines))
    print(f"froze {len(added)} new test-half case(s): {', '.join(added) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
