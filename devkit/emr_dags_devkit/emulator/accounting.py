"""Per-service, per-operation call counts (``GET /emr-dags/calls``)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class CallCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()
        self._errors: Counter[tuple[str, str]] = Counter()

    def record(self, service: str, action: str, *, status: int) -> None:
        with self._lock:
            self._counts[(service, action)] += 1
            if status >= 400:
                self._errors[(service, action)] += 1

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._errors.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            services: dict[str, dict[str, int]] = {}
            for (service, action), n in sorted(self._counts.items()):
                services.setdefault(service, {})[action] = n
            errors: dict[str, dict[str, int]] = {}
            for (service, action), n in sorted(self._errors.items()):
                errors.setdefault(service, {})[action] = n
            return {"total": sum(self._counts.values()), "services": services, "errors": errors}
