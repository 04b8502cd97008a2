"""Fault injection: throttling, server errors and added latency, per service and operation.

Seeded, so a chaos run can be replayed. Format (``POST /emr-dags/faults`` or ``--faults FILE``)::

    {"seed": 7,
     "rules": [{"service": "emr", "action": "Describe*",   # globs; "*" by default
                "throttle": 0.2,        # probability of ThrottlingException (HTTP 400)
                "error_5xx": 0.05,      # probability of HTTP 500/503
                "latency_ms": 150,      # added latency ...
                "latency_probability": 1.0}]}   # ... with this probability
"""

from __future__ import annotations

import fnmatch
import json
import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

_KEYS = {"service", "action", "throttle", "error_5xx", "latency_ms", "latency_probability"}


@dataclass(frozen=True, kw_only=True, slots=True)
class FaultRule:
    service: str = "*"
    action: str = "*"
    throttle: float = 0.0
    error_5xx: float = 0.0
    latency_ms: float = 0.0
    latency_probability: float = 1.0

    def __post_init__(self) -> None:
        for name in ("throttle", "error_5xx", "latency_probability"):
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"FaultRule.{name}: {value!r} is not a probability in [0, 1]")
        if float(self.latency_ms) < 0:
            raise ValueError(f"FaultRule.latency_ms: {self.latency_ms!r} is negative")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        if not isinstance(data, dict):
            raise ValueError("fault rule: expected a mapping")
        unknown = set(data) - _KEYS
        if unknown:
            raise ValueError(f"fault rule: unknown keys {sorted(unknown)}; expected some of {sorted(_KEYS)}")
        return cls(
            service=str(data.get("service", "*")),
            action=str(data.get("action", "*")),
            throttle=float(data.get("throttle", 0.0)),
            error_5xx=float(data.get("error_5xx", 0.0)),
            latency_ms=float(data.get("latency_ms", 0.0)),
            latency_probability=float(data.get("latency_probability", 1.0)),
        )

    def applies(self, service: str, action: str) -> bool:
        return fnmatch.fnmatchcase(service, self.service) and fnmatch.fnmatchcase(action, self.action)


@dataclass(frozen=True, slots=True)
class FaultDecision:
    latency_s: float = 0.0
    error: str | None = None  # "throttle" | "5xx"


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._seed: int | None = None
        self._random = random.Random()
        self.injected = {"throttle": 0, "5xx": 0, "latency": 0}

    def configure(self, data: dict[str, Any] | list[Any] | None) -> None:
        if data is None:
            data = {}
        if isinstance(data, list):
            data = {"rules": data}
        if not isinstance(data, dict):
            raise ValueError("faults: expected {'seed': N, 'rules': [...]}")
        rules = [FaultRule.from_dict(r) for r in (data.get("rules") or [])]
        seed = data.get("seed")
        with self._lock:
            self._rules = rules
            self._seed = None if seed is None else int(seed)
            self._random = random.Random(self._seed)
            self.injected = {"throttle": 0, "5xx": 0, "latency": 0}

    def clear(self) -> None:
        self.configure({})

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "seed": self._seed,
                "rules": [asdict(r) for r in self._rules],
                "injected": dict(self.injected),
            }

    def decide(self, service: str, action: str) -> FaultDecision:
        with self._lock:
            latency = 0.0
            for rule in self._rules:
                if not rule.applies(service, action):
                    continue
                if rule.latency_ms and self._random.random() < rule.latency_probability:
                    latency += rule.latency_ms / 1000.0
                    self.injected["latency"] += 1
                if rule.throttle and self._random.random() < rule.throttle:
                    self.injected["throttle"] += 1
                    return FaultDecision(latency, "throttle")
                if rule.error_5xx and self._random.random() < rule.error_5xx:
                    self.injected["5xx"] += 1
                    return FaultDecision(latency, "5xx")
            return FaultDecision(latency, None)


def error_response(protocol: str, kind: str, service: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """An error shaped the way AWS sends it for this wire protocol."""
    if kind == "throttle":
        status, code, message = 400, "ThrottlingException", "Rate exceeded"
        if protocol == "query":
            code = "Throttling"
        if service == "s3":
            status, code, message = 503, "SlowDown", "Please reduce your request rate."
    else:
        status, code, message = (
            500,
            "InternalServerError",
            "Internal server error (injected by emr-dags emulator)",
        )
        if service == "s3":
            status, code = 503, "ServiceUnavailable"
    request_id = f"{random.getrandbits(64):016x}-emr-dags"
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message}).encode()
        content_type = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
        headers = [
            ("Content-Type", content_type),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", request_id),
        ]
        return status, headers, body
    if protocol == "rest-xml":
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message>'
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
        return status, [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)], body
    kind_xml = "Sender" if status < 500 else "Receiver"
    body = (
        f"<ErrorResponse><Error><Type>{kind_xml}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
    return status, [("Content-Type", "text/xml")], body
