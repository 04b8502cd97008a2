"""mypy (strict, see pyproject's [tool.mypy]) is clean on the product package: `make test` runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(600)
def test_mypy_is_clean_on_emr_dags() -> None:
    if shutil.which("mypy", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("mypy is not installed: install the dev extra (`make install`)")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "emr_dags"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
