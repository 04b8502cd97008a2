"""Session-wide hooks: the emulators' request-validation totals, printed at the end of a session.

The integration and end-to-end conftests record what each emulator they started saw
(``GET /emr-dags/validation``) into ``config.stash[VALIDATION_REPORTS]``; this prints one line per
emulator: "N validated requests, M violations".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from validation_report import VALIDATION_REPORTS

if TYPE_CHECKING:
    import pytest


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    reports = config.stash.get(VALIDATION_REPORTS, [])
    if not reports:
        return
    from emr_dags_devkit.emulator.client import validation_summary

    terminalreporter.section("emulator request validation (AWS model constraints)")
    for label, stats in reports:
        if "error" in stats:
            terminalreporter.write_line(f"{label}: counts unavailable ({stats['error']})")
            continue
        terminalreporter.write_line(f"{label}: {validation_summary(stats)}")
        for item in stats.get("last_violations", [])[-5:]:
            terminalreporter.write_line(f"    {item['service']} {item['action']}: {item['message'][:300]}")
