"""Collection against moto (S3, CloudWatch Logs); EMR control-plane answers are stubbed."""

from __future__ import annotations

import gzip
import time
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from emr_dags.diagnostics import FailureCategory, diagnose_eks_job, diagnose_emr_step, diagnose_serverless_job
from emr_dags.diagnostics.collect import Waiter
from emr_dags.diagnostics.scan import CHUNK_BYTES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

BUCKET = "acme-emr-logs"
REGION = "us-east-1"
CLUSTER = "j-3V1QX8L2K9ABC"
STEP = "s-1P4ZK2W9EXAMP"
APP = "application_1732500000000_0012"
STEP_PREFIX = f"elasticmapreduce/{CLUSTER}/steps/{STEP}"
CONTAINERS = f"elasticmapreduce/{CLUSTER}/containers/{APP}"


class FakeTime:
    """An injectable clock and sleep; ``on_sleep(n)`` runs after the n-th sleep (e.g. to upload logs)."""

    def __init__(self, on_sleep: Callable[[int], None] | None = None) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep(len(self.sleeps))


class FakeEmr:
    def __init__(
        self, log_uri: str | None, status: dict[str, Any], cluster_reason: dict[str, str] | None = None
    ) -> None:
        self.log_uri = log_uri
        self.status = status
        self.cluster_reason = cluster_reason or {}

    def describe_cluster(self, ClusterId: str) -> dict[str, Any]:  # noqa: N803 - boto3's spelling
        cluster: dict[str, Any] = {
            "Id": ClusterId,
            "Status": {"State": "WAITING", "StateChangeReason": self.cluster_reason},
        }
        if self.log_uri:
            cluster["LogUri"] = self.log_uri
        return {"Cluster": cluster}

    def describe_step(self, ClusterId: str, StepId: str) -> dict[str, Any]:  # noqa: N803
        return {"Step": {"Id": StepId, "Status": self.status}}


class FakeJobs:
    """Stands in for both emr-serverless (get_job_run) and emr-containers (describe_job_run)."""

    def __init__(self, job_run: dict[str, Any]) -> None:
        self.job_run = job_run

    def get_job_run(self, **_: str) -> dict[str, Any]:
        return {"jobRun": self.job_run}

    def describe_job_run(self, **_: str) -> dict[str, Any]:
        return {"jobRun": self.job_run}


FAILED = {"State": "FAILED", "FailureDetails": {"Reason": "Unknown error.", "Message": "", "LogFile": ""}}


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        yield s3, boto3.client("logs", region_name=REGION)


def put(s3: Any, key: str, text: str) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(text.encode()))


def upload_cluster_mode_step(s3: Any) -> None:
    put(
        s3,
        f"{STEP_PREFIX}/stderr.gz",
        f"25/11/25 05:00:07 INFO YarnClientImpl: Submitted application {APP}\n"
        f'Exception in thread "main" org.apache.spark.SparkException: Application {APP} finished with failed status\n',
    )
    put(s3, f"{STEP_PREFIX}/stdout.gz", "")
    put(
        s3,
        f"{STEP_PREFIX}/controller.gz",
        "2025-11-25T05:07:42.010Z WARN Step failed with exitCode 1 and took 461 seconds\n",
    )


