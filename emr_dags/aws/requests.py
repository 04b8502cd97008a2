"""Turn a spec (or a plain request dict) into an AWS request and check it against botocore's model.

Operators call :func:`render` in ``__init__`` (pure, no I/O) so Airflow can template the resulting
dict, and :func:`validate` in ``execute`` after rendering, before any AWS call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    """Raise :class:`EmrConfigError` when ``params`` does not fit ``service.operation``'s input shape."""
    validate_request: Callable[..., None]
    try:
        from emr_dags.specs.validation import validate_request
    except ImportError:  # the specs package ships it; keep a local fallback so operators never skip the check
        validate_request = _validate_with_botocore
    validate_request(service, operation, dict(params))


def _validate_with_botocore(service: str, operation: str, params: dict[str, Any]) -> None:
    import botocore.session
    from botocore.validate import ParamValidator

    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        raise EmrConfigError(f"{service}.{operation}: {report.generate_report()}", spec=operation)
