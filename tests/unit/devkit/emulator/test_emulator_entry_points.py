from __future__ import annotations

import argparse
import json
import subprocess
import sys
import urllib.request


def test_importing_the_emulator_package_and_cli_loads_neither_boto3_nor_moto():
    code = (
        "import sys, emr_dags, emr_dags_devkit.emulator, emr_dags_devkit.emulator.cli, emr_dags_devkit.emulator.client;"
        "print([m for m in ('boto3', 'botocore', 'moto') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_register_adds_the_emulator_subcommand_with_a_func():
    from emr_dags_devkit.emulator import cli

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["emulator", "--port", "0", "--time-scale", "0.5", "--local-exec", "--seed", "3"]
    )
    assert (args.port, args.time_scale, args.local_exec, args.seed) == (0, 0.5, True, 3)
    assert callable(args.func)


def test_start_emulator_serves_health_and_stops_as_a_context_manager():
    from emr_dags_devkit.emulator import start_emulator

    rules = [{"match": {"step_name": "x"}, "outcome": "fail"}]
    faults = {"rules": [{"service": "emr", "action": "ListSteps", "throttle": 0.5}]}
    with start_emulator(port=0, time_scale=0.5, rules=rules, faults=faults, seed=42) as emu:
        with urllib.request.urlopen(f"{emu.endpoint_url}/emr-dags/health", timeout=10) as response:
            health = json.loads(response.read())
        assert health["status"] == "healthy"
        assert health["time_scale"] == 0.5
        assert [r["outcome"] for r in emu.admin.rules()] == ["fail"]
        configured = emu.admin.faults()
        assert configured["seed"] == 42
        assert [(f["action"], f["throttle"]) for f in configured["rules"]] == [("ListSteps", 0.5)]
        port = emu.port
    import socket

    with socket.socket() as sock:  # nobody listens on the port any more
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT leftovers are fine
        sock.bind(("127.0.0.1", port))
