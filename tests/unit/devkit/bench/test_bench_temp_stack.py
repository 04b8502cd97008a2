"""A bench/chaos stack is stopped on SIGTERM too, not only on Ctrl-C or a normal exit."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest

from emr_dags_devkit.bench import cli


class FakeStack:
    events: list[str] = []

    def __init__(self, config: Any, echo: Any = None) -> None:
        self.config = config

    def up(self, timeout: float) -> None:
        FakeStack.events.append("up")

    def down(self, quiet: bool = False) -> None:
        FakeStack.events.append("down")

    def admin_password(self) -> str:
        return "pw"


def test_sigterm_inside_a_temp_stack_stops_the_stack_and_restores_the_handler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import emr_dags_devkit.stack.runner as runner

    monkeypatch.setattr(runner, "Stack", FakeStack)
    FakeStack.events = []
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as exited, cli.temp_stack():
        os.kill(os.getpid(), signal.SIGTERM)
    assert exited.value.code == 128 + signal.SIGTERM
    assert FakeStack.events == ["up", "down"]
    assert signal.getsignal(signal.SIGTERM) == before
