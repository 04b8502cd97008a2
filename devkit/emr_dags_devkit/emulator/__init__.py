"""The local EMR / EMR Serverless / EMR on EKS emulator (moto underneath).

Names load lazily so ``import emr_dags_devkit.emulator`` stays cheap and never imports moto or boto3::

    from emr_dags_devkit.emulator import start_emulator

    with start_emulator(time_scale=0.1) as emu:
        boto3.client("emr", endpoint_url=emu.endpoint_url, ...)
        emu.admin.add_rule(match={"step_name": "etl-*"}, outcome="fail", stderr="boom")
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "start_emulator": "emr_dags_devkit.emulator.server",
    "EmulatorHandle": "emr_dags_devkit.emulator.server",
    "EmulatorAdmin": "emr_dags_devkit.emulator.client",
    "EmulatorAdminError": "emr_dags_devkit.emulator.client",
    "Rule": "emr_dags_devkit.emulator.rules",
    "Outcome": "emr_dags_devkit.emulator.rules",
    "load_rules_file": "emr_dags_devkit.emulator.rules",
    "Timings": "emr_dags_devkit.emulator.config",
    "DEFAULT_TIME_SCALE": "emr_dags_devkit.emulator.config",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'emr_dags_devkit.emulator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
