"""Why the Docker tier did not run, shared by its conftest (the report's last lines) and its tests."""

from __future__ import annotations

NOT_RUN: list[str] = []
