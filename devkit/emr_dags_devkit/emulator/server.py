"""Run the emulator: in a background thread (``start_emulator``) or in the foreground (CLI)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emr_dags_devkit.emulator.config import DEFAULT_TIME_SCALE, Timings

if TYPE_CHECKING:
    from emr_dags_devkit.emulator.client import EmulatorAdmin
    from emr_dags_devkit.emulator.engine import Engine
    from emr_dags_devkit.emulator.rules import Rule

TICK_SECONDS = 0.05


class EmulatorHandle:
    """A running emulator. ``stop()`` (or leaving the ``with`` block) shuts it down."""

    def __init__(self, server: Any, engine: Engine, host: str, admin_token: str) -> None:
        self._server = server
        self.engine = engine
        self.host = host
        self.admin_token = admin_token  # for EmulatorAdmin(url, token=...) in other processes
        self.port: int = server.server_address[1]
        self._stopped = threading.Event()
        self._serve_thread: threading.Thread | None = None
        self._tick_thread = threading.Thread(target=self._ticker, name="emr-dags-emulator-tick", daemon=True)

    @property
    def endpoint_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def admin(self) -> EmulatorAdmin:
        from emr_dags_devkit.emulator.client import EmulatorAdmin

        return EmulatorAdmin(self.endpoint_url, token=self.admin_token)

    def _ticker(self) -> None:
        while not self._stopped.wait(TICK_SECONDS):
            try:
                self.engine.tick()
            except Exception:  # keep ticking; the failure is logged once per occurrence
                logging.getLogger("emr_dags_devkit.emulator").exception("emulator tick failed")

    def start_background(self) -> EmulatorHandle:
        self._tick_thread.start()
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="emr-dags-emulator",
            daemon=True,
        )
        self._serve_thread.start()
        return self

    def serve_forever(self) -> None:
        self._tick_thread.start()
        try:
            self._server.serve_forever(poll_interval=0.2)
        finally:
            self._stopped.set()

    def stop(self) -> None:
        if self._stopped.is_set() and self._serve_thread is None:
            return
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()
        self.engine.local.shutdown()
        if self._serve_thread is not None:
            self._serve_thread.join(timeout=10)
            self._serve_thread = None
        self._tick_thread.join(timeout=5)

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def build(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    time_scale: float = DEFAULT_TIME_SCALE,
    rules: list[Rule | dict[str, Any]] | str | Path | None = None,
    local_exec: bool = False,
    seed: int | None = None,
    faults: dict[str, Any] | None = None,
    timings: Timings | dict[str, float] | None = None,
    strict: bool = True,
    admin_token: str | None = None,
    token_file: str | Path | None = None,
) -> EmulatorHandle:
    """Create the server (bound, not yet serving).

    ``admin_token`` guards the admin routes (a fresh random one when None); ``token_file``, when
    given, receives it (mode 0600) so other processes' ``EmulatorAdmin`` can find it.
    """
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    from emr_dags_devkit.emulator.app import EmulatorApp
    from emr_dags_devkit.emulator.client import new_token, write_token_file
    from emr_dags_devkit.emulator.engine import Engine
    from emr_dags_devkit.emulator.rules import coerce_rule, load_rules_file

    if isinstance(rules, str | Path):
        rule_list = load_rules_file(rules)
    else:
        rule_list = [coerce_rule(r) for r in rules or []]
    if isinstance(timings, dict):
        t = Timings()
        t.update(timings)
        timings = t
    engine = Engine(
        time_scale=time_scale, rules=rule_list, local_exec=local_exec, timings=timings, strict=strict
    )
    if faults is not None or seed is not None:
        config = dict(faults or {})
        if seed is not None:
            config.setdefault("seed", seed)
        engine.faults.configure(config)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    token = admin_token or new_token()
    app = EmulatorApp(engine, admin_token=token)
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    server.daemon_threads = True  # type: ignore[attr-defined]  # ThreadedWSGIServer (threaded=True)
    if token_file is not None:
        write_token_file(token_file, token)
    handle = EmulatorHandle(server, engine, host, token)
    engine.local.endpoint_url = handle.endpoint_url
    return handle


def start_emulator(
    port: int = 0,
    time_scale: float = DEFAULT_TIME_SCALE,
    rules: list[Rule | dict[str, Any]] | str | Path | None = None,
    local_exec: bool = False,
    *,
    host: str = "127.0.0.1",
    seed: int | None = None,
    faults: dict[str, Any] | None = None,
    timings: Timings | dict[str, float] | None = None,
    strict: bool = True,
    admin_token: str | None = None,
    token_file: str | Path | None = None,
) -> EmulatorHandle:
    """Start the emulator in background threads and return its handle.

    ``port=0`` picks a free port (see ``handle.endpoint_url``). ``time_scale`` is the number of real
    seconds a simulated minute lasts. ``rules`` is a list of rules (``Rule`` or dicts in the file
    format) or a path to a JSON/YAML rules file. ``local_exec`` runs local command-runner steps as real
    processes (off unless asked). ``strict`` (the default) answers requests that break AWS's model
    constraints with AWS's 400; ``strict=False`` only counts them. The admin routes need
    ``handle.admin_token`` (``handle.admin`` sends it).

    Note: moto keeps its state in process-wide globals, so an in-process emulator shares them with
    any ``moto.mock_aws`` used in the same process; run one or the other.
    """
    handle = build(
        host=host, port=port, time_scale=time_scale, rules=rules, local_exec=local_exec,
        seed=seed, faults=faults, timings=timings, strict=strict, admin_token=admin_token,
        token_file=token_file,
    )  # fmt: skip
    return handle.start_background()
