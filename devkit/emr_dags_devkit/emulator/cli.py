"""``emr-dags emulator``: run the local EMR emulator in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from typing import Any

from emr_dags.console import EXIT_OK, EXIT_USAGE, checked, exit_codes_epilog, number, whole_number

EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "stopped by Ctrl-C or SIGTERM"),
    (EXIT_USAGE, "bad arguments, an unreadable --rules/--faults file, or the port is taken"),
)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "emulator",
        help="run the local EMR / EMR Serverless / EMR on EKS emulator",
        description="Local AWS endpoint (moto) with EMR lifecycles, scripted outcomes and fault injection.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)"
    )
    parser.add_argument(
        "--port",
        action=checked(_port_or_zero),
        default=5000,
        help="port to listen on (default 5000); 0 picks a free port (printed on start)",
    )
    parser.add_argument(
        "--time-scale", action=checked(number("--time-scale 1", inclusive=False)), default=None, metavar="S",
        help="real seconds per simulated minute (default 1.0: a cluster is ready in ~6 s)",
    )  # fmt: skip
    parser.add_argument(
        "--idle-timeout-factor", action=checked(number("--idle-timeout-factor 60", inclusive=False)),
        default=None, metavar="F",
        help="multiply requested idle timeouts by F (default 1; 60/time-scale makes them count real time, "
        "so an idle cluster outlives Airflow's scheduling gaps as it does on AWS)",
    )  # fmt: skip
    parser.add_argument("--rules", metavar="FILE", help="scripted outcomes, JSON or YAML")
    parser.add_argument("--faults", metavar="FILE", help="fault injection config, JSON or YAML")
    parser.add_argument(
        "--local-exec", action=argparse.BooleanOptionalAction, default=_env_flag("EMR_DAGS_LOCAL_EXEC"),
        help="run local command-runner/script-runner steps as real processes (off by default; as `nobody` "
        "when the emulator runs as root). Default from $EMR_DAGS_LOCAL_EXEC",
    )  # fmt: skip
    parser.add_argument(
        "--lenient", action="store_true",
        help="only count requests that break AWS's model constraints instead of refusing them (diagnosing)",
    )  # fmt: skip
    parser.add_argument(
        "--token-file", metavar="FILE", default=None,
        help="where to write the admin token (mode 0600; default $EMR_DAGS_EMULATOR_TOKEN_FILE, else "
        "<state dir>/emulator_token). The token is $EMR_DAGS_EMULATOR_TOKEN if set, else a new random one",
    )  # fmt: skip
    parser.add_argument(
        "--seed", action=checked(whole_number(0, "--seed 7")), default=None, help="seed for fault injection"
    )
    parser.add_argument("--log-requests", action="store_true", help="log one line per AWS request")
    parser.set_defaults(func=run)


def _port_or_zero(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise ValueError("not a port number; expected 1-65535, or 0 for a free port, e.g. --port 5055")
    return value


def _load(path: str) -> Any:
    with open(path) as fh:
        text = fh.read()
    if path.endswith((".yaml", ".yml")):
        import yaml

        return yaml.safe_load(text)
    return json.loads(text)


def run(args: argparse.Namespace) -> int:
    from emr_dags_devkit.emulator.client import TOKEN_ENV, default_token_file, new_token, write_token_file
    from emr_dags_devkit.emulator.config import DEFAULT_TIME_SCALE
    from emr_dags_devkit.emulator.server import build

    logging.basicConfig(
        level=logging.INFO if args.log_requests else logging.WARNING, format="%(asctime)s %(message)s"
    )
    token = os.environ.get(TOKEN_ENV) or new_token()
    try:
        handle = build(
            host=args.host,
            port=args.port,
            time_scale=args.time_scale if args.time_scale is not None else DEFAULT_TIME_SCALE,
            rules=args.rules,
            local_exec=args.local_exec,
            strict=not args.lenient,
            admin_token=token,
            seed=args.seed,
            faults=_load(args.faults) if args.faults else None,
            timings=(
                {"idle_timeout_factor": args.idle_timeout_factor}
                if args.idle_timeout_factor is not None
                else None
            ),
        )
    except (OSError, ValueError) as exc:
        print(f"emr-dags emulator: {exc}", file=sys.stderr)
        return 2

    token_file = args.token_file or default_token_file()
    try:
        write_token_file(token_file, token)
    except OSError as exc:  # e.g. a read-only mount: the admin API stays closed unless the token is known
        print(
            f"emr-dags emulator: warning: cannot write the admin token to {token_file} ({exc}); "
            f"set {TOKEN_ENV} to choose the token instead",
            file=sys.stderr,
            flush=True,
        )

    def stop(signum: int, frame: Any) -> None:
        # shutdown() blocks until serve_forever returns, so call it from another thread.
        threading.Thread(target=handle._server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    print(
        f"emr-dags emulator listening on {handle.endpoint_url} (time scale {handle.engine.clock.time_scale} s/min)",
        flush=True,
    )
    print(
        f"admin token in {token_file}; local execution "
        f"{'ON' if args.local_exec else 'off'}; request validation {'lenient' if args.lenient else 'strict'}",
        flush=True,
    )
    try:
        handle.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        handle.engine.local.shutdown()
        handle._server.server_close()
    print("emr-dags emulator stopped", flush=True)
    return 0
