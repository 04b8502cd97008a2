"""Check request bodies against botocore's service model before moto sees them.

AWS rejects a malformed request with a 400 ValidationException; moto would often raise a KeyError
or TypeError instead. Validating with botocore's own ParamValidator gives AWS-like 400s for missing
or mistyped parameters.
"""

from __future__ import annotations

import threading
from typing import Any

from emr_dags_devkit.emulator.errors import AwsError

_lock = threading.Lock()
_models: dict[str, Any] = {}


def _model(service: str) -> Any:
    with _lock:
        if service not in _models:
            import botocore.session

            _models[service] = botocore.session.get_session().get_service_model(service)
        return _models[service]


def validate(service: str, action: str, body: Any, *, rest: bool) -> None:
    """Raise AwsError(ValidationException) when ``body`` does not fit the operation's input shape."""
    from botocore.validate import ParamValidator

    model = _model(service)
    if action not in model.operation_names:
        if rest:
            return  # an unmapped REST path: let moto answer (404 / its own error)
        raise AwsError("UnknownOperationException", f"Unknown operation {action}")
    shape = model.operation_model(action).input_shape
    if shape is None:
        return
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise AwsError("SerializationException", "Request body must be a JSON object")
    params = _with_non_body_members(shape, dict(body)) if rest else dict(body)
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        text = report.generate_report().replace("\n", " ").strip()
        raise AwsError("ValidationException", text[:1000])


def _with_non_body_members(shape: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Fill in path/query/header members and idempotency tokens, which are not in a REST body."""
    for name, member in shape.members.items():
        if name in params:
            continue
        if member.metadata.get("idempotencyToken"):
            params[name] = "token"  # SDKs fill it in; a raw request without one is still accepted
        elif member.serialization.get("location"):
            if member.type_name == "string":
                params[name] = "x" * max(1, int(member.metadata.get("min", 1)))
            elif member.type_name in ("integer", "long"):
                params[name] = max(1, int(member.metadata.get("min", 1)))
    return params
