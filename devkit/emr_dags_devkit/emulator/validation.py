"""Check every request against botocore's service model, the way AWS's front end does.

AWS rejects a request that breaks its model's constraints with a 400 before any service logic runs:
``1 validation error detected: Value 'x y' at 'name' failed to satisfy constraint: Member must satisfy
regular expression pattern: [\\.\\-_/#A-Za-z0-9]+``. moto checks few of these, so the emulator used to
accept requests AWS refuses (an EMR on EKS job name with spaces and brackets, for one). Here every
request of every service the emulator can read (JSON, REST-JSON and query protocols: EMR, EMR
Serverless, EMR on EKS, CloudWatch Logs, STS, IAM, EC2) is rebuilt into its operation's input
parameters (body, URI labels, query string) and checked for types (botocore's ParamValidator) and
for the model's constraints, recursively through structures, lists and maps:

* ``required`` members, ``pattern`` (full match), ``min``/``max`` lengths of strings, blobs, lists and
  maps, ``min``/``max`` values of numbers, ``enum`` values.

Model patterns are Java regular expressions. They are translated (``\\w``, ``\\d``, ``\\s`` are ASCII in
Java; UTF-16 surrogate ranges mean "any supplementary character") and compiled with the ``regex``
module, which knows ``\\p{L}`` and possessive quantifiers. A pattern that still cannot be compiled is
not checked, and counted in ``skipped_patterns`` (reported by ``GET /emr-dags/validation``), never
silently passed. S3 (REST-XML, streamed bodies) is not validated; its requests are counted as
``unvalidated``.

Strict mode (the default) answers violations with AWS's error; lenient mode (``--lenient``) only
counts them, for diagnosing.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Any
from urllib.parse import parse_qs, unquote

from emr_dags_devkit.emulator.errors import AwsError

_lock = threading.Lock()
_models: dict[str, Any] = {}
_patterns: dict[str, Any] = {}  # model pattern -> compiled regex, or None when it cannot be compiled
_routes: dict[tuple[str, str], Any] = {}
VALIDATED_PROTOCOLS = ("json", "rest-json", "query", "ec2")
MAX_VALUE_CHARS = 200


def _model(service: str) -> Any:
    with _lock:
        if service not in _models:
            import botocore.session

            _models[service] = botocore.session.get_session().get_service_model(service)
        return _models[service]


# -- Java regular expressions ----------------------------------------------------------------------
_ASCII_CLASSES = {"w": "a-zA-Z0-9_", "d": "0-9", "s": " \\t\\n\\x0B\\f\\r"}
# UTF-16 surrogate pairs as Java sees them in a class: "every supplementary character".
_SURROGATE_RANGES = ("\\uD800\\uDC00-\\uDBFF\\uDFFF", "\\uD800\\uDBFF-\\uDC00\\uDFFF")


def java_to_python(pattern: str) -> str:
    """Translate a Java regex (botocore's models carry AWS's Java patterns) to the ``regex`` module's
    syntax: ASCII ``\\w \\d \\s`` (Java's default), surrogate-pair ranges as supplementary characters."""
    for surrogates in _SURROGATE_RANGES:
        pattern = pattern.replace(surrogates, "\\U00010000-\\U0010FFFF")
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in _ASCII_CLASSES:
                out.append(_ASCII_CLASSES[nxt] if in_class else f"[{_ASCII_CLASSES[nxt]}]")
            elif nxt in "WDS" and not in_class:
                out.append(f"[^{_ASCII_CLASSES[nxt.lower()]}]")
            else:
                out.append(char + nxt)
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            out.append(char)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # a literal ] first in a class
                out.append("\\]")
                i += 1
        elif char == "]" and in_class:
            in_class = False
            out.append(char)
        else:
            out.append(char)
        i += 1
    return "".join(out)


def compiled(pattern: str) -> Any:
    """The compiled pattern, or None (counted as skipped) when it cannot be compiled."""
    with _lock:
        if pattern not in _patterns:
            import regex

            try:
                _patterns[pattern] = regex.compile(java_to_python(pattern), flags=regex.V0)
            except (regex.error, ValueError, OverflowError):
                _patterns[pattern] = None
        return _patterns[pattern]


def skipped_patterns() -> list[str]:
    with _lock:
        return sorted(p for p, c in _patterns.items() if c is None)


# -- constraints -------------------------------------------------------------------------------------
def _show(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "..."


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


class _Walk:
    """Collect constraint violations of one request (AWS's wording)."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, value: Any, path: str, rule: str) -> None:
        shown = "null" if value is None else f"'{_show(value)}'"
        self.errors.append(f"Value {shown} at '{path}' failed to satisfy constraint: Member must {rule}")

    def check(self, shape: Any, value: Any, path: str) -> None:
        getattr(self, f"_{shape.type_name}", self._other)(shape, value, path)

    def _other(self, shape: Any, value: Any, path: str) -> None:
        """booleans, timestamps: nothing beyond botocore's type check."""

    def _structure(self, shape: Any, value: Any, path: str) -> None:
        if not isinstance(value, dict) or shape.metadata.get("document"):
            return
        for name in shape.required_members:
            member = shape.members[name]
            if value.get(name) is None and not member.metadata.get("idempotencyToken"):
                self.fail(None, self._join(path, name), "not be null")
        for name, item in value.items():
            member = shape.members.get(name)
            if member is not None and item is not None:
                self.check(member, item, self._join(path, name))

    def _list(self, shape: Any, value: Any, path: str) -> None:
        if not isinstance(value, list | tuple):
            return
        self._length(shape, value, path)
        for index, item in enumerate(value, start=1):
            self.check(shape.member, item, f"{path}.{index}.member")

    def _map(self, shape: Any, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            return
        self._length(shape, value, path)
        for key, item in value.items():
            self.check(shape.key, key, f"{path}.key")
            if item is not None:
                self.check(shape.value, item, f"{path}.{key}")

    def _string(self, shape: Any, value: Any, path: str) -> None:
        if not isinstance(value, str):
            return
        self._length(shape, value, path)
        if shape.enum and value not in shape.enum:
            self.fail(value, path, f"satisfy enum value set: [{', '.join(shape.enum)}]")
        pattern = shape.metadata.get("pattern")
        regex = compiled(pattern) if pattern else None
        if regex is not None and regex.fullmatch(value) is None:
            self.fail(value, path, f"satisfy regular expression pattern: {pattern}")

    def _blob(self, shape: Any, value: Any, path: str) -> None:
        if isinstance(value, bytes | str):
            self._length(shape, value, path)

    def _number(self, shape: Any, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return
        meta = shape.metadata
        if "min" in meta and value < meta["min"]:
            self.fail(value, path, f"have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            self.fail(value, path, f"have value less than or equal to {meta['max']}")

    _integer = _long = _float = _double = _number

    def _length(self, shape: Any, value: Any, path: str) -> None:
        meta = shape.metadata
        size = len(value)
        if "min" in meta and size < meta["min"]:
            self.fail(value, path, f"have length greater than or equal to {meta['min']}")
        if "max" in meta and size > meta["max"]:
            self.fail(value, path, f"have length less than or equal to {meta['max']}")

    @staticmethod
    def _join(path: str, name: str) -> str:
        return f"{path}.{_lower_first(name)}" if path else _lower_first(name)


_OURS = frozenset({"missing required field", "invalid range", "invalid length"})


def violations(shape: Any, params: dict[str, Any]) -> list[str]:
    """Every type and constraint violation of ``params`` against an operation's input ``shape``."""
    from botocore.validate import ParamValidator

    found: list[str] = []
    report = ParamValidator().validate(params, shape)
    # Types, unknown members and unions from botocore; required members, lengths and ranges below, in
    # AWS's wording (botocore checks only minimums).
    for error in getattr(report, "_errors", []):
        if error[0] not in _OURS:  # (reason, name, details)
            found.append(report._format_error(error))
    walk = _Walk()
    walk.check(shape, params, "")
    return found + walk.errors


def message(errors: list[str]) -> str:
    count = len(errors)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(errors)


# -- rebuilding the input parameters from the wire ------------------------------------------------------
def _rest_route(service: str, operation: Any) -> Any:
    key = (service, operation.name)
    with _lock:
        if key not in _routes:
            import re

            uri = operation.http.get("requestUri", "/").split("?")[0]
            parts = re.split(r"(\{[^}]+\})", uri)
            regex_parts = []
            for part in parts:
                if part.startswith("{"):
                    label = part[1:-1]
                    greedy = label.endswith("+")
                    label = label.rstrip("+")
                    safe = re.sub(r"\W", "_", label)
                    regex_parts.append(f"(?P<{safe}>.+)" if greedy else f"(?P<{safe}>[^/]+)")
                else:
                    regex_parts.append(re.escape(part))
            _routes[key] = re.compile("^" + "".join(regex_parts) + "/?$")
        return _routes[key]


def _scalar(shape: Any, text: str) -> Any:
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        return text  # ParamValidator reports the type
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.lower(), text)
    if kind == "blob":
        return text.encode()
    return text


def rest_params(
    service: str, operation: Any, body: Any, path: str, query: str, headers: dict[str, str]
) -> dict[str, Any]:
    """A REST-JSON request's input: the body plus its URI labels, query string and headers."""
    import re

    shape = operation.input_shape
    params: dict[str, Any] = dict(body) if isinstance(body, dict) else {}
    found = _rest_route(service, operation).match(path)
    labels = found.groupdict() if found else {}
    qs = parse_qs(query, keep_blank_values=True)
    for name, member in shape.members.items():
        where = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if where == "uri":
            raw = labels.get(re.sub(r"\W", "_", wire))
            if raw is not None:
                params[name] = _scalar(member, unquote(raw))
        elif where == "querystring" and wire in qs:
            values = qs[wire]
            if member.type_name == "list":
                params[name] = [_scalar(member.member, v) for v in values]
            elif member.type_name != "map":
                params[name] = _scalar(member, values[0])
        elif where == "header" and wire.lower() in headers and member.type_name != "map":
            params[name] = _scalar(member, headers[wire.lower()])
    return params


def query_params(shape: Any, flat: dict[str, list[str]], *, ec2: bool) -> dict[str, Any]:
    """A query-protocol request's input, rebuilt from its flattened form (``Tags.member.1.Key=...``)."""
    return _query_structure(shape, flat, "", ec2=ec2)


def _query_name(member: Any, name: str, *, ec2: bool) -> str:
    if ec2:
        wire = member.serialization.get("queryName") or member.serialization.get("name")
        return wire[:1].upper() + wire[1:] if wire else name
    return str(member.serialization.get("name", name))


def _query_structure(shape: Any, flat: dict[str, list[str]], prefix: str, *, ec2: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        key = prefix + _query_name(member, name, ec2=ec2)
        value = _query_value(member, flat, key, ec2=ec2)
        if value is not None:
            out[name] = value
    return out


def _query_value(shape: Any, flat: dict[str, list[str]], key: str, *, ec2: bool) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if not any(k.startswith(key + ".") for k in flat):
            return None
        return _query_structure(shape, flat, key + ".", ec2=ec2)
    if kind == "list":
        return _query_list(shape, flat, key, ec2=ec2)
    if kind == "map":
        return _query_map(shape, flat, key, ec2=ec2)
    if key not in flat:
        return None
    return _scalar(shape, flat[key][0])


def _query_list(shape: Any, flat: dict[str, list[str]], key: str, *, ec2: bool) -> list[Any] | None:
    if flat.get(key) == [""]:
        return []  # an empty list is sent as "Name="
    flattened = ec2 or shape.serialization.get("flattened")
    item = key if flattened else f"{key}.{shape.member.serialization.get('name', 'member')}"
    items = []
    for index in range(1, 10_001):
        value = _query_value(shape.member, flat, f"{item}.{index}", ec2=ec2)
        if value is None:
            break
        items.append(value)
    return items or None


def _query_map(shape: Any, flat: dict[str, list[str]], key: str, *, ec2: bool) -> dict[str, Any] | None:
    entry = key if shape.serialization.get("flattened") else f"{key}.entry"
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    out = {}
    for index in range(1, 10_001):
        k = flat.get(f"{entry}.{index}.{key_name}")
        if k is None:
            break
        out[k[0]] = _query_value(shape.value, flat, f"{entry}.{index}.{value_name}", ec2=ec2)
    return out or None


# -- the validator the app calls ----------------------------------------------------------------------
ERROR_CODES = {"query": "ValidationError", "ec2": "InvalidParameterValue"}
SERVICE_ERROR_CODES = {"logs": "InvalidParameterException"}


class RequestValidator:
    """Validates requests and keeps the counts a test session reports at its end."""

    def __init__(self, *, strict: bool = True, keep: int = 20) -> None:
        self.strict = strict
        self._lock = threading.Lock()
        self.validated: Counter[str] = Counter()
        self.violations: Counter[str] = Counter()
        self.unvalidated: Counter[str] = Counter()
        self.unvalidated_actions: Counter[str] = Counter()  # "s3 GetObject", "emr-serverless GET /x"
        self.last: deque[dict[str, str]] = deque(maxlen=keep)

    def reset(self) -> None:
        with self._lock:
            self.validated.clear()
            self.violations.clear()
            self.unvalidated.clear()
            self.unvalidated_actions.clear()
            self.last.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            skipped = skipped_patterns()
            return {
                "strict": self.strict,
                "validated": sum(self.validated.values()),
                "violations": sum(self.violations.values()),
                "unvalidated": sum(self.unvalidated.values()),
                "skipped_patterns": len(skipped),
                "skipped_pattern_list": skipped,
                "by_service": {
                    service: {
                        "validated": self.validated[service],
                        "violations": self.violations[service],
                    }
                    for service in sorted(self.validated)
                },
                "unvalidated_by_service": dict(sorted(self.unvalidated.items())),
                "unvalidated_actions": dict(self.unvalidated_actions.most_common(20)),
                "last_violations": list(self.last),
            }

    def check(
        self,
        service: str,
        action: str,
        protocol: str,
        *,
        body: Any = None,
        path: str = "/",
        query: str = "",
        form: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Raise ``AwsError`` (strict mode) when the request breaks its operation's model."""
        operation = self._operation(service, action, protocol)
        if operation is None or operation.input_shape is None:
            return
        model_protocol = operation.service_model.metadata.get("protocol")
        if protocol == "query" and model_protocol == "ec2":
            protocol = "ec2"
        params = _params(service, operation, protocol, body, path, query, form, headers or {})
        errors = violations(operation.input_shape, params)
        if not errors:
            return
        text = message(errors)
        with self._lock:
            self.violations[service] += 1
            self.last.append({"service": service, "action": action, "message": text[:2000]})
        if self.strict:
            code = SERVICE_ERROR_CODES.get(service) or ERROR_CODES.get(protocol, "ValidationException")
            raise AwsError(code, text[:4000])

    def _operation(self, service: str, action: str, protocol: str) -> Any:
        """The operation model to validate against, or None (counted as not validated)."""
        model = None
        if protocol in VALIDATED_PROTOCOLS:
            try:
                model = _model(service)
            except Exception:  # an unknown service name: nothing to validate against
                model = None
        if model is not None and action not in model.operation_names and protocol != "rest-json":
            raise AwsError("UnknownOperationException", f"Unknown operation {action}")
        with self._lock:
            if model is None or action not in model.operation_names:
                # another protocol (S3), an unknown service, or an unmapped REST path (moto answers it)
                self.unvalidated[service] += 1
                self.unvalidated_actions[f"{service} {action}"] += 1
                return None
            self.validated[service] += 1
        return model.operation_model(action)


def _params(
    service: str,
    operation: Any,
    protocol: str,
    body: Any,
    path: str,
    query: str,
    form: dict[str, list[str]] | None,
    headers: dict[str, str],
) -> dict[str, Any]:
    """The operation's input parameters, rebuilt from the request as its protocol carries them."""
    if protocol == "json":
        if body is not None and not isinstance(body, dict):
            raise AwsError("SerializationException", "Request body must be a JSON object")
        return dict(body or {})
    if protocol == "rest-json":
        if body is not None and not isinstance(body, dict):
            raise AwsError("SerializationException", "Request body must be a JSON object")
        return rest_params(service, operation, body, path, query, headers)
    flat = {k: v for k, v in (form or {}).items() if k not in ("Action", "Version")}
    return query_params(operation.input_shape, flat, ec2=protocol == "ec2")
