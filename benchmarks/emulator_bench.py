"""Emulator benchmark: requests/second for DescribeStep / ListSteps / GetJobRun mixes, and RSS.

Starts the emulator as a subprocess (as Airflow and the test tiers use it), fills it with
``--clusters`` clusters of ``--steps`` steps each (default 1,000 clusters, 10,000 steps) plus a
Serverless application with ``--job-runs`` runs, then drives each request mix from ``--threads``
boto3 clients for ``--seconds`` seconds and prints requests/second and the emulator's RSS.

    .venv/bin/python benchmarks/emulator_bench.py                 # full size
    .venv/bin/python benchmarks/emulator_bench.py --clusters 50 --seconds 2   # quick look

The figures are end to end (boto3 signing and parsing included), on whatever the machine is doing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

REPO = Path(__file__).resolve().parents[1]
ROLE = "arn:aws:iam::123456789012:role/bench"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start(time_scale: float) -> tuple[subprocess.Popen[str], str, Any]:
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "emr_dags_devkit.emulator", "--port", "0", "--time-scale", str(time_scale)],
        cwd=REPO,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = re.search(r"listening on (http://\S+)", Path(log.name).read_text())
        if found:
            return proc, found.group(1), log
        if proc.poll() is not None:
            raise SystemExit(f"emulator exited: {Path(log.name).read_text()[-2000:]}")
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("emulator did not start")


def client(endpoint: str, service: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, max_pool_connections=4),
    )


def populate(
    endpoint: str, clusters: int, steps: int, job_runs: int
) -> tuple[list[tuple[str, str]], list[str], str, list[str]]:
    emr = client(endpoint, "emr")
    pairs: list[tuple[str, str]] = []
    cluster_ids: list[str] = []
    step_defs = [
        {"Name": f"step-{i}", "ActionOnFailure": "CONTINUE",
         "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["spark-submit", f"s3://code/{i}.py"]}}
        for i in range(steps)
    ]  # fmt: skip
    begin = time.perf_counter()
    for n in range(clusters):
        cid = emr.run_job_flow(
            Name=f"bench-{n}",
            ReleaseLabel="emr-7.5.0",
            Instances={"MasterInstanceType": "m5.xlarge", "SlaveInstanceType": "m5.xlarge", "InstanceCount": 3,
                       "KeepJobFlowAliveWhenNoSteps": True},
            JobFlowRole="EMR_EC2_DefaultRole",
            ServiceRole="EMR_DefaultRole",
            Steps=step_defs,
        )["JobFlowId"]  # fmt: skip
        cluster_ids.append(cid)
    for cid in cluster_ids[: min(len(cluster_ids), 200)]:
        for s in emr.list_steps(ClusterId=cid)["Steps"]:
            pairs.append((cid, s["Id"]))
    sl = client(endpoint, "emr-serverless")
    app = sl.create_application(name="bench", releaseLabel="emr-7.5.0", type="SPARK")["applicationId"]
    runs = [
        sl.start_job_run(applicationId=app, executionRoleArn=ROLE, name=f"r{i}",
                         jobDriver={"sparkSubmit": {"entryPoint": "s3://code/x.py"}})["jobRunId"]
        for i in range(job_runs)
    ]  # fmt: skip
    print(
        f"populated {clusters} clusters x {steps} steps and {job_runs} job runs in {time.perf_counter() - begin:.1f} s"
    )
    return pairs, cluster_ids, app, runs


def drive(
    name: str,
    make_call: Callable[[Any, Any, random.Random], None],
    endpoint: str,
    threads: int,
    seconds: float,
) -> float:
    counts = [0] * threads
    errors = [0] * threads
    clients = [(client(endpoint, "emr"), client(endpoint, "emr-serverless")) for _ in range(threads)]
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        emr, sl = clients[i]
        rng = random.Random(i)
        while time.monotonic() < stop:
            try:
                make_call(emr, sl, rng)
                counts[i] += 1
            except Exception:
                errors[i] += 1

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    begin = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    rate = sum(counts) / (time.monotonic() - begin)
    print(f"  {name:<34} {rate:8.1f} req/s   ({sum(counts)} ok, {sum(errors)} errors)")
    return rate


def raw_call(endpoint: str) -> Callable[[str, str, str, dict[str, str], bytes], int]:
    """A minimal HTTP client: the emulator does not check signatures, so a fixed header will do."""
    import http.client
    from urllib.parse import urlparse

    url = urlparse(endpoint)

    def call(service: str, method: str, path: str, headers: dict[str, str], body: bytes) -> int:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        auth = f"AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
        conn.request(method, path, body=body, headers={"Authorization": auth, **headers})
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status

    return call


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=10, help="steps per cluster")
    parser.add_argument("--job-runs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--time-scale", type=float, default=1.0)
    args = parser.parse_args()

    proc, endpoint, log = start(args.time_scale)
    try:
        print(f"emulator {endpoint} (pid {proc.pid}), idle RSS {rss_mb(proc.pid):.0f} MiB")
        pairs, cluster_ids, app, runs = populate(endpoint, args.clusters, args.steps, args.job_runs)
        print(f"RSS with {args.clusters} clusters / {args.clusters * args.steps} steps / {args.job_runs} job runs: "
              f"{rss_mb(proc.pid):.0f} MiB")  # fmt: skip

        def describe_step(emr: Any, sl: Any, rng: random.Random) -> None:
            cid, sid = rng.choice(pairs)
            emr.describe_step(ClusterId=cid, StepId=sid)

        def list_steps(emr: Any, sl: Any, rng: random.Random) -> None:
            emr.list_steps(ClusterId=rng.choice(cluster_ids))

        def get_job_run(emr: Any, sl: Any, rng: random.Random) -> None:
            sl.get_job_run(applicationId=app, jobRunId=rng.choice(runs))

        def mix(emr: Any, sl: Any, rng: random.Random) -> None:
            roll = rng.random()
            (describe_step if roll < 0.5 else list_steps if roll < 0.8 else get_job_run)(emr, sl, rng)

        print(f"throughput, {args.threads} client threads x {args.seconds:.0f} s each:")
        drive("DescribeStep", describe_step, endpoint, args.threads, args.seconds)
        drive("ListSteps", list_steps, endpoint, args.threads, args.seconds)
        drive("GetJobRun", get_job_run, endpoint, args.threads, args.seconds)
        drive("mix 50% Describe/30% List/20% Get", mix, endpoint, args.threads, args.seconds)
        drive("DescribeStep, 1 thread", describe_step, endpoint, 1, args.seconds)

        # The same mixes without boto3 on the client side (no signing, no parsing): closer to what the
        # server itself can serve on this machine.
        call = raw_call(endpoint)
        emr_json = {"Content-Type": "application/x-amz-json-1.1"}

        def raw_describe(emr: Any, sl: Any, rng: random.Random) -> None:
            cid, sid = rng.choice(pairs)
            body = json.dumps({"ClusterId": cid, "StepId": sid}).encode()
            assert (
                call(
                    "elasticmapreduce",
                    "POST",
                    "/",
                    {**emr_json, "X-Amz-Target": "ElasticMapReduce.DescribeStep"},
                    body,
                )
                == 200
            )

        def raw_list(emr: Any, sl: Any, rng: random.Random) -> None:
            body = json.dumps({"ClusterId": rng.choice(cluster_ids)}).encode()
            assert (
                call(
                    "elasticmapreduce",
                    "POST",
                    "/",
                    {**emr_json, "X-Amz-Target": "ElasticMapReduce.ListSteps"},
                    body,
                )
                == 200
            )

        def raw_get(emr: Any, sl: Any, rng: random.Random) -> None:
            assert (
                call("emr-serverless", "GET", f"/applications/{app}/jobruns/{rng.choice(runs)}", {}, b"")
                == 200
            )

        def raw_mix(emr: Any, sl: Any, rng: random.Random) -> None:
            roll = rng.random()
            (raw_describe if roll < 0.5 else raw_list if roll < 0.8 else raw_get)(emr, sl, rng)

        print(f"raw HTTP (no boto3), {args.threads} client threads x {args.seconds:.0f} s each:")
        drive("DescribeStep (raw)", raw_describe, endpoint, args.threads, args.seconds)
        drive("ListSteps (raw)", raw_list, endpoint, args.threads, args.seconds)
        drive("GetJobRun (raw)", raw_get, endpoint, args.threads, args.seconds)
        drive("mix 50/30/20 (raw)", raw_mix, endpoint, args.threads, args.seconds)
        print(f"RSS after the run: {rss_mb(proc.pid):.0f} MiB")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        os.unlink(log.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
