"""`emr-dags demo`: run the example pipelines on the local stack and show what ran, AWS side included."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from emr_dags import tags as tag_keys
from emr_dags.console import Progress
from emr_dags_devkit.stack.api import AirflowClient
from emr_dags_devkit.stack.seed import DEMO_BUCKET, emulator_client

if TYPE_CHECKING:
    from emr_dags_devkit.stack.runner import Stack

RESULTS_BUCKET = DEMO_BUCKET
RESULTS_PREFIX = "results/"


def _discover(
    client: AirflowClient,
    tag: str,
    settle: float = 6.0,
    timeout: float = 180.0,
    progress: Progress | None = None,
) -> list[str]:
    """DAG ids carrying `tag`, once the dag-processor has parsed the folder (the list stops growing)."""
    started = time.monotonic()
    deadline = started + timeout
    seen: list[str] = []
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        if progress:
            progress.tick(
                f"waiting for the dag-processor to parse the DAGs tagged {tag!r} ({len(seen)} so far)",
                budget=timeout,
                started=started,
            )
        ids = sorted(dag["dag_id"] for dag in client.dags(tags=[tag]))
        if ids != seen:
            seen, stable_since = ids, time.monotonic()
        elif seen and time.monotonic() - stable_since >= settle:
            return seen
        time.sleep(2.0)
    errors = client.get("/api/v2/importErrors").get("import_errors", [])
    if errors:
        raise RuntimeError(f"DAG import errors: {[e.get('filename') for e in errors]}")
    return seen


def run_demo(
    stack: Stack, *, tag: str = "demo", timeout: float = 900.0, progress: Progress | None = None
) -> bool:
    progress = progress or Progress("demo")
    client = AirflowClient(stack.config.api_url, "admin", stack.admin_password())
    dag_ids = _discover(client, tag, progress=progress)
    if not dag_ids:
        print(f"no DAG carries the tag {tag!r}; nothing to run")
        return False
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    runs = []
    for dag_id in dag_ids:
        client.unpause(dag_id)
        run = client.trigger(dag_id, run_id=f"demo__{stamp}")
        runs.append((dag_id, run["dag_run_id"]))
        print(f"triggered {dag_id} ({run['dag_run_id']})")
    ok = True
    print()
    for dag_id, run_id in runs:
        with progress.during(f"waiting for {dag_id} run {run_id}", budget=timeout):
            run = client.wait_for_run(dag_id, run_id, timeout=timeout)
        ok &= run["state"] == "success"
        tis = client.task_instances(dag_id, run_id)
        print(f"{dag_id}: {run['state'].upper()}   {stack.config.api_url}/dags/{dag_id}/runs/{run_id}")
        for ti in sorted(tis, key=lambda t: (t.get("start_date") or "", t["task_id"])):
            index = f"[{ti['map_index']}]" if ti.get("map_index", -1) >= 0 else ""
            print(f"    {ti['task_id'] + index:40} {ti['state']}")
    print()
    print_aws_summary(stack.config.emulator_url, run_ids={run_id for _, run_id in runs})
    return ok


def print_aws_summary(endpoint_url: str, *, run_ids: set[str]) -> None:
    emr = emulator_client("emr", endpoint_url)
    print("AWS side (the emulator):")
    for summary in emr.list_clusters()["Clusters"]:
        cluster = emr.describe_cluster(ClusterId=summary["Id"])["Cluster"]
        tags = {t["Key"]: t["Value"] for t in cluster.get("Tags", [])}
        if tags.get(tag_keys.RUN_ID) not in run_ids:
            continue
        print(
            f"  cluster {cluster['Id']} {cluster['Name']!r}: {cluster['Status']['State']}, "
            f"{cluster.get('NormalizedInstanceHours', 0)} normalized instance-hours"
        )
        for step in reversed(emr.list_steps(ClusterId=cluster["Id"])["Steps"]):
            print(f"    step {step['Id']} {step['Name']!r}: {step['Status']['State']}")
    s3 = emulator_client("s3", endpoint_url)
    try:
        objects = s3.list_objects_v2(Bucket=RESULTS_BUCKET, Prefix=RESULTS_PREFIX).get("Contents", [])
    except s3.exceptions.NoSuchBucket:
        objects = []
    shown = [obj for obj in objects if any(run_id in obj["Key"] for run_id in run_ids)]
    if shown:
        print("\nResults computed by the pipelines:")
    for obj in shown:
        body = s3.get_object(Bucket=RESULTS_BUCKET, Key=obj["Key"])["Body"].read().decode(errors="replace")
        print(f"  s3://{RESULTS_BUCKET}/{obj['Key']}:")
        for line in body.splitlines()[:10]:
            print(f"    {line}")
