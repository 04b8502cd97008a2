"""A triggerer-like process: run many wait triggers' async loops in one event loop, measure CPU and RSS.

Run as ``python -m emr_dags_devkit.bench.trigger_probe FLAVOUR SPEC.json`` by ``emr-dags bench`` (row
``triggerer``), with ``AIRFLOW_CONN_AWS_DEFAULT`` pointing at an emulator whose steps never finish.
FLAVOUR ``emr-dags`` runs ``EmrStepsTrigger`` (shared poller: one ListSteps per cluster per interval);
``stock`` runs the amazon provider's ``EmrStepSensorTrigger`` (an aiobotocore waiter per step:
DescribeStep per step per interval). Prints one JSON line: CPU seconds and RSS over the window.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def _rss_mib() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 1024 / 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _triggers(flavour: str, waits: list[list[str]], interval: float) -> list[Any]:
    if flavour == "emr-dags":
        from emr_dags.triggers.emr import EmrStepsTrigger

        return [EmrStepsTrigger(cluster_id=c, step_ids=[s], poll_interval=interval) for c, s in waits]
    from airflow.providers.amazon.aws.triggers.emr import EmrStepSensorTrigger

    return [
        EmrStepSensorTrigger(job_flow_id=c, step_id=s, waiter_delay=int(interval), waiter_max_attempts=100000)
        for c, s in waits
    ]


async def _drive(triggers: list[Any], window: float) -> tuple[int, float, float]:
    """Run every trigger's loop for ``window`` seconds; returns (events fired early, cpu, peak rss)."""
    events = 0

    async def one(trigger: Any) -> None:
        nonlocal events
        async for _ in trigger.run():
            events += 1
            return

    cpu0 = _cpu()
    tasks = [asyncio.create_task(one(t)) for t in triggers]
    peak = _rss_mib()
    end = time.monotonic() + window
    while time.monotonic() < end:
        await asyncio.sleep(0.5)
        peak = max(peak, _rss_mib())
    cpu = _cpu() - cpu0
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return events, cpu, peak


def main(argv: list[str]) -> int:
    flavour, spec_path = argv[0], argv[1]
    spec = json.loads(Path(spec_path).read_text())
    import airflow.sdk  # noqa: F401 - a triggerer has Airflow imported before any trigger runs

    if flavour == "stock":
        import airflow.providers.amazon.aws.triggers.emr  # noqa: F401
    else:
        import emr_dags.triggers.emr  # noqa: F401
    base_rss = _rss_mib()
    triggers = _triggers(flavour, spec["waits"], float(spec["interval"]))
    events, cpu, peak = asyncio.run(_drive(triggers, float(spec["window"])))
    print(
        json.dumps(
            {
                "flavour": flavour,
                "waits": len(triggers),
                "cpu_seconds": round(cpu, 3),
                "rss_mib_base": round(base_rss, 1),
                "rss_mib_peak": round(peak, 1),
                "rss_mib_added": round(peak - base_rss, 1),
                "early_events": events,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
