"""Check a rendered request against botocore's own service model, before it is sent.

Specs validate their fields at construction; this checks the whole request (including
``extra`` and everything Airflow rendered into templates) the way botocore would, plus the
length limits, enums and patterns botocore's client-side validator leaves to the server. It is
run by tests for every builder and by operators after rendering, so a typo fails fast with
every problem listed instead of one ``ParamValidationError`` or a ``ValidationException`` later.

botocore is imported lazily (inside the functions) so that importing the specs stays cheap.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from emr_dags.errors import EmrConfigError

if TYPE_CHECKING:
    from botocore.model import ListShape, MapShape, OperationModel, Shape, StringShape, StructureShape

SERVICES = ("emr", "emr-serverless", "emr-containers")
_IDEMPOTENCY_PLACEHOLDER = "emr-dags-validation-token"


@functools.cache
def _operation_model(service: str, operation: str) -> OperationModel:
    model = _service_model(service)
    try:
        return cast("OperationModel", model.operation_model(operation))
    except Exception:  # botocore raises OperationNotFoundError
        ops = ", ".join(sorted(model.operation_names))
        raise EmrConfigError(
            f"validate_request.operation: {operation!r} is not an operation of {service!r}; expected one of {ops}",
            spec="validate_request",
            field="operation",
        ) from None


@functools.cache
def _service_model(service: str) -> Any:
    if service not in SERVICES:
        raise EmrConfigError(
            f"validate_request.service: {service!r} is not an EMR service; expected one of {', '.join(SERVICES)}",
            spec="validate_request",
            field="service",
        )
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def validate_request(
    service: str, operation: str, params: Mapping[str, Any], *, reject_unrendered: bool = True
) -> None:
    """Raise :class:`EmrConfigError` listing every problem in ``params`` for ``service.operation``.

    ``service`` is ``'emr'``, ``'emr-serverless'`` or ``'emr-containers'``; ``operation`` the API
    name (``'RunJobFlow'``, ``'AddJobFlowSteps'``, ``'StartJobRun'``, ...). Idempotency tokens
    (``clientToken``) may be missing: the caller adds them. With ``reject_unrendered`` (default)
    a string still containing ``{{`` is reported, because after rendering that means a template
    was never rendered.
    """
    from botocore.validate import ParamValidator

    op = _operation_model(service, operation)
    shape = op.input_shape
    if shape is None:  # every operation validated here takes input; a model without one is a bug
        raise EmrConfigError(
            f"validate_request: {service} {operation} has no input shape", spec="validate_request"
        )
    checked = _with_idempotency_placeholders(params, shape)
    problems: list[str] = []
    report = ParamValidator().validate(checked, shape)
    if report.has_errors():
        problems += report.generate_report().splitlines()
    _check_constraints(checked, shape, "", problems)
    _check_semantics(service, operation, params, problems)
    if reject_unrendered:
        _check_rendered(params, "", problems)
    if problems:
        seen: list[str] = []
        for p in problems:
            if p not in seen:
                seen.append(p)
        listing = "\n  - ".join(seen)
        raise EmrConfigError(
            f"{service}.{operation}: the request has {len(seen)} problem(s):\n  - {listing}",
            spec=f"{service}.{operation}",
            field=_first_field(seen),
        )


def _semantic_rules() -> dict[tuple[str, str], tuple[tuple[str, re.Pattern[str], str], ...]]:
    from emr_dags.specs._common import IAM_ROLE_ARN, RELEASE_LABEL, S3_URI
    from emr_dags.specs.eks import EKS_RELEASE_LABEL

    role = ("executionRoleArn", IAM_ROLE_ARN, "an IAM role ARN like 'arn:aws:iam::123456789012:role/x'")
    return {
        ("emr", "RunJobFlow"): (
            ("ReleaseLabel", RELEASE_LABEL, "a release label like 'emr-7.5.0'"),
            ("LogUri", S3_URI, "an S3 URI like 's3://bucket/logs/'"),
        ),
        ("emr-serverless", "CreateApplication"): (
            ("releaseLabel", RELEASE_LABEL, "a release label like 'emr-7.5.0'"),
        ),
        ("emr-serverless", "StartJobRun"): (role,),
        ("emr-containers", "StartJobRun"): (
            ("releaseLabel", EKS_RELEASE_LABEL, "an EMR on EKS release label like 'emr-7.5.0-latest'"),
            role,
        ),
    }


def _check_semantics(service: str, operation: str, params: Mapping[str, Any], problems: list[str]) -> None:
    """The spec checks that matter most for templated fields, re-run on the rendered request."""
    if not isinstance(params, Mapping):
        return
    for key, pattern, expected in _semantic_rules().get((service, operation), ()):
        value = params.get(key)
        if isinstance(value, str) and "{{" not in value and not pattern.fullmatch(value):
            problems.append(f"Invalid value for parameter {key}, value: {value!r}, expected {expected}")


def _first_field(problems: list[str]) -> str | None:
    for p in problems:
        match = re.search(r"(?:parameter in |parameter )([A-Za-z0-9_.\[\]]+)", p)
        if match:
            return match.group(1)
    return None


def _with_idempotency_placeholders(params: Mapping[str, Any], shape: StructureShape) -> dict[str, Any]:
    checked = copy.deepcopy(dict(params)) if isinstance(params, Mapping) else params
    if isinstance(checked, dict):
        for name, member in shape.members.items():
            if member.metadata.get("idempotencyToken") and name not in checked:
                checked[name] = _IDEMPOTENCY_PLACEHOLDER
    return checked


def _check_constraints(value: Any, shape: Shape, path: str, problems: list[str]) -> None:
    """Max lengths, max values, enums and patterns: what botocore's validator does not check."""
    where = path or "input"
    type_name = shape.type_name
    if type_name == "structure" and isinstance(value, Mapping):
        for key, item in value.items():
            member = cast("StructureShape", shape).members.get(key)
            if member is not None:
                _check_constraints(item, member, f"{path}.{key}" if path else key, problems)
    elif type_name == "list" and isinstance(value, list | tuple):
        _check_list(value, cast("ListShape", shape), where, problems)
    elif type_name == "map" and isinstance(value, Mapping):
        map_shape = cast("MapShape", shape)
        for key, item in value.items():
            _check_constraints(key, map_shape.key, f"{where}.<key {key!r}>", problems)
            _check_constraints(item, map_shape.value, f"{where}[{key!r}]", problems)
    elif type_name == "string" and isinstance(value, str):
        _check_string(value, cast("StringShape", shape), where, problems)
    elif type_name in ("integer", "long", "double", "float") and isinstance(value, int | float):
        limit = shape.metadata.get("max")
        if limit is not None and not isinstance(value, bool) and value > limit:
            problems.append(f"Invalid value for parameter {where}, value: {value}, valid max value: {limit}")


def _check_list(
    value: list[Any] | tuple[Any, ...], shape: ListShape, where: str, problems: list[str]
) -> None:
    limit = shape.metadata.get("max")
    if limit is not None and len(value) > limit:
        problems.append(f"Too many items for parameter {where}: {len(value)}, valid max items: {limit}")
    for i, item in enumerate(value):
        _check_constraints(item, shape.member, f"{where}[{i}]", problems)


def _check_string(value: str, shape: StringShape, where: str, problems: list[str]) -> None:
    shown = value if len(value) <= 80 else f"{value[:77]}..."
    limit = shape.metadata.get("max")
    if limit is not None and len(value) > limit:
        problems.append(f"Invalid length for parameter {where}, value: {shown!r}, valid max length: {limit}")
    enum_values = shape.enum
    if enum_values and value not in enum_values and "{{" not in value:
        problems.append(
            f"Invalid value for parameter {where}, value: {shown!r}, valid values: {', '.join(enum_values)}"
        )
    pattern = _pattern(shape.metadata.get("pattern"))
    if pattern is not None and "{{" not in value and not pattern.fullmatch(value):
        problems.append(
            f"Invalid value for parameter {where}, value: {shown!r}, must match {pattern.pattern!r}"
        )


@functools.cache
def _pattern(raw: str | None) -> re.Pattern[str] | None:
    # Smithy patterns are Java regexes; those using surrogate ranges or Java-only syntax are skipped.
    if not raw or "\\u" in raw or "\\p" in raw:
        return None
    try:
        return re.compile(raw, re.DOTALL)
    except re.error:
        return None


def _check_rendered(value: Any, path: str, problems: list[str]) -> None:
    if isinstance(value, str):
        if "{{" in value or "{%" in value:
            shown = value if len(value) <= 80 else f"{value[:77]}..."
            problems.append(
                f"Unrendered template in parameter {path or 'input'}: {shown!r} "
                "(make the field a template field of the operator, or render it before sending)"
            )
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_rendered(item, f"{path}.{key}" if path else str(key), problems)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_rendered(item, f"{path}[{i}]", problems)
