"""Simulated time.

The clock runs at ``60 / time_scale`` simulated seconds per real second. Changing the scale only
changes the rate from that moment on, so objects scheduled in simulated time keep their order.
``advance()`` jumps simulated time forward, which tests use instead of sleeping.

Timestamps the AWS API returns stay in *real* wall-clock time (``real_at``): Airflow compares them
with its own clock. Durations that AWS derives from time (NormalizedInstanceHours,
totalExecutionDurationSeconds, billed utilisation) follow simulated time.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from emr_dags_devkit.emulator.config import check_time_scale


class SimClock:
    def __init__(self, time_scale: float) -> None:
        self._scale = check_time_scale(time_scale)
        self._real0 = time.time()
        self._sim0 = 0.0
        self._offset = 0.0  # simulated seconds added by advance()
        self._jump: tuple[float, float, float] | None = None  # last advance: (sim from, sim to, real at)

    @property
    def time_scale(self) -> float:
        return self._scale

    def set_time_scale(self, value: float) -> None:
        now = time.time()
        self._sim0 = self._sim_at(now)
        self._real0 = now
        self._scale = check_time_scale(value)

    def _sim_at(self, real: float) -> float:
        return self._sim0 + (real - self._real0) * 60.0 / self._scale

    def now(self) -> float:
        """Simulated seconds since the emulator started."""
        return self._sim_at(time.time()) + self._offset

    def advance(self, minutes: float) -> None:
        if minutes < 0:
            raise ValueError(f"advance: {minutes!r} minutes is negative")
        start = self.now()
        self._offset += minutes * 60.0
        self._jump = (start, start + minutes * 60.0, time.time())

    def real_at(self, sim: float) -> datetime:
        """The naive-UTC wall-clock time at which simulated instant ``sim`` happened (or will).

        Simulated time skipped by ``advance()`` took no real time: everything inside the last jump
        happened at the real instant of the jump.
        """
        jump = self._jump
        if jump is None or sim >= jump[1]:
            real = time.time() - (self.now() - sim) * self._scale / 60.0
        elif sim >= jump[0]:
            real = jump[2]
        else:
            real = jump[2] - (jump[0] - sim) * self._scale / 60.0
        return datetime.fromtimestamp(real, tz=UTC).replace(tzinfo=None)
