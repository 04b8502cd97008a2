"""Check request bodies against botocore's service model before moto sees them.

AWS rejects a malformed request with a 400 ValidationException; moto would often raise a KeyError
or TypeError instead. Validating with botocore's own ParamValidator gives AWS-like 400s for missing
or mistyped parameters.
"""

from __future__ import annotations

import threading
from typing import Any

from emr_dags.emulator.errors import AwsError

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
    params = dict(body)
    if rest:
        # Path/query/header members are not in the body; botocore would require them: fill them in.
        for name, member in shape.members.items():
            if member.serialization.get("location") and name not in params:
                params[name] = "x" if member.type_name == "string" else 0 if member.type_name in ("integer", "long") else params.get(name)
                if params[name] is None:
                    params.pop(name)
        # Idempotency tokens are filled in by SDKs; a raw request without one is still accepted.
        for name, member in shape.members.items():
            if member.metadata.get("idempotencyToken") and name not in params:
                params[name] = "token"
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        text = report.generate_report().replace("\n", " ").strip()
        raise AwsError("ValidationException", text[:1000])
