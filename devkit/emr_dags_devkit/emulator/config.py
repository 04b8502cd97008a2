"""Emulator settings: the time scale and the simulated durations of every lifecycle phase.

All durations are in *simulated minutes*. One knob, ``time_scale``, says how many real seconds a
simulated minute lasts. With the default (1.0) a cluster reaches WAITING in about 6 s and a default
step runs for 2 s, slow enough that Airflow's deferrable tasks see at least one poll before the
trigger fires, fast enough for a demo.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

DEFAULT_TIME_SCALE = 1.0  # real seconds per simulated minute


@dataclass(kw_only=True, slots=True)
class Timings:
    """Simulated minutes spent in each phase. Mutable: the admin API may tune them at run time."""

    # EMR on EC2
    cluster_starting: float = 3.0
    cluster_bootstrapping: float = 3.0
    cluster_terminating: float = 1.0
    step_default: float = 2.0
    step_cancel: float = 0.25  # CANCEL_PENDING -> CANCELLED for a running step
    log_upload_delay: float = 0.0  # after a step or job ends, before its logs appear in S3
    # EMR Serverless
    app_creating: float = 0.5
    app_starting: float = 1.0
    app_stopping: float = 0.5
    job_submitted: float = 0.1
    job_scheduled: float = 0.25
    job_default: float = 2.0
    job_cancelling: float = 0.25
    # EMR on EKS
    eks_pending: float = 0.25
    eks_submitted: float = 0.25
    eks_default: float = 2.0
    eks_cancelling: float = 0.25
    # Not minutes: a multiplier on the idle timeouts that requests ask for (EMR AutoTerminationPolicy
    # IdleTimeout, Serverless autoStopConfiguration idleTimeoutMinutes). The simulated clock runs
    # 60 / time_scale times faster than Airflow's scheduler, so a 30-minute idle timeout can expire
    # between two tasks of one pipeline; a local stack sets this to 60 / time_scale, which makes idle
    # timeouts count real time while every other phase stays scaled.
    idle_timeout_factor: float = 1.0

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"Timings: unknown phase {key!r}; expected one of {sorted(known)}")
            number = float(value)
            if number < 0:
                raise ValueError(f"Timings.{key}: {value!r} is negative; expected minutes >= 0")
            if key == "idle_timeout_factor" and number == 0:
                raise ValueError(
                    "Timings.idle_timeout_factor: 0 would end every idle cluster at once; expected > 0"
                )
            setattr(self, key, number)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def check_time_scale(value: Any) -> float:
    """Validate a time scale (real seconds per simulated minute)."""
    try:
        scale = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"time_scale: {value!r} is not a number; expected seconds, e.g. 1.0") from None
    if not scale > 0:
        raise ValueError(f"time_scale: {value!r} must be > 0 (real seconds per simulated minute)")
    return scale
