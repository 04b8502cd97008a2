"""API attempts under throttling: the old stacked backoff vs botocore's standard retry mode, same run.

One workload, through the product's aws layer (``EmrApi``): create a cluster, wait for it, add 5
steps, wait for them, terminate it. It runs twice against one emulator with the same seeded faults:

* ``old``  the retry stack emr-dags had before issue 14: a boto3 client with botocore's defaults
           (``legacy`` mode, 5 attempts) and, around every single call, our own 10-attempt jittered
           backoff (a copy of the removed ``emr_dags.aws.backoff.call_with_backoff``, kept here only),
           with hand-written Marker paging.
* ``new``  the client from ``emr_dags.aws.clients.client_for``: botocore ``standard`` mode, 5
           attempts in all, nothing retrying a call above it; List calls through botocore paginators.

Both wait (cluster WAITING, steps terminal) with the same long-poll loop (its own interval and
backoff, which is not a per-call retry). Attempts are counted by the emulator (every HTTP request,
the throttled ones included); logical calls by the layer. Scenarios:

* ``throttle-30``  30% ThrottlingException on every EMR action (the measurement asked for).
* ``throttle-100-describe``  one DescribeCluster, always throttled: how far one call's attempts
  multiply before it gives up (old: 10 x 5; new: 5).
* ``unreachable`` (opt-in: slow for ``old``)  one DescribeCluster against a closed port: the time
  until the call fails, and with what message.

Run:  .venv/bin/python benchmarks/throttling_calls.py [--scenario throttle-30 ...] [--seed 7] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from typing import Any

REQUEST = {
    "Name": "bench-throttling",
    "ReleaseLabel": "emr-7.5.0",
    "Instances": {
        "MasterInstanceType": "m5.xlarge",
        "SlaveInstanceType": "m5.xlarge",
        "InstanceCount": 3,
        "KeepJobFlowAliveWhenNoSteps": True,
    },
    "JobFlowRole": "EMR_EC2_DefaultRole",
    "ServiceRole": "EMR_DefaultRole",
    "StepConcurrencyLevel": 5,
}
STEP = {
    "Name": "step",
    "ActionOnFailure": "CONTINUE",
    "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["spark-submit", "s3://bench/job.py"]},
}
SCENARIOS = {
    "throttle-30": [{"service": "emr", "action": "*", "throttle": 0.3}],
    "throttle-100-describe": [{"service": "emr", "action": "DescribeCluster", "throttle": 1.0}],
}
TIME_SCALE = 0.05  # real seconds per simulated minute: a cluster is WAITING after ~0.3 s
POLL_SECONDS = 0.3
CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


# -- the old behaviour, kept only here -------------------------------------------------------------
OLD_MAX_ATTEMPTS = 10


def old_call_with_backoff(fn: Any, /, **kwargs: Any) -> Any:
    """The removed ``call_with_backoff``: 10 attempts, full jitter, base 0.5 s, cap 30 s."""
    from emr_dags.aws.backoff import backoff_delay, is_retryable

    attempt = 0
    while True:
        attempt += 1
        try:
            return fn(**kwargs)
        except Exception as exc:
            if attempt >= OLD_MAX_ATTEMPTS or not is_retryable(exc):
                raise
            time.sleep(backoff_delay(attempt))


class _OldClient:
    """A boto3 client whose every method goes through the old call-level backoff."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.meta = client.meta

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        return lambda **kw: old_call_with_backoff(method, **kw)


def old_api(endpoint: str, counter: Counter[str]) -> Any:
    import boto3

    from emr_dags.aws.emr import EmrApi

    class OldEmrApi(EmrApi):
        def _call(self, operation: str, **params: Any) -> dict[str, Any]:
            counter[operation] += 1
            return dict(getattr(self.client, operation)(**params))

        def _pages(self, operation: str, items: str, **params: Any) -> Any:
            marker = None
            while True:
                counter[operation] += 1
                page = getattr(self.client, operation)(**params, **({"Marker": marker} if marker else {}))
                yield from page.get(items, [])
                marker = page.get("Marker")
                if not marker:
                    return

    raw = boto3.session.Session(**CREDS).client("emr", endpoint_url=endpoint)  # botocore defaults
    return OldEmrApi(_CountingClient(_OldClient(raw), counter, ("run_job_flow", "add_job_flow_steps")))


def new_api(endpoint: str, counter: Counter[str]) -> Any:
    import boto3

    from emr_dags.aws.clients import AwsTarget, client_for
    from emr_dags.aws.emr import EmrApi

    class NewEmrApi(EmrApi):
        def _call(self, operation: str, **params: Any) -> dict[str, Any]:
            counter[operation] += 1
            return super()._call(operation, **params)

        def _pages(self, operation: str, items: str, **params: Any) -> Any:
            counter[operation] += 1  # one logical listing; the paginator pages inside it
            return super()._pages(operation, items, **params)

    target = AwsTarget(aws_conn_id=None, region_name="us-east-1", endpoint_url=endpoint)
    client = client_for("emr", target, session=boto3.session.Session(**CREDS))
    return NewEmrApi(_CountingClient(client, counter, ("run_job_flow", "add_job_flow_steps")))


class _CountingClient:
    """Counts the direct (non ``_call``) client calls the layer makes: create and add-step."""

    def __init__(self, client: Any, counter: Counter[str], counted: tuple[str, ...]) -> None:
        self._client, self._counter, self._counted = client, counter, counted
        self.meta = client.meta

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if name not in self._counted:
            return method

        def counted(**kw: Any) -> Any:
            self._counter[name] += 1
            return method(**kw)

        return counted


