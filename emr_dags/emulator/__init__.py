"""The local EMR / EMR Serverless / EMR on EKS emulator (moto underneath).

Names load lazily so ``import emr_dags.emulator`` stays cheap and never imports moto or boto3::

    from emr_dags.emulator import start_emulator

    with start_emulator(time_scale=0.1) as emu:
        boto3.client("emr", endpoint_url=emu.endpoint_url, ...)
        emu.admin.add_rule(match={"step_name": "etl-*"}, outcome="fail", stderr="boom")
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "start_emulator": "emr_dags.emulator.server",
    "EmulatorHandle": "emr_dags.emulator.server",
    "EmulatorAdmin": "emr_dags.emulator.client",
    "EmulatorAdminError": "emr_dags.emulator.client",
    "Rule": "emr_dags.emulator.rules",
    "Outcome": "emr_dags.emulator.rules",
    "load_rules_file": "emr_dags.emulator.rules",
    "Timings": "emr_dags.emulator.config",
    "DEFAULT_TIME_SCALE": "emr_dags.emulator.config",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'emr_dags.emulator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
