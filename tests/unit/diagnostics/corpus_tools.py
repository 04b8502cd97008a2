"""Materialise the failure-log corpus: expand ``@@noise KIND N@@`` / ``@@frames N@@`` seeds.

The decisive parts of every log are written by hand in ``corpus/``; the thousands of lines of
Spark/YARN/Hive noise around them are generated here, deterministically (seeded by file name), so
the repository stays small and the tests still read realistic, long, noisy logs.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = CORPUS / "manifest.json"
_DIRECTIVE = re.compile(r"^@@(noise|frames) (\w+)(?: (\d+))?@@$")


def load_manifest() -> list[dict[str, object]]:
    return json.loads(MANIFEST.read_text())["cases"]


def _ts(rng: random.Random) -> str:
    return f"25/11/25 03:{rng.randrange(0, 60):02d}:{rng.randrange(0, 60):02d}"


def _host(rng: random.Random) -> str:
    return f"ip-10-0-{rng.randrange(1, 8)}-{rng.randrange(2, 250)}.ec2.internal"


def spark_driver(rng: random.Random, n: int) -> Iterator[str]:  # noqa: C901 - a table of line shapes
    stage = rng.randrange(1, 9)
    for i in range(n):
        kind = rng.randrange(12)
        tid = rng.randrange(1, 5000)
        if kind == 0:
            done = rng.randrange(0, 200)
            bar = "=" * (done // 10) + ">"
            yield f"[Stage {stage}:{bar:<21}({done} + 4) / 200]"
        elif kind < 4:
            yield (
                f"{_ts(rng)} INFO TaskSetManager: Finished task {tid % 200}.0 in stage {stage}.0 (TID {tid}) "
                f"in {rng.randrange(80, 9000)} ms on {_host(rng)} (executor {rng.randrange(1, 20)}) "
                f"({rng.randrange(1, 200)}/200)"
            )
        elif kind < 6:
            yield (
                f"{_ts(rng)} INFO TaskSetManager: Starting task {tid % 200}.0 in stage {stage}.0 (TID {tid}) "
                f"({_host(rng)}, executor {rng.randrange(1, 20)}, partition {tid % 200}, PROCESS_LOCAL, "
                f"{rng.randrange(7000, 9000)} bytes)"
            )
        elif kind == 6:
            yield (
                f"{_ts(rng)} INFO BlockManagerInfo: Added broadcast_{i % 97}_piece0 in memory on "
                f"{_host(rng)}:{rng.randrange(30000, 45000)} (size: {rng.randrange(5, 60)}.{rng.randrange(10)} KiB, "
                f"free: {rng.randrange(1, 6)}.{rng.randrange(10)} GiB)"
            )
        elif kind == 7:
            yield f"{_ts(rng)} INFO BlockManagerInfo: Removed broadcast_{i % 97}_piece0 on {_host(rng)}:41231 in memory"
        elif kind == 8:
            yield (
                f"{_ts(rng)} INFO DAGScheduler: Submitting {rng.randrange(1, 200)} missing tasks from ResultStage "
                f"{stage} (MapPartitionsRDD[{rng.randrange(10, 90)}] at parquet at NativeMethodAccessorImpl.java:0)"
            )
        elif kind == 9:
            yield f"{_ts(rng)} INFO ContextCleaner: Cleaned accumulator {rng.randrange(100, 9000)}"
        elif kind == 10:
            yield (
                f"{_ts(rng)} INFO YarnSchedulerBackend$YarnDriverEndpoint: Registered executor NettyRpcEndpointRef"
                f"(spark-client://Executor) ({_host(rng)}:4{rng.randrange(1000, 9999)}) with ID {rng.randrange(1, 30)}"
            )
        else:
            yield (
                f"{_ts(rng)} INFO MemoryStore: Block broadcast_{i % 97} stored as values in memory "
                f"(estimated size {rng.randrange(100, 900)}.0 KiB, free {rng.randrange(900, 5000)}.1 MiB)"
            )
            if rng.randrange(50) == 0:
                stage += 1


def executor(rng: random.Random, n: int) -> Iterator[str]:
    for _ in range(n):
        tid = rng.randrange(1, 5000)
        kind = rng.randrange(5)
        if kind == 0:
            yield f"{_ts(rng)} INFO Executor: Running task {tid % 200}.0 in stage 3.0 (TID {tid})"
        elif kind == 1:
            yield f"{_ts(rng)} INFO Executor: Finished task {tid % 200}.0 in stage 3.0 (TID {tid}). 2987 bytes result sent to driver"
        elif kind == 2:
            yield (
                f"{_ts(rng)} INFO ShuffleBlockFetcherIterator: Getting {rng.randrange(1, 200)} (1024.3 KiB) non-empty "
                f"blocks including 0 (0.0 B) local and 0 (0.0 B) host-local and {rng.randrange(1, 200)} remote blocks"
            )
        elif kind == 3:
            yield (
                f"{_ts(rng)} INFO S3NativeFileSystem: Opening 's3://acme-data/raw/orders/dt=2025-11-24/"
                f"part-{rng.randrange(0, 999):05d}-6f1c.snappy.parquet' for reading"
            )
        else:
            yield f"{_ts(rng)} INFO CodeGenerator: Code generated in {rng.randrange(5, 90)}.{rng.randrange(100, 999)} ms"


def yarn_client(rng: random.Random, n: int) -> Iterator[str]:
    app = "application_1732500000000_0007"
    for _ in range(n):
        yield f"{_ts(rng)} INFO Client: Application report for {app} (state: RUNNING)"


def hive(rng: random.Random, n: int) -> Iterator[str]:
    for i in range(n):
        kind = rng.randrange(4)
        if kind == 0:
            yield (
                f"2025-11-25 03:{rng.randrange(60):02d}:{rng.randrange(60):02d},{rng.randrange(1000):03d} INFO "
                f"[main] SessionState: Map 1: {rng.randrange(0, 40)}(+{rng.randrange(0, 8)})/40\tReducer 2: 0/1"
            )
        elif kind == 1:
            yield f"INFO  : Compiling command(queryId=hive_20251125031200_{i:08x}): INSERT OVERWRITE TABLE ..."
        elif kind == 2:
            yield f"2025-11-25 03:12:{rng.randrange(60):02d},117 INFO [main] log.PerfLogger: <PERFLOG method=compile>"
        else:
            yield f"2025-11-25 03:12:{rng.randrange(60):02d},118 INFO [main] ql.Driver: Semantic Analysis Completed"


def python_stdout(rng: random.Random, n: int) -> Iterator[str]:
    for i in range(n):
        yield (
            f"2025-11-25 03:{rng.randrange(60):02d}:{rng.randrange(60):02d},{rng.randrange(1000):03d} "
            f"INFO etl.daily_orders: batch {i} rows={rng.randrange(1000, 90000)} "
            f"bytes={rng.randrange(10**5, 10**8)}"
        )


def trino(rng: random.Random, n: int) -> Iterator[str]:
    for i in range(n):
        yield (
            f"Query 20251125_031245_00012_ab3cd, RUNNING, {rng.randrange(1, 6)} nodes, "
            f"{rng.randrange(10, 900)} splits, {i % 100}% [{'=' * (i % 40)}>"
        )


def benign(rng: random.Random, n: int) -> Iterator[str]:
    """Warnings every healthy EMR Spark job prints; none is a cause."""
    lines = [
        f"{_ts(rng)} WARN NativeCodeLoader: Unable to load native-hadoop library for your platform... using builtin-java classes where applicable",
        f"{_ts(rng)} WARN HiveConf: HiveConf of name hive.server2.thrift.url does not exist",
        f"{_ts(rng)} WARN Client: Neither spark.yarn.jars nor spark.yarn.archive is set, falling back to uploading libraries under SPARK_HOME.",
        f"{_ts(rng)} INFO YarnAllocator: Completed container container_1732500000000_0007_01_000003 on host: {_host(rng)} (state: COMPLETE, exit status: 0)",
        f"{_ts(rng)} WARN DomainSocketFactory: The short-circuit local reads feature cannot be used because libhadoop cannot be loaded.",
        f"{_ts(rng)} INFO ShutdownHookManager: Deleting directory /mnt/tmp/spark-0b4e1f9c-2d4a-4c6b-9f0e-8c1d2e3f4a5b",
    ]
    for i in range(n):
        yield lines[i % len(lines)]


FRAMES = [
    "org.apache.spark.sql.execution.datasources.FileFormatWriter$.write(FileFormatWriter.scala:{n})",
    "org.apache.spark.sql.execution.datasources.InsertIntoHadoopFsRelationCommand.run(InsertIntoHadoopFsRelationCommand.scala:{n})",
    "org.apache.spark.sql.execution.command.DataWritingCommandExec.sideEffectResult$lzycompute(commands.scala:{n})",
    "org.apache.spark.sql.execution.SparkPlan.$anonfun$execute$1(SparkPlan.scala:{n})",
    "org.apache.spark.rdd.RDD.$anonfun$mapPartitionsInternal$2(RDD.scala:{n})",
    "org.apache.spark.scheduler.ResultTask.runTask(ResultTask.scala:{n})",
    "org.apache.spark.scheduler.Task.run(Task.scala:{n})",
    "org.apache.spark.executor.Executor$TaskRunner.$anonfun$run$3(Executor.scala:{n})",
    "org.apache.spark.util.Utils$.tryWithSafeFinally(Utils.scala:{n})",
    "org.apache.spark.sql.errors.QueryExecutionErrors$.taskFailedWhileWritingRowsError(QueryExecutionErrors.scala:{n})",
    "java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:{n})",
    "java.base/java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:{n})",
    "scala.collection.Iterator$$anon$10.hasNext(Iterator.scala:{n})",
    "org.apache.hadoop.fs.s3a.Invoker.retryUntranslated(Invoker.java:{n})",
    "com.amazon.ws.emr.hadoop.fs.s3n.Jets3tNativeFileSystemStore.retrieveMetadata(Jets3tNativeFileSystemStore.java:{n})",
]


def frames(rng: random.Random, n: int) -> Iterator[str]:
    for i in range(n):
        yield "\tat " + FRAMES[(i + rng.randrange(3)) % len(FRAMES)].format(n=rng.randrange(40, 900))
    yield f"\t... {rng.randrange(20, 80)} more"


GENERATORS = {
    "spark_driver": spark_driver,
    "executor": executor,
    "yarn_client": yarn_client,
    "hive": hive,
    "python_stdout": python_stdout,
    "trino": trino,
    "benign": benign,
}


def expand(text: str, seed: str) -> Iterator[str]:
    rng = random.Random(seed)
    for line in text.splitlines():
        match = _DIRECTIVE.match(line.strip())
        if not match:
            yield line
            continue
        what, kind, count = match.group(1), match.group(2), match.group(3)
        if what == "frames":
            yield from frames(rng, int(kind))
        else:
            yield from GENERATORS[kind](rng, int(count or 100))


def materialize(case: dict[str, object], dest: Path) -> Path:
    """Write one case under ``dest`` (noise expanded, gzipped if asked); return its path."""
    source = CORPUS / str(case["path"])
    target = dest / str(case["path"])
    files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
    for file in files:
        out = target if source.is_file() else target / file.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        body = "\n".join(expand(file.read_text(), seed=str(file.relative_to(CORPUS)))) + "\n"
        if case.get("gzip"):
            out = out.with_name(out.name + ".gz")
            with gzip.open(out, "wt", compresslevel=1) as handle:
                handle.write(body)
        else:
            out.write_text(body)
    if case.get("gzip") and source.is_file():
        return target.with_name(target.name + ".gz")
    return target


def materialize_all(dest: Path) -> dict[str, Path]:
    if dest.exists():
        shutil.rmtree(dest)
    return {str(case["id"]): materialize(case, dest) for case in load_manifest()}
