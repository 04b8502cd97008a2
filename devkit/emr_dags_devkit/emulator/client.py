"""HTTP client for the emulator's admin routes (standard library only: no boto3 import)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class EmulatorAdminError(RuntimeError):
    """An admin request failed; carries the HTTP status and the emulator's error text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"emulator admin request failed ({status}): {message}")
        self.status = status


class EmulatorAdmin:
    def __init__(self, endpoint_url: str, *, timeout: float = 10.0) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.timeout = timeout

    def _request(self, method: str, route: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.endpoint_url}/emr-dags/{route}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise EmulatorAdminError(exc.code, exc.read().decode("utf-8", "replace")) from None

    # health and accounting
    def health(self) -> dict[str, Any]:
        return self._request("GET", "health")

    def calls(self) -> dict[str, Any]:
        return self._request("GET", "calls")

    def reset_calls(self) -> None:
        self._request("POST", "calls/reset")

    def call_count(self, service: str, action: str) -> int:
        return int(self.calls()["services"].get(service, {}).get(action, 0))

    # scripted outcomes
    def rules(self) -> list[dict[str, Any]]:
        return self._request("GET", "rules")["rules"]

    def set_rules(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._request("PUT", "rules", {"rules": rules})["rules"]

    def add_rule(self, rule: dict[str, Any] | None = None, **fields: Any) -> list[dict[str, Any]]:
        return self._request("POST", "rules", rule if rule is not None else fields)["rules"]

    def clear_rules(self) -> None:
        self._request("DELETE", "rules")

    # faults, time, state
    def set_faults(
        self, rules: list[dict[str, Any]] | None = None, *, seed: int | None = None
    ) -> dict[str, Any]:
        return self._request("PUT", "faults", {"seed": seed, "rules": rules or []})

    def faults(self) -> dict[str, Any]:
        return self._request("GET", "faults")

    def clear_faults(self) -> None:
        self._request("DELETE", "faults")

    def set_time_scale(self, seconds_per_minute: float) -> dict[str, Any]:
        return self._request("POST", "time", {"time_scale": seconds_per_minute})

    def advance(self, minutes: float) -> dict[str, Any]:
        """Jump simulated time forward (tests use this instead of sleeping)."""
        return self._request("POST", "time", {"advance_minutes": minutes})

    def set_timings(self, **minutes: float) -> dict[str, float]:
        return self._request("POST", "timings", minutes)

    def state(self) -> dict[str, Any]:
        return self._request("GET", "state")

    def reset(self) -> None:
        """Forget every resource, call count, rule and fault."""
        self._request("POST", "reset")
