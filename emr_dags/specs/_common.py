"""Shared checks for every spec: one place that words errors the same way.

Every check raises :class:`~emr_dags.errors.EmrConfigError` with a message shaped
``Spec.field: <bad value> is <problem>; expected <allowed>. <fix>`` so an analyst reads the fix
in the DAG-parse error without opening the AWS docs.

Templated strings (containing ``{{`` or ``{%``) are accepted wherever the value is a string that
Airflow renders later; the rendered request is checked again by
:func:`emr_dags.specs.validation.validate_request`.
"""

from __future__ import annotations

import enum
import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from emr_dags.errors import EmrConfigError

E = TypeVar("E", bound=enum.Enum)

S3_URI = re.compile(r"^s3a?://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$")
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
# An EMR on EC2 / EMR Serverless release label: emr-7.5.0, emr-6.15.0.
RELEASE_LABEL = re.compile(r"^emr-\d+\.\d+\.\d+$")
IAM_ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/[\w+=,.@\-/]{1,512}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9\-]*\.[a-z0-9]+$")


def is_templated(value: object) -> bool:
    """True when ``value`` is a Jinja template that Airflow renders before the request is sent."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def fail(
    spec: str, field: str, value: object, problem: str, expected: str, fix: str = "", *, at: str = ""
) -> EmrConfigError:
    """Build the one error shape: spec, field, bad value, what is allowed and the fix.

    ``at`` locates the value inside the field (``"[2]"``, ``"['spark.x']"``) for the message;
    ``EmrConfigError.field`` stays the field name itself.
    """
    shown = _short(value)
    message = f"{spec}.{field}{at}: {shown} {problem}; expected {expected}"
    if fix:
        message = f"{message}. {fix}"
    return EmrConfigError(message, spec=spec, field=field)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else f"{text[:117]}..."


def spec_name(obj: object) -> str:
    return type(obj).__name__


def setattr_frozen(obj: object, field: str, value: object) -> None:
    """Normalise a field of a frozen dataclass inside ``__post_init__``."""
    object.__setattr__(obj, field, value)


def release_version(label: object) -> tuple[int, int, int] | None:
    """``'emr-7.5.0'`` -> ``(7, 5, 0)``; None for templates and anything unparsable."""
    if not isinstance(label, str) or is_templated(label):
        return None
    match = re.match(r"^emr-(\d+)\.(\d+)\.(\d+)", label)
    if match is None:
        return None
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


# --- scalar checks ---------------------------------------------------------------------------


def check_str(
    obj: object,
    field: str,
    value: object,
    *,
    max_len: int = 256,
    min_len: int = 1,
    pattern: re.Pattern[str] | None = None,
    expected: str = "a non-empty string",
    fix: str = "",
    optional: bool = False,
    problem: str = "is malformed",
    at: str = "",
) -> None:
    """A string field; templates pass the pattern check (they are checked again once rendered)."""
    spec = spec_name(obj)
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise fail(spec, field, value, f"is a {type(value).__name__}, not a string", expected, fix, at=at)
    if len(value) < min_len:
        raise fail(spec, field, value, "is empty", expected, fix, at=at)
    if len(value) > max_len:
        raise fail(spec, field, value, f"is {len(value)} characters long", f"at most {max_len}", fix, at=at)
    if pattern is not None and not is_templated(value) and not pattern.match(value):
        raise fail(spec, field, value, problem, expected, fix, at=at)


def check_int(
    obj: object,
    field: str,
    value: object,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    optional: bool = False,
    fix: str = "",
) -> None:
    """An integer field. ``bool`` is rejected: ``True`` is not a count."""
    spec = spec_name(obj)
    if value is None and optional:
        return
    bounds = _bounds(minimum, maximum)
    if not isinstance(value, int) or isinstance(value, bool):
        raise fail(
            spec, field, value, f"is a {type(value).__name__}, not an integer", f"an integer {bounds}", fix
        )
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise fail(spec, field, value, "is out of range", f"an integer {bounds}", fix)


def _bounds(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"from {minimum} to {maximum}"
    if minimum is not None:
        return f">= {minimum}"
    if maximum is not None:
        return f"<= {maximum}"
    return ""


def check_bool(obj: object, field: str, value: object) -> None:
    if not isinstance(value, bool):
        raise fail(spec_name(obj), field, value, f"is a {type(value).__name__}", "True or False")


def check_s3_uri(obj: object, field: str, value: object, *, optional: bool = False, fix: str = "") -> None:
    check_str(
        obj,
        field,
        value,
        max_len=10280,
        pattern=S3_URI,
        expected="an S3 URI like 's3://my-bucket/path/'",
        problem="is not an S3 URI",
        fix=fix,
        optional=optional,
    )


def check_role_arn(obj: object, field: str, value: object, *, optional: bool = False) -> None:
    check_str(
        obj,
        field,
        value,
        max_len=2048,
        pattern=IAM_ROLE_ARN,
        expected="an IAM role ARN like 'arn:aws:iam::123456789012:role/my-job-role'",
        problem="is not an IAM role ARN",
        optional=optional,
    )


def coerce_enum(obj: object, field: str, value: object, enum_cls: type[E], *, optional: bool = False) -> None:
    """Accept an Enum member or its value (case-insensitive) and store the member."""
    if value is None and optional:
        return
    member = to_enum(spec_name(obj), field, value, enum_cls)
    setattr_frozen(obj, field, member)


def to_enum(spec: str, field: str, value: object, enum_cls: type[E]) -> E:
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, str):
        folded = value.strip().casefold()
        for member in enum_cls:
            if str(member.value).casefold() == folded or member.name.casefold() == folded:
                return member
    allowed = ", ".join(repr(m.value) for m in enum_cls)
    raise fail(spec, field, value, f"is not a known {enum_cls.__name__} value", f"one of {allowed}")


_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


def suggest_argv(command_line: str) -> str:
    """How a shell would have split ``command_line``, keeping ``{{ ... }}`` templates whole."""
    templates: list[str] = []

    def hide(match: re.Match[str]) -> str:
        templates.append(match.group(0))
        return f"\x00{len(templates) - 1}\x00"

    try:
        parts = shlex.split(_TEMPLATE.sub(hide, command_line))
    except ValueError:
        return "['--flag', 'value', ...]"
    restored = [re.sub(r"\x00(\d+)\x00", lambda m: templates[int(m.group(1))], p) for p in parts]
    return repr(restored)


# --- collections -----------------------------------------------------------------------------


def coerce_tuple(obj: object, field: str, value: object, *, expected: str) -> tuple[Any, ...]:
    """A list-like field stored as a tuple. A bare string is rejected, never split.

    Splitting ``"--date {{ ds }}"`` on spaces would be shell parsing by another name; the analyst
    writes the list and every element reaches the program as one argv entry.
    """
    spec = spec_name(obj)
    if isinstance(value, str):
        if any(ch.isspace() for ch in value):
            suggestion = suggest_argv(value)
            raise fail(
                spec,
                field,
                value,
                "is one string with spaces, not a list",
                expected,
                f"Pass a list, one element per argument, e.g. {field}={suggestion}; "
                "arguments are never split by a shell",
            )
        raise fail(
            spec, field, value, "is a string, not a list", expected, f"Wrap it in a list: {field}=[{value!r}]"
        )
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise fail(spec, field, value, f"is a {type(value).__name__}, not a list", expected)
    items = tuple(value)
    setattr_frozen(obj, field, items)
    return items


def coerce_args(obj: object, field: str, value: object) -> tuple[str, ...]:
    """Program arguments: a list of strings; numbers are turned into strings, anything else fails."""
    items = coerce_tuple(obj, field, value, expected="a list of strings, one per argument")
    out: list[str] = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, int | float) and not isinstance(item, bool):
            out.append(str(item))
        else:
            raise fail(
                spec_name(obj),
                field,
                item,
                f"is a {type(item).__name__}",
                "a string (or a number, turned into a string)",
                at=f"[{i}]",
            )
    result = tuple(out)
    setattr_frozen(obj, field, result)
    return result


def coerce_str_list(
    obj: object,
    field: str,
    value: object,
    *,
    pattern: re.Pattern[str] | None = None,
    expected: str = "a list of strings",
    max_items: int | None = None,
    problem: str = "is malformed",
) -> tuple[str, ...]:
    items = coerce_tuple(obj, field, value, expected=expected)
    if max_items is not None and len(items) > max_items:
        raise fail(spec_name(obj), field, items, f"has {len(items)} items", f"at most {max_items}")
    for i, item in enumerate(items):
        check_str(
            obj, field, item, max_len=10280, pattern=pattern, expected=expected, problem=problem, at=f"[{i}]"
        )
    return items


def conf_value(value: object) -> str | None:
    """A configuration property value as EMR wants it (always a string), or None if unsupported."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def coerce_str_mapping(
    obj: object,
    field: str,
    value: object,
    *,
    key_pattern: re.Pattern[str] | None = None,
    key_expected: str = "a non-empty string key",
    max_key_len: int = 10280,
    max_value_len: int = 10280,
) -> dict[str, str]:
    """A ``{str: str}`` field; bool/int/float values become strings (``True`` -> ``"true"``)."""
    spec = spec_name(obj)
    if not isinstance(value, Mapping):
        raise fail(spec, field, value, f"is a {type(value).__name__}, not a mapping", "a dict of str -> str")
    out: dict[str, str] = {}
    for key, raw in value.items():
        if not isinstance(key, str) or not key or len(key) > max_key_len:
            raise fail(spec, field, key, "is not a valid key", key_expected)
        if key_pattern is not None and not is_templated(key) and not key_pattern.match(key):
            raise fail(spec, field, key, "is not a valid key", key_expected)
        text = conf_value(raw)
        if text is None:
            raise fail(
                spec, field, raw, f"is a {type(raw).__name__}", "a string, number or bool", at=f"[{key!r}]"
            )
        if len(text) > max_value_len:
            raise fail(
                spec,
                field,
                text,
                f"is {len(text)} characters long",
                f"at most {max_value_len}",
                at=f"[{key!r}]",
            )
        out[key] = text
    setattr_frozen(obj, field, out)
    return out


