"""What the ``emr-dags`` command prints, and how it exits: one place for every subcommand.

- stdout carries the answer only. With ``--json`` it is one JSON document and nothing else: while a
  command runs, anything else written to stdout (a library's logging handler, Airflow's structlog,
  botocore's ``Found credentials ...``) goes to stderr instead, down to file descriptor 1.
- Progress of every wait longer than a few seconds goes to stderr, at most every few seconds:
  ``[up] waiting for airflow-apiserver health (12 s of 300 s)``.
- Exit codes mean the same for every command (:data:`EXIT_OK` ...); each command's ``--help`` says
  which of them it uses.
- Arguments are checked when parsed, with a message naming the flag, the value and the fix:
  ``emr-dags cost: error: --price-file /nonexistent: no such file`` (exit 2, no traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

EXIT_OK = 0
EXIT_FAILED = 1  # the work failed: every AWS call failed, something could not be stopped, ...
EXIT_USAGE = 2  # bad arguments (argparse's own code)
EXIT_PARTIAL = 3  # done with part of the input: some calls failed or some input was unreadable

# ------------------------------------------------------------------------------------- the answer
_pending: list[str] | None = None


def print_json(document: Any) -> None:
    """Print the command's JSON answer (held back until stdout is stdout again, see :func:`answer_only`)."""
    text = json.dumps(document, indent=2)
    if _pending is None:
        print(text, flush=True)
    else:
        _pending.append(text)


@contextlib.contextmanager
def answer_only(enabled: bool = True) -> Iterator[None]:
    """While the block runs, send everything written to stdout to stderr; then print the answer.

    Three layers, because libraries hold on to stdout in three ways: ``sys.stdout`` (print, structlog
    resolving it late), logging handlers created with ``stream=sys.stdout`` before we ran, and file
    descriptor 1 itself (handlers bound to ``sys.__stdout__``, child processes).
    """
    global _pending
    if not enabled or _pending is not None:
        yield
        return
    out = sys.stdout
    out.flush()
    pending: list[str] = []
    _pending = pending
    moved = _retarget_handlers({id(out), id(sys.__stdout__)}, sys.stderr)
    saved_fd = _redirect_fd(out)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stderr.flush()
        if saved_fd is not None:
            os.dup2(saved_fd, 1)
            os.close(saved_fd)
        for handler, stream in moved:
            handler.setStream(stream)
        _pending = None
        for text in pending:
            out.write(text + "\n")
        out.flush()


def _retarget_handlers(stdout_ids: set[int], to: TextIO) -> list[tuple[logging.StreamHandler[Any], Any]]:
    moved = []
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", ()):
            if isinstance(handler, logging.StreamHandler) and id(handler.stream) in stdout_ids:
                moved.append((handler, handler.setStream(to)))
    return moved


def _redirect_fd(out: TextIO) -> int | None:
    """Point fd 1 at stderr when ``out`` writes to fd 1; returns a copy of the old fd 1 (or None)."""
    try:
        if out.fileno() != 1:
            return None
    except (AttributeError, OSError, ValueError):  # a StringIO, pytest's capsys
        return None
    sys.stderr.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    return saved


def log_to_stderr(level: int = logging.INFO) -> None:
    """Our own log lines (one per action) on stderr; libraries' INFO chatter (botocore) stays quiet."""
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


# ------------------------------------------------------------------------------------ progress
class Progress:
    """Progress lines on stderr for waits: ``[up] waiting for X (12 s of 300 s)``.

    ``tick(what)`` is called from a polling loop and prints at most every ``every`` seconds, and not
    before ``after`` seconds (a wait that ends quickly prints nothing). ``during(what)`` is for a wait
    that is one blocking call (a paginated listing, a log collection): a background thread ticks.
    """

    def __init__(
        self,
        command: str,
        *,
        every: float = 5.0,
        after: float = 3.0,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.command = command
        self.every = every
        self.after = after
        self.stream = stream
        self.clock = clock
        self._started: dict[str, float] = {}
        self._last = float("-inf")

    def tick(self, what: str, *, budget: float | None = None, started: float | None = None) -> None:
        now = self.clock()
        began = self._started.setdefault(what, started if started is not None else now)
        elapsed = now - began
        if elapsed < self.after or now - self._last < self.every:
            return
        self._last = now
        self.say(f"{what} ({elapsed:.0f} s" + (f" of {budget:.0f} s)" if budget is not None else ")"))

    def say(self, line: str) -> None:
        stream = self.stream or sys.stderr
        print(f"[{self.command}] {line}", file=stream, flush=True)

    @contextlib.contextmanager
    def during(self, what: str, *, budget: float | None = None) -> Iterator[None]:
        done = threading.Event()
        started = self.clock()

        def beat() -> None:
            while not done.wait(min(1.0, self.every)):
                self.tick(what, budget=budget, started=started)

        thread = threading.Thread(target=beat, name=f"progress-{self.command}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(timeout=2.0)


# --------------------------------------------------------------------------- argument checks
class _Checked(argparse.Action):
    convert: Callable[[str], Any]

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: Any, values: Any, option_string: str | None = None
    ) -> None:
        try:
            value = type(self).convert(values)
        except ValueError as exc:
            parser.error(f"{option_string or self.dest} {values}: {exc}")
        setattr(namespace, self.dest, value)


def checked(convert: Callable[[str], Any]) -> type[argparse.Action]:
    """An argparse action converting with ``convert``; its ValueError text is the message after
    ``--flag value:`` (so it should say what is wrong and what would be right)."""
    return type("Checked", (_Checked,), {"convert": staticmethod(convert)})


def whole_number(minimum: int, example: str) -> Callable[[str], int]:
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"not a whole number; expected one >= {minimum}, e.g. {example}") from None
        if value < minimum:
            raise ValueError(f"must be >= {minimum}, e.g. {example}")
        return value

    return convert


def number(example: str, *, minimum: float = 0.0, inclusive: bool = True) -> Callable[[str], float]:
    bound = f">= {minimum:g}" if inclusive else f"> {minimum:g}"

    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"not a number; expected one {bound}, e.g. {example}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"must be a finite number {bound}, e.g. {example}")
        if value < minimum or (not inclusive and value == minimum):
            raise ValueError(f"must be {bound}, e.g. {example}")
        return value

    return convert


def port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("not a port number; expected 1-65535, e.g. 8081") from None
    if not 1 <= value <= 65535:
        raise ValueError("not a port number; expected 1-65535, e.g. 8081")
    return value


def existing_file(text: str) -> str:
    path = Path(text)
    if not path.exists():
        raise ValueError("no such file")
    if path.is_dir():
        raise ValueError("is a folder; expected a file")
    if not os.access(path, os.R_OK):
        raise ValueError("not readable (permissions)")
    return text


def exit_codes_epilog(*rows: tuple[int, str]) -> str:
    """The ``exit codes:`` block of a command's ``--help``."""
    return "exit codes:\n" + "\n".join(f"  {code}  {meaning}" for code, meaning in rows) + "\n"
