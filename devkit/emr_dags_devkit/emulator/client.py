"""HTTP client for the emulator's admin routes (standard library only: no boto3 import).

Every admin route but ``GET /emr-dags/health`` needs the emulator's admin token (a browser page can
reach a loopback port, so an open admin API would let any web page script the emulator). The token
is generated when the emulator starts and written to its token file (mode 0600); the client finds it
in this order: ``token=``, ``$EMR_DAGS_EMULATOR_TOKEN``, the file ``$EMR_DAGS_EMULATOR_TOKEN_FILE``,
``$EMR_DAGS_STATE_DIR/emulator_token``, then ``emulator_token`` in the project's default state folder
(``<repo>/.state``, where ``emr-dags up`` and ``docker compose up`` put it).
"""

from __future__ import annotations

import json
import os
import secrets
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

TOKEN_ENV = "EMR_DAGS_EMULATOR_TOKEN"
TOKEN_FILE_ENV = "EMR_DAGS_EMULATOR_TOKEN_FILE"
TOKEN_FILE_NAME = "emulator_token"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def write_token_file(path: str | Path, token: str) -> Path:
    """Write ``token`` to ``path``, readable by this user only (0600, also when the file existed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(token)
    return path


def read_token_file(path: str | Path) -> str | None:
    try:
        return Path(path).read_text().strip() or None
    except OSError:
        return None


def default_token_file() -> Path:
    """Where the emulator writes its token when told nothing else."""
    if os.environ.get(TOKEN_FILE_ENV):
        return Path(os.environ[TOKEN_FILE_ENV])
    if os.environ.get("EMR_DAGS_STATE_DIR"):
        return Path(os.environ["EMR_DAGS_STATE_DIR"]) / TOKEN_FILE_NAME
    try:
        from emr_dags_devkit.layout import project

        return project().default_state_dir / TOKEN_FILE_NAME
    except FileNotFoundError:
        return Path.cwd() / ".state" / TOKEN_FILE_NAME


def find_token() -> str | None:
    return os.environ.get(TOKEN_ENV) or read_token_file(default_token_file())


class EmulatorAdminError(RuntimeError):
    """An admin request failed; carries the HTTP status and the emulator's error text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"emulator admin request failed ({status}): {message}")
        self.status = status


class EmulatorAdmin:
    def __init__(self, endpoint_url: str, *, token: str | None = None, timeout: float = 10.0) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.timeout = timeout
        self.token = token or find_token()

    def _request(self, method: str, route: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            f"{self.endpoint_url}/emr-dags/{route}", data=data, method=method, headers=headers
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

    # request validation (AWS's model constraints)
    def validation(self) -> dict[str, Any]:
        """``{"validated": N, "violations": M, "skipped_patterns": K, "last_violations": [...], ...}``"""
        return self._request("GET", "validation")

    def set_strict(self, strict: bool) -> dict[str, Any]:
        return self._request("POST", "validation", {"strict": strict})

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


def validation_summary(stats: dict[str, Any]) -> str:
    """One line for the end of a test session: ``N validated requests, M violations, ...``."""
    line = f"{stats.get('validated', 0)} validated requests, {stats.get('violations', 0)} violations"
    if "provoked_violations" in stats:
        provoked = stats["provoked_violations"]
        line += f" ({provoked} provoked on purpose by validation tests, {stats['violations'] - provoked} unexpected)"
    if stats.get("skipped_patterns"):
        line += f", {stats['skipped_patterns']} model patterns not compilable (not checked)"
    if stats.get("unvalidated"):
        line += f", {stats['unvalidated']} requests not validated ({stats.get('unvalidated_actions') or stats.get('unvalidated_by_service')})"
    if not stats.get("strict", True):
        line += " (lenient mode)"
    return line
