"""Name an incoming AWS request: service, operation, region, wire protocol.

EMR (JSON protocol) names its operation in ``X-Amz-Target``; query-protocol services (STS, IAM)
in the ``Action`` parameter; REST services (EMR Serverless, EMR on EKS) only in the method and
path, which we map back to operation names with botocore's own service model.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs

# SigV4 signing name -> the name we report (botocore's service name).
_SIGNING_TO_SERVICE = {"elasticmapreduce": "emr"}
REST_JSON_SERVICES = ("emr-serverless", "emr-containers")
_CREDENTIAL = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass(frozen=True, slots=True)
class RequestName:
    service: str
    action: str
    region: str
    protocol: str  # json | rest-json | rest-xml | query


_route_lock = threading.Lock()
_routes: dict[str, list[tuple[str, re.Pattern[str], str]]] = {}


def _rest_routes(service: str) -> list[tuple[str, re.Pattern[str], str]]:
    with _route_lock:
        if service not in _routes:
            import botocore.loaders

            model = botocore.loaders.create_loader().load_service_model(service, "service-2")
            routes = []
            for op_name, op in model["operations"].items():
                http = op.get("http", {})
                uri = http.get("requestUri", "/").split("?")[0]
                pattern = re.sub(r"\{[^}]+\+\}", ".+", uri)
                pattern = re.sub(r"\{[^}]+\}", "[^/]+", pattern)
                routes.append((http.get("method", "GET"), re.compile(f"^{pattern}/?$"), op_name))
            # Literal segments beat placeholders: longer literal text first.
            routes.sort(key=lambda r: -len(re.sub(r"\[\^/\]\+|\.\+", "", r[1].pattern)))
            _routes[service] = routes
        return _routes[service]


def rest_operation(service: str, method: str, path: str) -> str:
    for route_method, pattern, op_name in _rest_routes(service):
        if route_method == method and pattern.match(path):
            return op_name
    return f"{method} {path}"


def _s3_operation(method: str, path: str, query: str) -> str:
    parts = [p for p in path.split("/") if p]
    has_key = len(parts) > 1
    qs = parse_qs(query, keep_blank_values=True)
    if method == "GET":
        if not parts:
            return "ListBuckets"
        if has_key:
            return "GetObject"
        return "ListObjectsV2" if qs.get("list-type") == ["2"] else "ListObjects"
    if method == "PUT":
        return "PutObject" if has_key else "CreateBucket"
    if method == "HEAD":
        return "HeadObject" if has_key else "HeadBucket"
    if method == "DELETE":
        return "DeleteObject" if has_key else "DeleteBucket"
    if method == "POST" and "delete" in qs:
        return "DeleteObjects"
    return f"{method} {path}"


def raw_path(environ: dict[str, object]) -> str:
    """The request path as sent (percent-encoded), falling back to PATH_INFO."""
    raw = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    if raw.startswith("/"):
        return raw.split("?", 1)[0]
    return str(environ.get("PATH_INFO", "/"))


def name_request(environ: dict[str, object], body: bytes | None) -> RequestName:
    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    if not auth and "X-Amz-Credential" in str(environ.get("QUERY_STRING", "")):  # a presigned URL
        credential = parse_qs(str(environ.get("QUERY_STRING", ""))).get("X-Amz-Credential", [""])[0]
        auth = f"Credential={credential}"
    found = _CREDENTIAL.search(auth)
    signing, region = (found.group(2), found.group(1)) if found else ("unknown", "us-east-1")
    service = _SIGNING_TO_SERVICE.get(signing, signing)
    method = str(environ.get("REQUEST_METHOD", "GET"))
    path = str(environ.get("PATH_INFO", "/"))
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        return RequestName(service, target.rsplit(".", 1)[-1], region, "json")
    if service in REST_JSON_SERVICES:
        # Match the raw (still percent-encoded) path first: a label may hold an ARN, whose "/" the
        # SDK sends as %2F (ListTagsForResource on a job run ARN) and PATH_INFO has decoded.
        operation = rest_operation(service, method, raw_path(environ))
        if operation.startswith(f"{method} "):
            operation = rest_operation(service, method, path)
        return RequestName(service, operation, region, "rest-json")
    if service == "s3":
        return RequestName(
            service, _s3_operation(method, path, str(environ.get("QUERY_STRING", ""))), region, "rest-xml"
        )
    params = parse_qs(str(environ.get("QUERY_STRING", "")))
    if "Action" not in params and body and method == "POST":
        try:
            params = parse_qs(body.decode("utf-8", "replace"))
        except ValueError:
            params = {}
    if "Action" in params:
        return RequestName(service, params["Action"][0], region, "query")
    return RequestName(service, f"{method} {path}", region, "rest-json")
