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
    if protocol in ("query", "ec2"):
        return _xml_error(protocol, error)
    body = {"__type": error.code, "message": error.message}
    if protocol == "json":
        body["Message"] = error.message
    status, headers, data = json_reply(protocol, body, error.status)
    headers.append(("x-amzn-ErrorType", error.code))
    return status, headers, data


def _xml_error(protocol: str, error: AwsError) -> Reply:
    from xml.sax.saxutils import escape

    code, text = escape(error.code), escape(error.message)
    if protocol == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{text}</Message></Error></Errors>"
            "<RequestID>emr-dags-emulator</RequestID></Response>"
        )
    else:
        kind = "Sender" if error.status < 500 else "Receiver"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{text}</Message></Error>"
            "<RequestId>emr-dags-emulator</RequestId></ErrorResponse>"
        )
    return error.status, [("Content-Type", "text/xml")], body.encode()


def _default(value: Any) -> Any:
    from datetime import datetime

    if isinstance(value, datetime):
        from datetime import UTC

        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
