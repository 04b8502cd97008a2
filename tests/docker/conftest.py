"""The Docker tier: when it cannot run here, the end of the pytest report says so in capitals."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

# The e2e tier's helpers (wait_until), imported by module name as tests/e2e does.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from docker_skip import NOT_RUN  # noqa: E402


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for reason in NOT_RUN:
        terminalreporter.write_sep("!", "THE DOCKER STAGE DID NOT RUN", red=True, bold=True)
        terminalreporter.write_line(f"tests/docker skipped: {reason}", red=True, bold=True)
