"""API calls needed to watch N concurrent steps on one cluster to completion: emr-dags vs stock.

Three watchers, each run against the same emulator, cluster, step durations and poll interval:

* ``emr-dags``        N ``EmrStepsTrigger`` (one per step task) in one event loop, as in the triggerer:
                      they share one poller per cluster, i.e. one ListSteps per interval.
* ``stock trigger``   N ``EmrStepSensorTrigger`` (amazon provider 9.x, deferrable sensor): a
                      DescribeStep waiter per step per interval.
* ``stock poke``      N ``EmrStepSensor`` in poke mode, one thread each: DescribeStep per step per poke.

Calls are counted by the emulator's call accounting (only the watching calls: ListSteps,
DescribeStep, DescribeCluster). Run:  .venv/bin/python benchmarks/api_calls.py [--n 1 5 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import threading
import time
from typing import Any

WATCH_ACTIONS = ("ListSteps", "DescribeStep", "DescribeCluster")
POLL_SECONDS = 1  # the stock trigger's waiter_delay is an int: 1 s is the fastest fair interval
STEP_MINUTES = 40.0  # simulated minutes a step runs; with time_scale 1.0 that is 40 s real:
# long against watcher start-up (client creation), so the steady-state polling dominates the count


def _emr(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "emr",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _cluster(emr: Any, n: int) -> str:
    cid = emr.run_job_flow(
        Name=f"bench-{n}",
        ReleaseLabel="emr-7.5.0",
        Instances={
            "MasterInstanceType": "m5.xlarge",
            "SlaveInstanceType": "m5.xlarge",
            "InstanceCount": 3,
            "KeepJobFlowAliveWhenNoSteps": True,
        },
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
        StepConcurrencyLevel=max(n, 1),
    )["JobFlowId"]
    while emr.describe_cluster(ClusterId=cid)["Cluster"]["Status"]["State"] != "WAITING":
        time.sleep(0.2)
    return cid


def _add_steps(emr: Any, cid: str, n: int, tag: str) -> list[str]:
    steps = [
        {
            "Name": f"{tag}-{i}",
            "ActionOnFailure": "CONTINUE",
            "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["spark-submit", "s3://code/job.py"]},
        }
        for i in range(n)
    ]
    return list(emr.add_job_flow_steps(JobFlowId=cid, Steps=steps)["StepIds"])


def _watch_calls(admin: Any) -> dict[str, int]:
    emr_calls = admin.calls()["services"].get("emr", {})
    return {a: int(emr_calls.get(a, 0)) for a in WATCH_ACTIONS}


async def _run_triggers(triggers: list[Any]) -> list[dict[str, Any]]:
    async def first(trigger: Any) -> dict[str, Any]:
        async for event in trigger.run():
            return dict(event.payload)
        return {}

    return await asyncio.gather(*(first(t) for t in triggers))


def watch_emr_dags(cid: str, step_ids: list[str]) -> None:
    from emr_dags.triggers.emr import EmrStepsTrigger

    triggers = [EmrStepsTrigger(cluster_id=cid, step_ids=[s], poll_interval=POLL_SECONDS) for s in step_ids]
    asyncio.run(_run_triggers(triggers))


def watch_stock_trigger(cid: str, step_ids: list[str]) -> None:
    from airflow.providers.amazon.aws.triggers.emr import EmrStepSensorTrigger

    triggers = [
        EmrStepSensorTrigger(
            job_flow_id=cid, step_id=s, waiter_delay=POLL_SECONDS, waiter_max_attempts=10_000
        )
        for s in step_ids
    ]
    asyncio.run(_run_triggers(triggers))


def watch_stock_poke(cid: str, step_ids: list[str]) -> None:
    from airflow.providers.amazon.aws.sensors.emr import EmrStepSensor

    def one(step_id: str) -> None:
        sensor = EmrStepSensor(
            task_id=f"w_{step_id}", job_flow_id=cid, step_id=step_id, poke_interval=POLL_SECONDS
        )
        while not sensor.poke({}):
            time.sleep(POLL_SECONDS)

    threads = [threading.Thread(target=one, args=(s,)) for s in step_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


class _EmulatorProcess:
    def __init__(self) -> None:
        import re
        import subprocess
        import sys

        from emr_dags_devkit.emulator.client import EmulatorAdmin

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "emr_dags_devkit.emulator", "--port", "0", "--time-scale", "1.0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            found = re.search(r"listening on (http://\S+)", line)
            if found:
                self.endpoint_url = found.group(1)
                break
        else:
            raise RuntimeError("emulator did not start")
        self.admin = EmulatorAdmin(self.endpoint_url)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


WATCHERS = {"emr-dags": watch_emr_dags, "stock trigger": watch_stock_trigger, "stock poke": watch_stock_poke}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args()

    import logging

    logging.disable(logging.WARNING)
    # Import everything up front so no watcher pays import time inside the measured window.
    import airflow.providers.amazon.aws.sensors.emr  # noqa: F401
    import airflow.providers.amazon.aws.triggers.emr  # noqa: F401

    import emr_dags.aws.clients  # noqa: F401
    import emr_dags.triggers.emr  # noqa: F401

    # The emulator runs in its own process so it does not compete with the watchers for the GIL.
    handle = _EmulatorProcess()
    try:
        handle.admin.set_timings(step_default=STEP_MINUTES)
        os.environ["AIRFLOW_CONN_AWS_DEFAULT"] = json.dumps(
            {"conn_type": "aws", "extra": {"endpoint_url": handle.endpoint_url, "region_name": "us-east-1"}}
        )
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        emr, admin = _emr(handle.endpoint_url), handle.admin
        rows = []
        for n in args.n:
            cid = _cluster(emr, n)
            row: dict[str, Any] = {"n": n}
            for name, watch in WATCHERS.items():
                step_ids = _add_steps(emr, cid, n, name.replace(" ", "-"))
                admin.reset_calls()
                started = time.monotonic()
                watch(cid, step_ids)
                calls = _watch_calls(admin)
                row[name] = sum(calls.values())
                row[f"{name} detail"] = calls
                row[f"{name} seconds"] = round(time.monotonic() - started, 1)
            emr.terminate_job_flows(JobFlowIds=[cid])
            rows.append(row)
    finally:
        handle.stop()

    header = f"{'N':>3} | {'emr-dags':>9} | {'stock trigger':>13} | {'stock poke':>10} | {'ratio vs best stock':>19}"
    print(
        f"API calls to watch N concurrent steps ({STEP_MINUTES:g} s each) to completion, poll every {POLL_SECONDS} s"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        best = min(r["stock trigger"], r["stock poke"])
        print(
            f"{r['n']:>3} | {r['emr-dags']:>9} | {r['stock trigger']:>13} | {r['stock poke']:>10} | "
            f"{r['emr-dags'] / best if best else 0:>19.3f}"
        )
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
