"""AWS-shaped error replies the emulator sends itself (moto's own errors pass through untouched)."""

from __future__ import annotations

import json
from typing import Any

Reply = tuple[int, list[tuple[str, str]], bytes]


class AwsError(Exception):
    """Raised by an emulator hook; becomes an error reply in the request's wire protocol."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def json_reply(protocol: str, payload: dict[str, Any], status: int = 200) -> Reply:
    content_type = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
    return status, [("Content-Type", content_type)], json.dumps(payload, default=_default).encode()


def error_reply(protocol: str, error: AwsError) -> Reply:
    body = {"__type": error.code, "message": error.message}
    if protocol == "json":
        body["Message"] = error.message
    status, headers, data = json_reply(protocol, body, error.status)
    headers.append(("x-amzn-ErrorType", error.code))
    return status, headers, data


def _default(value: Any) -> Any:
    from datetime import datetime

    if isinstance(value, datetime):
        from datetime import UTC

        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
