"""Where the conftests keep each emulator's request-validation counts for the session summary."""

from __future__ import annotations

from typing import Any

import pytest

# (label, GET /emr-dags/validation) per emulator started in this session.
VALIDATION_REPORTS = pytest.StashKey[list[tuple[str, dict[str, Any]]]]()
# Violations sent on purpose by tests of the validation itself (counted per test, see the
# integration conftest), so that the summary can say how many were unexpected.
PROVOKED_VIOLATIONS = pytest.StashKey[int]()
