"""The emulator's WSGI application: moto's server app wrapped in a middleware.

Per request the middleware (a) serves ``/emr-dags/...`` admin routes (all but ``GET /emr-dags/health``
need the admin token), (b) names the AWS operation, counts it and injects configured faults, (c)
validates it against botocore's model as AWS's front end does (:mod:`.validation`), (d) advances
simulated state to "now" under the engine lock, lets the engine answer or veto the request, passes the
rest to moto and lets the engine adjust moto's objects afterwards. An exception anywhere becomes a 500
carrying its cause; the server keeps serving.

No reply carries CORS headers: the emulator listens on loopback, and a browser page from any origin
can reach loopback, so no origin is ever allowed to read a reply (moto's global CORS is switched off
and any ``Access-Control-*`` header is dropped on the way out).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
import traceback
from io import BytesIO
from typing import TYPE_CHECKING, Any

from emr_dags_devkit.emulator.errors import AwsError, Reply, error_reply
from emr_dags_devkit.emulator.faults import error_response
from emr_dags_devkit.emulator.naming import RequestName, name_request, raw_path
from emr_dags_devkit.emulator.rules import coerce_rule, parse_rules

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from emr_dags_devkit.emulator.engine import Engine

log = logging.getLogger("emr_dags_devkit.emulator")
ADMIN_PREFIX = "/emr-dags"
# Services whose bodies we read (to name the operation or to simulate it). S3 bodies stream through.
_BODY_SERVICES = {"emr", "emr-serverless", "emr-containers", "sts", "iam", "logs", "ec2"}
_SIMULATED = {"emr", "emr-serverless", "emr-containers"}


def _moto_app() -> Any:
    from moto.moto_server import werkzeug_app
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    # moto's server answers every origin (flask-cors); the emulator allows none.
    werkzeug_app.DISABLE_GLOBAL_CORS = True

    def create(service: Any) -> Any:
        app = create_backend_app(service)
        app.config["PROPAGATE_EXCEPTIONS"] = True  # let the middleware report the cause
        return app

    class Dispatcher(DomainDispatcherApplication):  # type: ignore[misc]
        """moto's dispatcher, minus a directory scan per request for the services we simulate.

        For a request to 127.0.0.1 moto resolves the backend from the SigV4 signing name; for the
        EMR services that is all it depends on, so the answer is cached per signing name.
        """

        def __init__(self) -> None:
            super().__init__(create)
            self._by_signing_name: dict[str, Any] = {}

        def get_application(self, environ: dict[str, Any]) -> Any:
            found = _SIGNING.search(str(environ.get("HTTP_AUTHORIZATION", "")))
            name = found.group(1) if found else None
            if name not in _CACHEABLE:
                return super().get_application(environ)
            app = self._by_signing_name.get(name)
            if app is None:
                app = self._by_signing_name[name] = super().get_application(environ)
            return app

    return Dispatcher()


_SIGNING = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_CACHEABLE = {"elasticmapreduce", "emr-serverless", "emr-containers"}


def _access_key(environ: dict[str, Any]) -> str | None:
    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    marker = "Credential="
    if marker not in auth:
        return None
    return auth.split(marker, 1)[1].split("/", 1)[0]


class EmulatorApp:
    def __init__(self, engine: Engine, *, admin_token: str) -> None:
        if not admin_token:
            raise ValueError("the emulator needs an admin token")
        self.engine = engine
        self.moto = _moto_app()
        self.started = time.time()
        self.admin = AdminRoutes(self)
        self.admin_token = admin_token

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        try:
            if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
                status, headers, body = self.admin.handle(environ)
            else:
                status, headers, body = self._aws(environ)
        except Exception as exc:  # never die on a request
            log.exception("emulator: internal error on %s %s", environ.get("REQUEST_METHOD"), path)
            payload = {
                "__type": "InternalFailure",
                "message": f"emr-dags emulator internal error: {exc!r}",
                "cause": traceback.format_exception_only(type(exc), exc)[-1].strip(),
            }
            status, headers, body = 500, [("Content-Type", "application/json")], json.dumps(payload).encode()
        headers = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
        return _send(start_response, status, headers, body)

    # -- AWS traffic ----------------------------------------------------------------------------
    def _aws(self, environ: dict[str, Any]) -> Reply:
        begin = time.perf_counter()
        probe = name_request(environ, None)
        body: bytes | None = None
        if probe.service in _BODY_SERVICES or environ.get("HTTP_X_AMZ_TARGET"):
            body = _read_body(environ)
        name = (
            name_request(environ, body)
            if probe.protocol == "query" or probe.action.startswith("POST")
            else probe
        )
        engine = self.engine
        fault = engine.faults.decide(name.service, name.action)
        if fault.latency_s:
            time.sleep(fault.latency_s)
        if fault.error:
            reply = error_response(name.protocol, fault.error, name.service)
        else:
            reply = self._dispatch(environ, name, body)
        engine.calls.record(name.service, name.action, status=reply[0])
        log.info(
            "%s %s %s -> %d (%.1f ms)",
            name.service, name.action, name.region, reply[0], (time.perf_counter() - begin) * 1000,
        )  # fmt: skip
        return reply

    def _dispatch(self, environ: dict[str, Any], name: RequestName, body: bytes | None) -> Reply:
        engine = self.engine
        simulated = name.service in _SIMULATED
        parsed: Any = None
        if name.protocol in ("json", "rest-json") and body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict) and simulated:
                return error_reply(
                    name.protocol, AwsError("SerializationException", "Request body must be a JSON object")
                )
        path = str(environ.get("PATH_INFO", ""))
        try:
            self._validate(environ, name, body, parsed)
        except AwsError as exc:
            return error_reply(name.protocol, exc)
        with engine.lock:
            engine.tick()
            if not simulated:
                return self._call_moto(environ)
            account = engine.account_for(_access_key(environ))
            try:
                reply = engine.before(name.service, name.action, path, parsed, account, name.region)
            except AwsError as exc:
                return error_reply(name.protocol, exc)
            if reply is not None:
                engine.dirty()
                return reply
            reply = self._call_moto(environ)
            if reply[0] < 300:
                engine.after(name.service, name.action, path, parsed, reply[2], account, name.region)
            return reply

    def _validate(self, environ: dict[str, Any], name: RequestName, body: bytes | None, parsed: Any) -> None:
        query = str(environ.get("QUERY_STRING", ""))
        form: dict[str, list[str]] | None = None
        if name.protocol == "query":
            from urllib.parse import parse_qs

            form = parse_qs(query, keep_blank_values=True)
            if body and environ.get("REQUEST_METHOD") == "POST":
                form.update(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
        elif name.protocol == "json" and body and not isinstance(parsed, dict):
            return  # not JSON: the service answers its own serialization error
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        self.engine.validator.check(
            name.service,
            name.action,
            name.protocol,
            body=parsed,
            path=raw_path(environ) if name.protocol == "rest-json" else str(environ.get("PATH_INFO", "/")),
            query=query,
            form=form,
            headers=headers,
        )

    def _call_moto(self, environ: dict[str, Any]) -> Reply:
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = list(headers)
            return chunks.append

        result = self.moto(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        headers = [(k, v) for k, v in captured.get("headers", []) if k.lower() != "content-length"]
        return captured.get("status", 500), headers, b"".join(chunks)


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    try:
        size = int(length) if length else -1
    except ValueError:
        size = -1
    if size < 0 and not environ.get("wsgi.input_terminated"):
        return b""  # no Content-Length and not chunked: there is no body (reading would block)
    data = stream.read(size) if size >= 0 else stream.read()
    environ["wsgi.input"] = BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    return data


def _send(
    start_response: Callable[..., Any], status: int, headers: list[tuple[str, str]], body: bytes
) -> list[bytes]:
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    headers = [*headers, ("Content-Length", str(len(body)))]
    start_response(f"{status} {phrase}", headers)
    return [body]


class AdminRoutes:
    """``/emr-dags/...``: health, calls, rules, faults, time, timings, state, reset."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self.engine = app.engine

    def handle(self, environ: dict[str, Any]) -> Reply:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        route = str(environ.get("PATH_INFO", "")).removeprefix(ADMIN_PREFIX).strip("/")
        if not (route == "health" and method in ("GET", "HEAD")) and not self._authorised(environ):
            return _json(
                401,
                {
                    "error": "the emulator's admin API needs its token: send 'Authorization: Bearer <token>' "
                    "(the token is in the emulator's token file, e.g. <state dir>/emulator_token)"
                },
            )
        raw = _read_body(environ)
        try:
            payload = json.loads(raw) if raw.strip() else None
        except ValueError as exc:
            return _json(400, {"error": f"body is not JSON: {exc}"})
        handler = getattr(self, "r_" + route.replace("/", "_").replace("-", "_") or "r_", None)
        if handler is None:
            return _json(404, {"error": f"no admin route /emr-dags/{route}", "routes": self.routes()})
        try:
            return handler(method, payload)
        except (ValueError, TypeError, KeyError) as exc:
            return _json(400, {"error": str(exc)})

    def _authorised(self, environ: dict[str, Any]) -> bool:
        header = str(environ.get("HTTP_AUTHORIZATION", ""))
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            token = str(environ.get("HTTP_X_EMR_DAGS_TOKEN", ""))
        return hmac.compare_digest(token.strip().encode(), self.app.admin_token.encode())

    @staticmethod
    def routes() -> list[str]:
        return [
            "GET /emr-dags/health",
            "GET|DELETE /emr-dags/calls",
            "POST /emr-dags/calls/reset",
            "GET|PUT|POST|DELETE /emr-dags/rules",
            "GET|PUT|POST|DELETE /emr-dags/faults",
            "GET|POST /emr-dags/time",
            "GET|POST /emr-dags/timings",
            "GET /emr-dags/state",
            "GET|POST|DELETE /emr-dags/validation",
            "POST /emr-dags/reset",
        ]

    def r_(self, method: str, payload: Any) -> Reply:
        return _json(200, {"routes": self.routes()})

    def r_health(self, method: str, payload: Any) -> Reply:
        engine = self.engine
        return _json(
            200,
            {
                "status": "healthy",
                "uptime_s": round(time.time() - self.app.started, 3),
                "time_scale": engine.clock.time_scale,
                "sim_minutes": round(engine.clock.now() / 60.0, 4),
                "local_exec": engine.local.enabled,
                "strict_validation": engine.validator.strict,
                "rules": len(engine.rules.to_list()),
            },
        )

    def r_calls(self, method: str, payload: Any) -> Reply:
        if method == "DELETE":
            self.engine.calls.reset()
            return _json(200, {"reset": True})
        return _json(200, {**self.engine.calls.snapshot(), "validation": self.engine.validator.snapshot()})

    def r_validation(self, method: str, payload: Any) -> Reply:
        """Validation counts; ``POST {"strict": false}`` switches to lenient mode; ``DELETE`` zeroes them."""
        validator = self.engine.validator
        if method == "POST":
            if not isinstance((payload or {}).get("strict"), bool):
                raise ValueError('POST /emr-dags/validation takes {"strict": true|false}')
            validator.strict = payload["strict"]
        elif method == "DELETE":
            validator.reset()
        return _json(200, validator.snapshot())

    def r_calls_reset(self, method: str, payload: Any) -> Reply:
        self.engine.calls.reset()
        return _json(200, {"reset": True})

    def r_rules(self, method: str, payload: Any) -> Reply:
        rules = self.engine.rules
        if method == "PUT":
            rules.set(parse_rules(payload))
        elif method == "POST":
            items = payload if isinstance(payload, list) else (payload or {}).get("rules", [payload])
            for item in items:
                rules.add(coerce_rule(item))
        elif method == "DELETE":
            rules.clear()
        return _json(200, {"rules": rules.to_list()})

    def r_faults(self, method: str, payload: Any) -> Reply:
        faults = self.engine.faults
        if method in ("PUT", "POST"):
            faults.configure(payload)
        elif method == "DELETE":
            faults.clear()
        return _json(200, faults.snapshot())

    def r_time(self, method: str, payload: Any) -> Reply:
        engine = self.engine
        if method == "POST":
            payload = payload or {}
            with engine.lock:
                if "time_scale" in payload:
                    engine.clock.set_time_scale(payload["time_scale"])
                if "advance_minutes" in payload:
                    engine.clock.advance(float(payload["advance_minutes"]))
                engine.dirty()
                engine.tick()
        return _json(200, {"time_scale": engine.clock.time_scale, "sim_minutes": engine.clock.now() / 60.0})

    def r_timings(self, method: str, payload: Any) -> Reply:
        if method == "POST":
            self.engine.timings.update(payload or {})
        return _json(200, self.engine.timings.to_dict())

    def r_state(self, method: str, payload: Any) -> Reply:
        return _json(200, {**self.engine.state(), "validation": self.engine.validator.snapshot()})

    def r_reset(self, method: str, payload: Any) -> Reply:
        if method != "POST":
            return _json(405, {"error": "use POST /emr-dags/reset"})
        self.engine.reset()
        self.engine.rules.clear()
        self.engine.faults.clear()
        return _json(200, {"reset": True})


def _json(status: int, payload: Any) -> Reply:
    return status, [("Content-Type", "application/json")], json.dumps(payload, default=str).encode()