# -- the workload ----------------------------------------------------------------------------------
def long_poll(check: Any, deadline_s: float = 120.0) -> Any:
    """The long-poll loop both variants share: its own interval, and backoff after a failed poll."""
    from emr_dags.aws.backoff import backoff_delay, is_retryable

    failures, end = 0, time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            done = check()
        except Exception as exc:
            if not is_retryable(exc):
                raise
            failures += 1
            time.sleep(min(backoff_delay(failures), 5.0))
            continue
        failures = 0
        if done:
            return done
        time.sleep(POLL_SECONDS)
    raise TimeoutError("workload did not finish in time")


def workload(api: Any, tag: str, rounds: int) -> str:
    return "; ".join(one_round(api, f"{tag}-{i}") for i in range(rounds))


def one_round(api: Any, tag: str) -> str:
    from emr_dags.aws.states import CLUSTER_READY, STEP_TERMINAL

    cid = api.create_cluster(dict(REQUEST, Name=f"bench-{tag}"), f"key-{tag}", {"emr-dags:key": f"key-{tag}"})
    long_poll(lambda: api.describe_cluster(cid)["Status"]["State"] in CLUSTER_READY)
    step_ids = [api.add_step(cid, dict(STEP, Name=f"step-{i}"), f"key-{tag}-{i}") for i in range(5)]
    steps = long_poll(
        lambda: (
            (found := api.list_steps(cid, step_ids))
            and all(s["Status"]["State"] in STEP_TERMINAL for s in found.values())
            and found
        )
    )
    api.terminate(cid)
    states = Counter(s["Status"]["State"] for s in steps.values())
    return f"cluster {cid}, steps {dict(states)}"


def one_describe(api: Any, tag: str, admin: Any, rules: list[dict[str, Any]], seed: int) -> str:
    admin.clear_faults()
    cid = api.create_cluster(dict(REQUEST, Name=f"bench-{tag}"), f"key-{tag}", {"emr-dags:key": f"key-{tag}"})
    admin.set_faults(rules, seed=seed)
    admin.reset_calls()
    api.client._counter.clear()
    api.describe_cluster(cid)
    return "described"


def run_variant(
    name: str, endpoint: str, admin: Any, scenario: str, seed: int, rounds: int
) -> dict[str, Any]:
    rules = SCENARIOS[scenario]
    random.seed(seed)  # the backoff jitter
    admin.reset()
    admin.set_time_scale(TIME_SCALE)
    admin.set_faults(rules, seed=seed)
    admin.reset_calls()
    counter: Counter[str] = Counter()
    api = (old_api if name == "old" else new_api)(endpoint, counter)
    started = time.monotonic()
    try:
        if scenario == "throttle-100-describe":
            outcome = "ok: " + one_describe(api, name, admin, rules, seed)
        else:
            outcome = "ok: " + workload(api, name, rounds)
    except Exception as exc:
        outcome = f"FAILED: {type(exc).__name__}: {str(exc)[:120]}"
    seconds = time.monotonic() - started
    snap = admin.calls()
    admin.clear_faults()
    return {
        "variant": name,
        "outcome": outcome,
        "seconds": round(seconds, 1),
        "logical": dict(counter),
        "attempts": snap["services"].get("emr", {}),
        "throttled": snap["errors"].get("emr", {}),
    }


def run_unreachable(name: str) -> dict[str, Any]:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{sock.getsockname()[1]}"
    counter: Counter[str] = Counter()
    api = (old_api if name == "old" else new_api)(endpoint, counter)
    started = time.monotonic()
    try:
        api.describe_cluster("j-unreachable")
        outcome = "ok?"
    except Exception as exc:
        outcome = f"FAILED: {type(exc).__name__}: {str(exc)[:200]}"
    return {
        "variant": name,
        "outcome": outcome,
        "seconds": round(time.monotonic() - started, 1),
        "logical": dict(counter),
        "attempts": {},
        "throttled": {},
    }


def _camel(op: str) -> str:
    return "".join(w.capitalize() for w in op.split("_"))


def print_table(scenario: str, results: list[dict[str, Any]]) -> None:
    ops = sorted({op for r in results for op in r["attempts"]})
    print(f"\n== {scenario} ==")
    header = f"{'operation':<26}" + "".join(
        f"{r['variant'] + ' calls/attempts/throttled':>34}" for r in results
    )
    print(header)
    for op in ops:
        cells = []
        for r in results:
            logical = sum(n for k, n in r["logical"].items() if _camel(k) == op)
            cells.append(f"{logical:>12}/{r['attempts'].get(op, 0)}/{r['throttled'].get(op, 0)}".rjust(34))
        print(f"{op:<26}" + "".join(cells))
    tot = [
        f"{sum(r['logical'].values()):>12}/{sum(r['attempts'].values())}/{sum(r['throttled'].values())}".rjust(
            34
        )
        for r in results
    ]
    print(f"{'TOTAL':<26}" + "".join(tot))
    for r in results:
        print(f"  {r['variant']}: {r['outcome']} ({r['seconds']} s)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scenario", nargs="+", choices=[*sorted(SCENARIOS), "unreachable"], default=sorted(SCENARIOS)
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3, help="workload rounds (clusters) per variant")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from emr_dags_devkit.emulator import start_emulator

    emu = start_emulator(port=0, time_scale=TIME_SCALE)  # in this process: nothing here uses moto
    out = {}
    try:
        for scenario in args.scenario:
            if scenario == "unreachable":
                results = [run_unreachable(v) for v in ("old", "new")]
            else:
                results = [
                    run_variant(v, emu.endpoint_url, emu.admin, scenario, args.seed, args.rounds)
                    for v in ("old", "new")
                ]
            out[scenario] = results
            print_table(scenario, results)
    finally:
        emu.stop()
    if args.json:
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
