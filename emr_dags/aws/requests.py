"""Turn a spec (or a plain request dict) into an AWS request and check it against botocore's model.

Operators call :func:`render` in ``__init__`` (pure, no I/O) so Airflow can template the resulting
dict. The ``emr_dags.aws`` APIs call :func:`validate` on the *final* request (after the key marker,
ownership tags and client token are in), right before every create/start/add call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emr_dags.errors import EmrConfigError


def render(spec: Any, method: str, *args: Any, owner: str = "request") -> dict[str, Any]:
    """``spec.<method>(*args)`` for a spec object; a copy of ``spec`` for a mapping."""
    if isinstance(spec, Mapping):
        return dict(spec)
    fn = getattr(spec, method, None)
    if fn is None:
        raise EmrConfigError(
            f"{owner}: {type(spec).__name__!s} has no {method}(); pass an emr_dags.specs object or a request dict",
            field=owner,
        )
    return dict(fn(*args))


def validate(service: str, operation: str, params: Mapping[str, Any]) -> None:
    """Raise :class:`EmrConfigError` when ``params`` does not fit ``service.operation``'s input shape
    (botocore's model: types, required members, lengths, enums, patterns)."""
    from emr_dags.specs.validation import validate_request

    validate_request(service, operation, dict(params))
