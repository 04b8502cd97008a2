"""The `emr-dags` parser tree: every flag of every subcommand explains itself, every command its exit codes."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from emr_dags.cli import DEVKIT_COMMANDS, build_parser

DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _walk(parser: argparse.ArgumentParser, path: str):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _walk(child, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield path, action


def test_every_flag_of_every_subcommand_has_help():
    missing = [
        f"{path} {'/'.join(action.option_strings) or action.dest}"
        for path, action in _walk(build_parser(), "emr-dags")
        if not action.help or action.help == argparse.SUPPRESS
    ]
    assert missing == []


def test_the_devkit_commands_are_installed_here():
    """Otherwise the walk above would only see the stubs (no flags) and prove nothing about them."""
    commands = _commands()
    assert all(commands[name].add_help for name in DEVKIT_COMMANDS)


@pytest.mark.parametrize("command", ["diagnose", "cost", "reap", *DEVKIT_COMMANDS])
def test_every_command_documents_its_exit_codes_in_help_and_docs(command):
    help_text = _commands()[command].format_help()
    assert "exit codes:" in help_text
    assert "  0  " in help_text
    assert "  2  bad" in help_text or "  2  bad usage" in help_text
    table = DOCS.read_text().split("## Exit codes", 1)[1]
    assert f"`{command}`" in table


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["up", "--api-port", "70000"], "--api-port 70000: not a port number; expected 1-65535"),
        (["up", "--time-scale", "0"], "--time-scale 0: must be > 0, e.g. --time-scale 1"),
        (["demo", "--run-timeout", "-5"], "--run-timeout -5: must be > 0"),
        (["emulator", "--port", "http"], "--port http: not a port number"),
        (["chaos", "--runs", "0"], "--runs 0: must be >= 1"),
        (["bench", "--only", "speed"], "argument --only: invalid choice: 'speed'"),
    ],
)
def test_bad_values_exit_2_naming_the_flag_and_the_fix(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