def test_emr_step_waits_for_late_logs(aws: tuple[Any, Any]) -> None:
    s3, _ = aws

    def upload_late(n: int) -> None:
        if n == 2:
            upload_cluster_mode_step(s3)
        if n == 3:
            put(
                s3,
                f"{CONTAINERS}/container_1732500000000_0012_01_000001/stderr.gz",
                "25/11/25 05:07:38 ERROR ApplicationMaster: User class threw exception: "
                "org.apache.spark.sql.AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] The table or view `sales`.`orders` cannot be found.\n",
            )

    fake = FakeTime(upload_late)
    diagnosis = diagnose_emr_step(
        FakeEmr(f"s3n://{BUCKET}/elasticmapreduce/", FAILED),
        s3,
        CLUSTER,
        STEP,
        wait_seconds=600,
        poll_seconds=30,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert diagnosis.category is FailureCategory.SPARK_ANALYSIS_ERROR
    assert diagnosis.source == f"s3://{BUCKET}/{CONTAINERS}/container_1732500000000_0012_01_000001/stderr.gz"
    assert fake.sleeps == [30, 30, 30]
    assert diagnosis.missing == ()
    assert any(s.startswith(f"s3://{BUCKET}/{STEP_PREFIX}/controller.gz") for s in diagnosis.searched)


def test_emr_step_logs_absent_are_reported_missing(aws: tuple[Any, Any]) -> None:
    s3, _ = aws
    status = {
        "State": "FAILED",
        "FailureDetails": {
            "Reason": "Unknown error.",
            "Message": 'Exception in thread "main" java.lang.ClassNotFoundException: com.acme.etl.DailyOrdersJob',
            "LogFile": f"s3://{BUCKET}/{STEP_PREFIX}/stderr.gz",
        },
    }
    fake = FakeTime()
    diagnosis = diagnose_emr_step(
        FakeEmr(f"s3://{BUCKET}/elasticmapreduce", status),
        s3,
        CLUSTER,
        STEP,
        wait_seconds=45,
        poll_seconds=20,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert diagnosis.category is FailureCategory.CLASS_NOT_FOUND
    assert diagnosis.source == f"DescribeStep {CLUSTER}/{STEP}"
    assert sum(fake.sleeps) == 45
    missing = "\n".join(diagnosis.missing)
    assert f"s3://{BUCKET}/{STEP_PREFIX}/stderr.gz: not uploaded after 45s" in missing
    assert "stdout.gz" in missing
    assert "controller.gz" in missing
    assert "no YARN application id" in missing


def test_emr_step_without_log_uri_uses_failure_details_only(aws: tuple[Any, Any]) -> None:
    s3, _ = aws
    status = {
        "State": "FAILED",
        "FailureDetails": {"Message": "java.io.IOException: No space left on device"},
    }
    diagnosis = diagnose_emr_step(FakeEmr(None, status), s3, CLUSTER, STEP, wait_seconds=0)
    assert diagnosis.category is FailureCategory.DISK_FULL
    assert any("has no LogUri" in m for m in diagnosis.missing)


def test_emr_step_reads_the_executor_the_driver_names_first(aws: tuple[Any, Any]) -> None:
    s3, _ = aws
    upload_cluster_mode_step(s3)
    put(
        s3,
        f"{CONTAINERS}/container_1732500000000_0012_01_000001/stderr.gz",
        "25/11/25 05:07:30 WARN YarnAllocator: Container marked as failed: container_1732500000000_0012_01_000007 "
        "on host: ip-10-0-1-9. Exit status: 1. Diagnostics: Exception from container-launch.\n"
        "25/11/25 05:07:38 ERROR ApplicationMaster: User class threw exception: org.apache.spark.SparkException: Job aborted.\n",
    )
    for n in range(2, 10):
        put(
            s3,
            f"{CONTAINERS}/container_1732500000000_0012_01_{n:06d}/stderr.gz",
            "25/11/25 05:01:00 INFO Executor: Running task 1.0 in stage 3.0 (TID 4)\n",
        )
    put(
        s3,
        f"{CONTAINERS}/container_1732500000000_0012_01_000007/stderr.gz",
        "25/11/25 05:07:29 ERROR Executor: Exception in task 3.0 in stage 2.0 (TID 9)\njava.io.IOException: No space left on device\n",
    )
    diagnosis = diagnose_emr_step(
        FakeEmr(f"s3://{BUCKET}/elasticmapreduce/", FAILED),
        s3,
        CLUSTER,
        STEP,
        wait_seconds=0,
        max_executor_logs=1,
    )
    assert diagnosis.category is FailureCategory.DISK_FULL
    assert diagnosis.source is not None
    assert "container_1732500000000_0012_01_000007" in diagnosis.source
    assert not any("_000008" in s for s in diagnosis.searched)


def test_big_objects_are_streamed_in_bounded_reads(aws: tuple[Any, Any]) -> None:
    s3, _ = aws
    noise = (
        "25/11/25 03:10:05 INFO TaskSetManager: Finished task 1.0 in stage 3.0 (TID 45) in 80 ms\n" * 60_000
    )
    put(s3, f"{STEP_PREFIX}/stderr.gz", noise + "java.io.IOException: No space left on device\n")
    reads: list[int] = []

    class Spy:
        def __getattr__(self, name: str) -> Any:
            return getattr(s3, name)

        def get_object(self, **kwargs: Any) -> dict[str, Any]:
            response = s3.get_object(**kwargs)
            body = response["Body"]

            class Body:
                def read(self, n: int = -1) -> bytes:
                    reads.append(n)
                    return body.read(n)

                def close(self) -> None:
                    body.close()

            return {**response, "Body": Body()}

    diagnosis = diagnose_emr_step(
        FakeEmr(f"s3://{BUCKET}/elasticmapreduce/", FAILED), Spy(), CLUSTER, STEP, wait_seconds=0
    )
    assert diagnosis.category is FailureCategory.DISK_FULL
    assert reads
    assert all(0 < n <= CHUNK_BYTES for n in reads)


def serverless_run(monitoring: dict[str, Any]) -> dict[str, Any]:
    return {
        "state": "FAILED",
        "stateDetails": "Job failed, please check complete logs in configured logging destination. ExitCode: 1.",
        "configurationOverrides": {"monitoringConfiguration": monitoring},
    }


def test_serverless_s3_layout(aws: tuple[Any, Any]) -> None:
    s3, _ = aws
    base = "serverless/applications/00fkp2r8s9t0u10l/jobs/00fkp3a1b2c3d40m"
    put(s3, f"{base}/SPARK_DRIVER/stdout.gz", "2025-11-25 07:00:00,000 INFO etl: starting\n")
    put(
        s3,
        f"{base}/SPARK_DRIVER/stderr.gz",
        "Traceback (most recent call last):\n  File \"/tmp/job.py\", line 1\nModuleNotFoundError: No module named 'pandas'\n",
    )
    put(s3, f"{base}/SPARK_EXECUTOR/1/stderr.gz", "25/11/25 07:01:00 INFO Executor: Running task 1.0\n")
    run = serverless_run({"s3MonitoringConfiguration": {"logUri": f"s3://{BUCKET}/serverless/"}})
    diagnosis = diagnose_serverless_job(
        FakeJobs(run), s3, None, "00fkp2r8s9t0u10l", "00fkp3a1b2c3d40m", wait_seconds=0
    )
    assert diagnosis.category is FailureCategory.PYTHON_MODULE_MISSING
    assert diagnosis.source == f"s3://{BUCKET}/{base}/SPARK_DRIVER/stderr.gz"
    assert len(diagnosis.searched) == 4  # GetJobRun facts + driver stderr/stdout + executor 1


def test_serverless_cloudwatch_streams(aws: tuple[Any, Any]) -> None:
    _, logs = aws
    group = "/aws/emr-serverless"
    stream = "team-a/applications/00fapp/jobs/00frun/SPARK_DRIVER/stderr"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[
            {
                "timestamp": now,
                "message": "25/11/25 07:00:04 INFO SparkContext: Running Spark version 3.5.2-amzn-1",
            },
            {
                "timestamp": now + 1,
                "message": 'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
            },
        ],
    )
    run = serverless_run(
        {"cloudWatchLoggingConfiguration": {"enabled": True, "logStreamNamePrefix": "team-a"}}
    )
    diagnosis = diagnose_serverless_job(FakeJobs(run), None, logs, "00fapp", "00frun", wait_seconds=0)
    assert diagnosis.category is FailureCategory.DRIVER_OUT_OF_MEMORY
    assert diagnosis.source == f"cloudwatch:{group}:{stream}"
    assert diagnosis.decisive_line is not None
    assert diagnosis.decisive_line.line == 2


def test_serverless_without_log_destination_says_so(aws: tuple[Any, Any]) -> None:
    s3, logs = aws
    run = {"state": "CANCELLED", "stateDetails": "Job run cancelled by user"}
    diagnosis = diagnose_serverless_job(FakeJobs(run), s3, logs, "00fapp", "00frun", wait_seconds=0)
    assert diagnosis.category is FailureCategory.TIMEOUT_OR_CANCELLED
    assert any("managed storage" in m for m in diagnosis.missing)


def test_serverless_logs_absent_after_waiting(aws: tuple[Any, Any]) -> None:
    s3, _ = aws
    run = serverless_run({"s3MonitoringConfiguration": {"logUri": f"s3://{BUCKET}/serverless/"}})
    fake = FakeTime()
    diagnosis = diagnose_serverless_job(
        FakeJobs(run),
        s3,
        None,
        "00fapp",
        "00frun",
        wait_seconds=60,
        poll_seconds=15,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert fake.sleeps == [15, 15, 15, 15]
    assert diagnosis.category is FailureCategory.UNKNOWN
    assert any("no logs after 60s" in m for m in diagnosis.missing)


def test_eks_s3_layout(aws: tuple[Any, Any]) -> None:
    s3, _ = aws
    base = "eks/vc0abc/jobs/000000036pq/containers/spark-3f2e1d/"
    put(
        s3,
        base + "spark-000000036pq-driver/stderr.gz",
        "Caused by: java.lang.ClassNotFoundException: org.apache.iceberg.spark.SparkCatalog\n",
    )
    put(
        s3, base + "spark-000000036pq-exec-1/stderr.gz", "25/11/25 08:00:00 INFO Executor: Running task 1.0\n"
    )
    run = {
        "state": "FAILED",
        "failureReason": "USER_ERROR",
        "stateDetails": "Job failed",
        "configurationOverrides": {
            "monitoringConfiguration": {"s3MonitoringConfiguration": {"logUri": f"s3://{BUCKET}/eks"}}
        },
    }
    diagnosis = diagnose_eks_job(FakeJobs(run), s3, None, "vc0abc", "000000036pq", wait_seconds=0)
    assert diagnosis.category is FailureCategory.CLASS_NOT_FOUND
    assert diagnosis.source == f"s3://{BUCKET}/{base}spark-000000036pq-driver/stderr.gz"


def test_eks_cloudwatch_streams(aws: tuple[Any, Any]) -> None:
    _, logs = aws
    group = "/emr-on-eks/acme"
    stream = "etl/vc0abc/jobs/000000036pq/containers/spark-3f2e1d/spark-000000036pq-driver/stderr"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[
            {
                "timestamp": int(time.time() * 1000),
                "message": "FAILED: SemanticException [Error 10001]: Line 1:14 Table not found 'orders'",
            }
        ],
    )
    run = {
        "state": "FAILED",
        "configurationOverrides": {
            "monitoringConfiguration": {
                "cloudWatchMonitoringConfiguration": {"logGroupName": group, "logStreamNamePrefix": "etl"}
            }
        },
    }
    diagnosis = diagnose_eks_job(FakeJobs(run), None, logs, "vc0abc", "000000036pq", wait_seconds=0)
    assert diagnosis.category is FailureCategory.HIVE_QUERY_ERROR
    assert diagnosis.source == f"cloudwatch:{group}:{stream}"


def test_waiter_rejects_a_bad_budget() -> None:
    with pytest.raises(ValueError, match="poll_seconds"):
        Waiter(wait_seconds=10, poll_seconds=0)


def test_cancelled_step_is_timeout_or_cancelled(aws: tuple[Any, Any]) -> None:
    s3, _ = aws
    upload_cluster_mode_step(s3)
    status = {"State": "CANCELLED", "StateChangeReason": {"Message": "Cancelled by user request"}}
    diagnosis = diagnose_emr_step(
        FakeEmr(f"s3://{BUCKET}/elasticmapreduce/", status), s3, CLUSTER, STEP, wait_seconds=0
    )
    assert diagnosis.category is FailureCategory.TIMEOUT_OR_CANCELLED
    assert diagnosis.rule == "step-cancelled"


def test_bootstrap_failure_from_the_cluster_state_change_reason(aws: tuple[Any, Any]) -> None:
    s3, _ = aws
    reason = {
        "Code": "BOOTSTRAP_FAILURE",
        "Message": "On the master instance (i-0a1b2c3d4e5f60001), bootstrap action 1 returned a non-zero return code",
    }
    status = {"State": "CANCELLED", "StateChangeReason": {}}
    diagnosis = diagnose_emr_step(
        FakeEmr(f"s3://{BUCKET}/elasticmapreduce/", status, reason), s3, CLUSTER, STEP, wait_seconds=0
    )
    assert diagnosis.category is FailureCategory.BOOTSTRAP_FAILURE


def test_a_log_bucket_that_does_not_exist_ends_the_wait_at_once(aws: tuple[Any, Any]) -> None:
    s3, _ = aws
    status = {
        "State": "FAILED",
        "FailureDetails": {
            "Reason": "Unknown error.",
            "Message": 'Exception in thread "main" java.lang.ClassNotFoundException: com.acme.etl.DailyOrdersJob',
            "LogFile": "",
        },
    }
    fake = FakeTime()
    diagnosis = diagnose_emr_step(
        FakeEmr("s3://no-such-log-bucket/elasticmapreduce", status),
        s3,
        CLUSTER,
        STEP,
        wait_seconds=300,
        poll_seconds=15,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert fake.sleeps == []  # no 5-minute wait for logs that can never arrive
    assert diagnosis.category is FailureCategory.CLASS_NOT_FOUND  # FailureDetails still explain it
    missing = "\n".join(diagnosis.missing)
    assert (
        f"s3://no-such-log-bucket/elasticmapreduce/{CLUSTER}/steps/{STEP}/: cannot be listed (NoSuchBucket)"
        in missing
    )
    assert "check the LogUri" in missing
    assert "not uploaded" not in missing


def test_serverless_logs_in_a_missing_bucket_are_reported_without_waiting(aws: tuple[Any, Any]) -> None:
    s3, logs = aws
    fake = FakeTime()
    run = serverless_run({"s3MonitoringConfiguration": {"logUri": "s3://no-such-log-bucket/serverless/"}})
    diagnosis = diagnose_serverless_job(
        FakeJobs(run), s3, logs, "00app", "00run", wait_seconds=300, clock=fake.clock, sleep=fake.sleep
    )
    assert fake.sleeps == []
    assert any("cannot be listed (NoSuchBucket)" in m for m in diagnosis.missing)


def test_an_access_denied_listing_names_the_permission_to_grant() -> None:
    from botocore.exceptions import ClientError

    from emr_dags.diagnostics.collect import LogsUnreachable, list_s3

    class Denied:
        def get_paginator(self, name: str) -> Any:
            class Pages:
                def paginate(self, **kwargs: Any) -> Any:
                    raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListObjectsV2")

            return Pages()

    with pytest.raises(
        LogsUnreachable, match=r"s3://logs/j-1/: cannot be listed \(AccessDenied\); grant s3:ListBucket"
    ):
        list_s3(Denied(), "s3://logs/j-1/")  # type: ignore[arg-type]


# --- the YARN application ids a step's logs name ------------------------------------------------------


def test_application_ids_come_from_submissions_tracking_urls_and_container_ids() -> None:
    from emr_dags.diagnostics.collect import application_ids

    lines = [
        "25/11/25 05:00:01 INFO Client: Requesting a new application from cluster with 2 NodeManagers",
        f"25/11/25 05:00:07 INFO YarnClientImpl: Submitted application {APP}",
        f"\t tracking URL: http://ip-10-0-0-1:20888/proxy/{APP}/",
        "Container container_e05_1732500000000_0013_01_000002 exited with exitCode: 137",
        f'Exception in thread "main" org.apache.spark.SparkException: Application {APP} finished with failed status',
        "appattempt_1732500000000_0012_000001 is not an application id; application_12_34 too short",
    ]
    assert application_ids(lines) == [APP, "application_1732500000000_0013"]


def test_emr_step_lists_the_folder_of_the_application_its_stderr_names(aws: tuple[Any, Any]) -> None:
    s3, _ = aws
    upload_cluster_mode_step(s3)
    other = f"elasticmapreduce/{CLUSTER}/containers/application_1732500000000_0099"
    put(s3, f"{other}/container_1732500000000_0099_01_000001/stderr.gz", "ERROR unrelated\n")
    clock = FakeTime()
    result = diagnose_emr_step(
        FakeEmr(f"s3://{BUCKET}/elasticmapreduce/", FAILED),  # type: ignore[arg-type]
        s3,
        CLUSTER,
        STEP,
        wait_seconds=60,
        poll_seconds=15,
        clock=clock.clock,
        sleep=clock.sleep,
    )
    # the named application has no logs yet: the wait is for it; the message says where logs are instead
    assert sum(clock.sleeps) == 60
    assert any(
        f"{APP}/: no container logs after 60s" in m and "application_1732500000000_0099" in m
        for m in result.missing
    ), result.missing
    assert not any("0099/container" in s for s in result.searched)
