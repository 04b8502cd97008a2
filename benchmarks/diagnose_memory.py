"""Peak memory and time of diagnosing one huge gzipped log.

Generates (streaming, never holding it in memory) a gzipped Spark driver log whose *compressed*
size is ``--size-mb`` (default 500 MB), with realistic noise — log4j INFO lines, progress bars,
benign WARNs, a retried task's stack trace — and the decisive error (a ``Caused by:`` chain ending
in an S3 ``Access Denied``) near the end. It then diagnoses it with ``diagnose_paths`` in a child
process and reports that child's peak RSS (``resource.getrusage(...).ru_maxrss``), so generation
does not count, and the throughput in MB of (uncompressed) log text per CPU second of that
child. Targets: peak RSS under 200 MB, at least 100 MB/s of text per CPU second.

    .venv/bin/python benchmarks/diagnose_memory.py              # 500 MB gzip
    .venv/bin/python benchmarks/diagnose_memory.py --size-mb 50 # quicker
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RSS_MB = 200
DECISIVE = (
    "Caused by: com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; "
    "Status Code: 403; Error Code: AccessDenied; Request ID: 7Q3ZJ9K2M1XW8D4B; Proxy: null)"
)


def _pool(rng: random.Random, size: int = 40_000) -> list[bytes]:
    """Distinct noise lines; random ids keep the gzip ratio realistic (about 5:1)."""
    lines = []
    for i in range(size):
        host = f"ip-10-0-{rng.randrange(1, 8)}-{rng.randrange(2, 250)}.ec2.internal"
        ts = f"25/11/25 {rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
        kind = i % 10
        if kind == 0:
            done = rng.randrange(200)
            line = f"[Stage {rng.randrange(1, 30)}:{'=' * (done // 10)}>{' ' * (20 - done // 10)}({done} + 4) / 200]\r"
        elif kind < 5:
            line = (
                f"{ts} INFO TaskSetManager: Finished task {rng.randrange(200)}.0 in stage {rng.randrange(30)}.0 "
                f"(TID {rng.randrange(10**6)}) in {rng.randrange(50, 9000)} ms on {host} "
                f"(executor {rng.randrange(1, 60)}) ({rng.randrange(1, 200)}/200)\n"
            )
        elif kind < 7:
            line = (
                f"{ts} INFO BlockManagerInfo: Added rdd_{rng.randrange(1000)}_{rng.randrange(1000)} in memory on "
                f"{host}:{rng.randrange(30000, 45000)} (size: {rng.randrange(1, 900)}.{rng.randrange(10)} KiB, "
                f"free: {rng.randrange(1, 9)}.{rng.randrange(10)} GiB) {rng.getrandbits(64):016x}\n"
            )
        elif kind == 7:
            line = (
                f"{ts} INFO S3NativeFileSystem: Opening 's3://acme-data/raw/orders/dt=2025-11-{rng.randrange(1, 29):02d}/"
                f"part-{rng.randrange(99999):05d}-{rng.getrandbits(48):012x}.snappy.parquet' for reading\n"
            )
        elif kind == 8:
            line = f"{ts} WARN HiveConf: HiveConf of name hive.server2.thrift.url does not exist\n"
        else:
            line = (
                f"{ts} INFO YarnAllocator: Completed container container_1732500000000_0007_01_{rng.randrange(2, 999):06d}"
                f" on host: {host} (state: COMPLETE, exit status: 0)\n"
            )
        lines.append(line.encode())
    return lines


RETRIED_TASK = (
    b"25/11/25 03:12:40 WARN TaskSetManager: Lost task 17.0 in stage 3.0 (TID 301) (ip-10-0-2-7.ec2.internal "
    b"executor 5): java.io.IOException: Connection reset by peer\n"
    + b"".join(
        b"\tat org.apache.spark.network.util.TransportFrameDecoder.channelRead(TransportFrameDecoder.java:%d)\n"
        % n
        for n in range(200)
    )
)

TAIL = "\n".join(
    [
        "Traceback (most recent call last):",
        '  File "/mnt/tmp/spark-2b44/export_partner_feed.py", line 77, in <module>',
        '    feed.write.mode("overwrite").parquet("s3://partner-exchange-prod/acme/feed/2025-11-24/")',
        "py4j.protocol.Py4JJavaError: An error occurred while calling o98.parquet.",
        ": java.io.IOException: Unable to create directory s3://partner-exchange-prod/acme/feed/2025-11-24/_temporary/0",
        *[
            f"\tat com.amazon.ws.emr.hadoop.fs.s3n.S3NativeFileSystem.mkdirs(S3NativeFileSystem.java:{n})"
            for n in range(300)
        ],
        DECISIVE,
        *[f"\tat com.amazonaws.http.AmazonHttpClient.execute(AmazonHttpClient.java:{n})" for n in range(50)],
        "25/11/25 03:20:01 INFO SparkContext: Invoking stop() from shutdown hook",
        "",
    ]
).encode()


def generate(path: Path, size_mb: int, seed: int = 7) -> tuple[int, float]:
    """Write the log; return (uncompressed bytes, seconds). Streams: memory stays flat."""
    rng = random.Random(seed)
    pool = _pool(rng)
    target = size_mb * 1_000_000
    raw = 0
    start = time.perf_counter()
    with open(path, "wb") as file, gzip.GzipFile(fileobj=file, mode="wb", compresslevel=1) as gz:
        blocks = 0
        while file.tell() < target - 2_000_000:
            block = b"".join(rng.choices(pool, k=8000))
            if blocks % 200 == 0:
                block += RETRIED_TASK
            gz.write(block)
            raw += len(block)
            blocks += 1
        gz.write(TAIL)
        raw += len(TAIL)
    return raw, time.perf_counter() - start


# ru_maxrss of a freshly exec'd child can still report the parent's RSS at fork time, so the child
# also reads VmHWM (peak RSS of its own address space) from /proc where there is one.
CHILD = """
import json, resource, sys, time
def hwm_kb():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
from emr_dags.diagnostics.api import local_sources, scan_sources
from emr_dags.diagnostics.explain import explain
baseline = hwm_kb()
start = time.perf_counter()
scans, problems = scan_sources(local_sources([sys.argv[1]])[0])  # what diagnose_paths does, sizes kept
d = explain(scans, searched=[s.name for s in scans], missing=problems)
elapsed = time.perf_counter() - start
text_bytes = sum(s.bytes for s in scans)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"elapsed": elapsed, "cpu": usage.ru_utime + usage.ru_stime, "peak_rss_kb": usage.ru_maxrss,
                  "vm_hwm_kb": hwm_kb(), "import_hwm_kb": baseline, "text_bytes": text_bytes, "category": d.category.value,
                  "decisive": d.decisive_line.text if d.decisive_line else None,
                  "line": d.decisive_line.line if d.decisive_line else None, "summary": d.summary}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=500, help="compressed size of the generated log (MB)")
    parser.add_argument(
        "--path", type=Path, help="where to write the log (default: a temp file, removed after)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="diagnose --path as it is, without regenerating it"
    )
    args = parser.parse_args()
    path = args.path or Path(tempfile.mkdtemp()) / "stderr.gz"
    if not (args.reuse and path.exists()):
        raw, gen_seconds = generate(path, args.size_mb)
        print(
            f"generated {path}: {path.stat().st_size / 1e6:.0f} MB gzip, {raw / 1e6:.0f} MB uncompressed "
            f"in {gen_seconds:.0f}s"
        )
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=False
    )
    if result.returncode:
        print(result.stderr, file=sys.stderr)
        return 1
    data = json.loads(result.stdout)
    peak_mb = max(data["peak_rss_kb"], data["vm_hwm_kb"] or 0) / 1024
    size = path.stat().st_size
    print(
        f"diagnosed {data['text_bytes'] / 1e6:.0f} MB of log text in {data['elapsed']:.1f}s wall, "
        f"{data['cpu']:.1f}s CPU: {data['text_bytes'] / 1e6 / data['cpu']:.0f} MB/s of text per CPU second "
        f"({size / 1e6 / data['cpu']:.1f} MB/s of gzip)"
    )
    print(
        f"peak RSS of the diagnosing process: ru_maxrss {data['peak_rss_kb'] / 1024:.0f} MB, "
        f"VmHWM {(data['vm_hwm_kb'] or 0) / 1024:.0f} MB (after imports: {(data['import_hwm_kb'] or 0) / 1024:.0f} MB); "
        f"target < {TARGET_RSS_MB} MB"
    )
    print(f"category: {data['category']}; decisive line {data['line']}: {data['decisive']}")
    ok = data["category"] == "s3_access_denied" and data["decisive"] == DECISIVE and peak_mb < TARGET_RSS_MB
    print("OK" if ok else "FAILED")
    if not args.path:
        os.unlink(path)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
