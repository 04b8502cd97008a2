"""emr_dags.console: the answer alone on stdout, progress on stderr, checked arguments."""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys

import pytest

from emr_dags import console


def test_answer_only_moves_stdout_writers_to_stderr_and_prints_the_answer_last(capsys):
    handler = logging.StreamHandler(sys.stdout)  # bound to the stdout of the moment, like Airflow's
    log = logging.getLogger("test.console.chatty")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        with console.answer_only():
            log.info("Found credentials in environment variables.")
            print("noise")
            console.print_json({"ok": True})
    finally:
        log.removeHandler(handler)
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"ok": True}
    assert "Found credentials" in captured.err
    assert "noise" in captured.err
    assert handler.stream is sys.stdout  # restored


def test_answer_only_redirects_file_descriptor_1_in_a_real_process():
    code = (
        "import os, sys\n"
        "from emr_dags import console\n"
        "with console.answer_only():\n"
        "    os.write(1, b'[info] from C or a child process\\n')\n"
        "    console.print_json([1, 2])\n"
        "print('after', file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) == [1, 2]
    assert "[info] from C or a child process" in result.stderr


def test_progress_is_rate_limited_and_says_elapsed_of_budget():
    now = [0.0]
    lines: list[str] = []

    class Sink:
        def write(self, text: str) -> None:
            lines.append(text)

        def flush(self) -> None:
            pass

    progress = console.Progress("up", clock=lambda: now[0], stream=Sink())  # type: ignore[arg-type]
    for t in range(0, 20):
        now[0] = float(t)
        progress.tick("waiting for airflow-apiserver health", budget=300)
    text = "".join(lines).splitlines()
    assert text == [
        "[up] waiting for airflow-apiserver health (3 s of 300 s)",
        "[up] waiting for airflow-apiserver health (8 s of 300 s)",
        "[up] waiting for airflow-apiserver health (13 s of 300 s)",
        "[up] waiting for airflow-apiserver health (18 s of 300 s)",
    ]


def test_progress_during_a_blocking_call_ticks_from_a_thread(capsys):
    import time

    with console.Progress("cost", every=0.2, after=0.1).during("listing clusters"):
        time.sleep(0.7)
    err = capsys.readouterr().err
    assert "[cost] listing clusters (" in err


def test_a_wait_shorter_than_after_prints_nothing(capsys):
    with console.Progress("cost").during("listing clusters"):
        pass
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("convert", "text", "message"),
    [
        (console.existing_file, "/nonexistent", "no such file"),
        (console.existing_file, "/", "is a folder; expected a file"),
        (console.port, "0", "not a port number"),
        (console.whole_number(1, "--days 7"), "1.5", "not a whole number"),
        (console.number("--timeout 300", inclusive=False), "nan", "finite"),
    ],
)
def test_checked_converters_say_what_is_wrong(convert, text, message):
    with pytest.raises(ValueError, match=message):
        convert(text)


def test_checked_action_names_the_flag_and_value(capsys):
    parser = argparse.ArgumentParser(prog="emr-dags cost")
    parser.add_argument("--price-file", action=console.checked(console.existing_file), help="x")
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["--price-file", "/nonexistent"])
    assert exc.value.code == 2
    assert "emr-dags cost: error: --price-file /nonexistent: no such file" in capsys.readouterr().err