def coerce_tags(obj: object, field: str, value: object) -> dict[str, str]:
    """AWS tags: keys 1-128 characters, values up to 256, not starting with ``aws:`` or ``emr-dags:``."""
    tags = coerce_str_mapping(
        obj,
        field,
        value,
        key_expected="a tag key of 1-128 characters not starting with 'aws:'",
        max_key_len=128,
        max_value_len=256,
    )
    for key in tags:
        if key.lower().startswith("aws:"):
            raise fail(spec_name(obj), field, key, "uses the reserved 'aws:' prefix", "a tag key of your own")
    from emr_dags.tags import reject_reserved

    reject_reserved(tags, spec_name(obj), field)
    return tags


def coerce_extra(obj: object, field: str, value: object) -> dict[str, Any]:
    spec = spec_name(obj)
    if not isinstance(value, Mapping):
        raise fail(
            spec,
            field,
            value,
            f"is a {type(value).__name__}, not a mapping",
            "a dict merged into the request",
        )
    for key in value:
        if not isinstance(key, str) or not key:
            raise fail(
                spec, field, key, "is not a request parameter name", "string keys like 'StepExecutionRoleArn'"
            )
    result = dict(value)
    setattr_frozen(obj, field, result)
    return result


def check_instances(obj: object, field: str, items: tuple[Any, ...], cls: type, *, expected: str) -> None:
    for i, item in enumerate(items):
        if not isinstance(item, cls):
            raise fail(spec_name(obj), field, item, f"is a {type(item).__name__}", expected, at=f"[{i}]")


def deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``extra`` into a copy of ``base``: dicts merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = _plain(value)
    return merged


def _plain(value: Any) -> Any:
    """Mappings and tuples to dicts and lists, so the request is JSON-like."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def drop_none(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None}
