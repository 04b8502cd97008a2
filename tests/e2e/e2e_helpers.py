"""Small helpers the e2e modules share (imported by module name, like tests/integration's helpers)."""

from __future__ import annotations

import time
from typing import Any

from emr_dags import tags


def wait_until(predicate: Any, timeout: float, what: str) -> Any:
    """Poll ``predicate`` every 2 s until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(2)


def owned(resources: list[dict[str, Any]], dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """The emulator resources tagged as created by this DAG run."""
    return [
        r for r in resources if r["tags"].get(tags.DAG_ID) == dag_id and r["tags"].get(tags.RUN_ID) == run_id
    ]
