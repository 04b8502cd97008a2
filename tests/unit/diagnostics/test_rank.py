"""Ranking by causality and finality: the fatal, final failure and its root, not the loudest line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emr_dags.diagnostics import FailureCategory, diagnose_paths, diagnose_text

if TYPE_CHECKING:
    from pathlib import Path

NOISE = "25/11/25 03:10:05 INFO TaskSetManager: Finished task 1.0 in stage 3.0 (TID 45) in 80 ms"


def test_a_recovered_executor_loss_does_not_beat_the_drivers_own_exception() -> None:
    lines = [
        "25/11/25 03:01:00 ERROR YarnScheduler: Lost executor 3 on ip-10-0-1-7: Container killed by YARN for "
        "exceeding physical memory limits. 12.1 GB of 12 GB physical memory used.",
        NOISE,
        "Traceback (most recent call last):",
        '  File "/mnt/tmp/job.py", line 12, in <module>',
        "    raise ValueError(f'bad partition {p}')",
        "ValueError: bad partition dt=2025-11-24",
    ]
    diagnosis = diagnose_text("stderr", lines)
    assert diagnosis.category is FailureCategory.PYTHON_EXCEPTION
    assert diagnosis.decisive_line is not None
    assert diagnosis.decisive_line.line == 6
    assert any("executor/container loss" in w for w in diagnosis.why)


def test_shutdown_noise_after_the_failure_is_not_the_cause() -> None:
    lines = [
        "25/11/25 03:05:00 ERROR ApplicationMaster: User class threw exception: java.lang.IllegalStateException: "
        "duplicate key 42",
        "25/11/25 03:05:01 INFO SparkContext: Invoking stop() from shutdown hook",
        "25/11/25 03:05:02 ERROR TransportRequestHandler: org.apache.spark.SparkException: Could not find "
        "CoarseGrainedScheduler.",
        "25/11/25 03:05:02 WARN YarnAllocator: Container exited with a non-zero exit code 143. Killed by external signal",
    ]
    diagnosis = diagnose_text("stderr", lines)
    assert diagnosis.category is FailureCategory.JVM_EXCEPTION
    assert diagnosis.decisive_line is not None
    assert "duplicate key 42" in diagnosis.decisive_line.text


def test_root_of_a_five_level_caused_by_chain_is_decisive() -> None:
    lines = ['Exception in thread "main" org.apache.spark.SparkException: Job aborted.']
    for n, name in enumerate(
        [
            "java.util.concurrent.ExecutionException: boom",
            "org.apache.hadoop.fs.s3a.AWSClientIOException: request failed",
            "com.amazonaws.SdkClientException: Unable to execute HTTP request",
            "javax.net.ssl.SSLHandshakeException: handshake failed",
            "java.security.cert.CertificateExpiredException: NotAfter: Mon Nov 24 23:59:59 UTC 2025",
        ]
    ):
        lines += [
            f"\tat com.acme.Frame{n}.run(Frame{n}.java:{n})",
            *[f"\tat x.Y.z(Y.java:{i})" for i in range(40)],
        ]
        lines.append(f"Caused by: {name}")
    lines.append("\t... 42 more")
    diagnosis = diagnose_text("stderr", lines)
    assert diagnosis.decisive_line is not None
    assert "CertificateExpiredException" in diagnosis.decisive_line.text
    assert any("root of a Caused-by chain of 6" in w for w in diagnosis.why)


def test_task_retries_that_succeeded_are_not_a_failure() -> None:
    lines = [
        "25/11/25 03:12:40 WARN TaskSetManager: Lost task 17.0 in stage 3.0 (TID 301) (ip-1 executor 5): "
        "java.lang.OutOfMemoryError: Java heap space",
        NOISE,
        "25/11/25 03:20:02 INFO ApplicationMaster: Final app status: SUCCEEDED, exitCode: 0",
    ]
    assert diagnose_text("stderr", lines).category is FailureCategory.NO_FAILURE_FOUND


def test_the_task_that_aborted_the_job_is_decisive_not_its_first_attempt() -> None:
    lines = [
        "25/11/25 03:12:40 WARN TaskSetManager: Lost task 3.0 in stage 2.0 (TID 1) (ip-1 executor 1): "
        "java.io.IOException: Connection reset by peer",
        "25/11/25 03:13:40 WARN TaskSetManager: Lost task 3.1 in stage 2.0 (TID 2) (ip-1 executor 2): "
        "java.lang.ArithmeticException: / by zero",
        "25/11/25 03:13:41 ERROR TaskSetManager: Task 3 in stage 2.0 failed 2 times; aborting job",
    ]
    diagnosis = diagnose_text("stderr", lines)
    assert diagnosis.decisive_line is not None
    assert diagnosis.decisive_line.line == 2
    assert any("aborted the job" in w for w in diagnosis.why)


def test_attempt_1_failed_but_attempt_2_succeeded_is_no_failure(tmp_path: Path) -> None:
    app = tmp_path / "containers" / "application_1732500000000_0007"
    first = app / "container_1732500000000_0007_01_000001"
    second = app / "container_1732500000000_0007_02_000001"
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    (first / "stderr").write_text(
        "25/11/25 03:05:00 ERROR ApplicationMaster: User class threw exception: java.lang.OutOfMemoryError: "
        "Java heap space\n25/11/25 03:05:01 INFO ApplicationMaster: Final app status: FAILED, exitCode: 15\n"
    )
    (second / "stderr").write_text(
        "25/11/25 03:25:00 INFO ApplicationMaster: Final app status: SUCCEEDED, exitCode: 0\n"
    )
    assert diagnose_paths([tmp_path]).category is FailureCategory.NO_FAILURE_FOUND


def test_the_final_attempt_beats_an_earlier_failed_one(tmp_path: Path) -> None:
    app = tmp_path / "containers" / "application_1732500000000_0007"
    first = app / "container_1732500000000_0007_01_000001"
    second = app / "container_1732500000000_0007_02_000001"
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    (first / "stderr").write_text(
        "25/11/25 03:05:00 ERROR ApplicationMaster: User class threw exception: java.lang.ClassNotFoundException: "
        "com.acme.Udf\n"
    )
    (second / "stderr").write_text(
        "25/11/25 03:25:00 ERROR ApplicationMaster: User class threw exception: java.lang.ClassNotFoundException: "
        "com.acme.Udf\n"
    )
    diagnosis = diagnose_paths([tmp_path])
    assert diagnosis.category is FailureCategory.CLASS_NOT_FOUND
    assert diagnosis.source is not None
    assert "_02_000001" in diagnosis.source


def test_a_traceback_only_in_stdout_ending_in_an_unusual_exception_name(tmp_path: Path) -> None:
    (tmp_path / "stderr").write_text(f"{NOISE}\n" * 50)
    (tmp_path / "stdout").write_text(
        "Traceback (most recent call last):\n"
        '  File "/home/hadoop/load.py", line 9, in <module>\n'
        "    bucket.blob(name).download_to_filename(path)\n"
        "google.api_core.exceptions.Forbidden: 403 GET https://storage.googleapis.com/b/o: permission denied\n"
    )
    diagnosis = diagnose_paths([tmp_path])
    assert diagnosis.decisive_line is not None
    assert diagnosis.decisive_line.file.endswith("stdout")
    assert "Forbidden: 403" in diagnosis.decisive_line.text
    assert any("final line of a Python traceback" in w for w in diagnosis.why)


def test_a_failed_bootstrap_action_quotes_its_own_log(tmp_path: Path) -> None:
    action = tmp_path / "node" / "i-1" / "bootstrap-actions" / "1"
    action.mkdir(parents=True)
    (action / "stderr").write_text(
        "download failed: s3://acme-bootstrap/install.sh to ./install.sh An error occurred (403) when calling the "
        "HeadObject operation: Forbidden\n"
    )
    (tmp_path / "describe_cluster.json").write_text(
        '{"Cluster": {"Status": {"State": "TERMINATED_WITH_ERRORS", "StateChangeReason": {"Code": '
        '"BOOTSTRAP_FAILURE", "Message": "On the master instance (i-1), bootstrap action 1 returned a non-zero '
        'return code"}}}}\n'
    )
    diagnosis = diagnose_paths([tmp_path])
    assert diagnosis.category is FailureCategory.BOOTSTRAP_FAILURE
    assert "bootstrap action 1 returned a non-zero return code" in diagnosis.summary
    assert "HeadObject operation: Forbidden" in diagnosis.summary
    assert diagnosis.decisive_line is not None
    assert diagnosis.decisive_line.file.endswith("bootstrap-actions/1/stderr")


def test_a_traceback_logged_as_a_warning_after_which_the_script_went_on_is_not_the_cause() -> None:
    lines = [
        "2025-11-25 03:10:12,118 WARNING hashing: optional dependency missing, falling back to hashlib",
        "Traceback (most recent call last):",
        '  File "/tmp/udfs/hashing.py", line 3, in <module>',
        "    import xxhash",
        "ModuleNotFoundError: No module named 'xxhash'",
        "2025-11-25 04:43:56,234 INFO dedupe: wrote 897556 rows to staging",
        "2025-11-25 04:50:00,000 INFO dedupe: job completed successfully",
    ]
    assert diagnose_text("stdout", lines).category is FailureCategory.NO_FAILURE_FOUND


def test_hdfs_out_of_capacity_is_disk_full_with_the_clause_quoted() -> None:
    line = (
        "Caused by: org.apache.hadoop.ipc.RemoteException(java.io.IOException): File /user/hadoop/out/_temporary/0/"
        "part-00007 could only be replicated to 0 nodes instead of minReplication (=1).  There are 3 datanode(s) "
        "running and no node(s) are excluded in this operation."
    )
    diagnosis = diagnose_text("stderr", [line])
    assert diagnosis.category is FailureCategory.DISK_FULL
    assert "could only be replicated to 0 nodes instead of minReplication (=1)" in diagnosis.summary


def test_an_oomkilled_executor_pod_is_an_executor_oom() -> None:
    name = "containers/spark-0000000abc/nightly-abc-exec-3/stderr"
    assert diagnose_text(name, ["    Reason: OOMKilled", "    Exit Code: 137"]).category is (
        FailureCategory.EXECUTOR_OUT_OF_MEMORY
    )


def test_a_job_aborted_by_executors_that_failed_to_launch_is_unknown_quoting_the_container_exit() -> None:
    lines = [
        "25/11/25 03:12:40 WARN YarnSchedulerBackend$YarnSchedulerEndpoint: Container marked as failed: "
        "container_1_0001_01_000003 on host: ip-10-0-1-7. Exit status: 1. Diagnostics: Exception from container-launch.",
        "Container exited with a non-zero exit code 1",
        "25/11/25 03:12:51 ERROR TaskSetManager: Task 4 in stage 1.0 failed 4 times; aborting job",
        'Exception in thread "main" org.apache.spark.SparkException: Job aborted due to stage failure: Task 4 in '
        "stage 1.0 failed 4 times, most recent failure: Lost task 4.3 in stage 1.0 (TID 19) (ip-10-0-1-7 executor 2): "
        "ExecutorLostFailure (executor 2 exited caused by one of the running tasks) Reason: Container marked as "
        "failed: container_1_0001_01_000003 on host: ip-10-0-1-7. Exit status: 1. Diagnostics: Exception from "
        "container-launch.",
        "\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:2898)",
    ]
    diagnosis = diagnose_text("stderr", lines)
    assert diagnosis.category is FailureCategory.UNKNOWN
    assert diagnosis.decisive_line is not None
    assert diagnosis.decisive_line.line == 1  # the first, most specific exit statement, not the wrapper
    assert any("framework wrapper" in w for w in diagnosis.why)


def test_an_application_master_that_never_launched_is_unknown_not_a_jvm_exception() -> None:
    lines = [
        "\t diagnostics: Application application_1_0007 failed 2 times due to AM Container for "
        "appattempt_1_0007_000002 exited with  exitCode: 127",
        "Container exited with a non-zero exit code 127",
        "25/11/25 03:10:31 ERROR SparkContext: Error initializing SparkContext.",
        "org.apache.spark.SparkException: Yarn application has already ended! It might have been killed or unable "
        "to launch application master.",
    ]
    diagnosis = diagnose_text("stderr", lines)
    assert diagnosis.category is FailureCategory.UNKNOWN
    assert "exited with exitCode: 127" in diagnosis.summary


def test_a_wrapper_with_a_named_cause_elsewhere_still_yields_that_cause() -> None:
    lines = [
        "25/11/25 03:01:00 WARN TaskSetManager: Lost task 0.3 in stage 2.0 (TID 9) (ip-1 executor 1): "
        "java.io.IOException: No space left on device",
        "25/11/25 03:01:01 ERROR TaskSetManager: Task 0 in stage 2.0 failed 4 times; aborting job",
        'Exception in thread "main" org.apache.spark.SparkException: Job aborted due to stage failure: Task 0 in '
        "stage 2.0 failed 4 times",
    ]
    assert diagnose_text("stderr", lines).category is FailureCategory.DISK_FULL


def test_hdfs_written_to_0_of_the_minreplication_nodes_is_disk_full() -> None:
    line = (
        "org.apache.hadoop.ipc.RemoteException(java.io.IOException): File /user/hadoop/out/part-00007 could only "
        "be written to 0 of the 1 minReplication nodes. There are 3 datanode(s) running and 3 node(s) are excluded "
        "in this operation."
    )
    diagnosis = diagnose_text("stderr", [line])
    assert diagnosis.category is FailureCategory.DISK_FULL
    assert "written to 0 of the 1 minReplication nodes" in diagnosis.summary


def test_no_space_in_any_local_directory_is_disk_full() -> None:
    lines = [
        "\t diagnostics: Application application_1_0007 failed 2 times due to AM Container for "
        "appattempt_1_0007_000002 exited with  exitCode: -1000",
        "Failing this attempt.Diagnostics: [2025-11-25 03:11:30.121]No space available in any of the local "
        "directories.[2025-11-25 03:11:30.122]",
    ]
    assert diagnose_text("stderr", lines).category is FailureCategory.DISK_FULL


def test_an_s3_input_pattern_matching_no_files_is_a_missing_s3_path() -> None:
    line = (
        "25/11/25 03:16:35 ERROR ApplicationMaster: User class threw exception: org.apache.hadoop.mapred."
        "InvalidInputException: Input Pattern s3a://acme/enriched/run=2025-11-24/part-* matches 0 files"
    )
    diagnosis = diagnose_text("stderr", [line])
    assert diagnosis.category is FailureCategory.S3_PATH_NOT_FOUND
    assert "matches 0 files" in diagnosis.summary


def test_a_bootstrap_actions_own_controller_is_enough_to_say_bootstrap_failure(tmp_path: Path) -> None:
    action = tmp_path / "node" / "i-0abc" / "bootstrap-actions" / "1"
    action.mkdir(parents=True)
    (action / "controller").write_text(
        "2025-11-25T03:02:11.102Z INFO Fetching file 's3://acme/bootstrap/b.py'\n"
        "2025-11-25T03:02:40.377Z INFO Execution ended with ret val 1\n"
        "2025-11-25T03:02:40.378Z WARN Execution failed with code '1'\n"
    )
    (action / "stderr").write_text("")
    diagnosis = diagnose_paths([tmp_path])
    assert diagnosis.category is FailureCategory.BOOTSTRAP_FAILURE
    assert diagnosis.decisive_line is not None
    assert "Execution" in diagnosis.decisive_line.text


def test_a_step_controller_saying_execution_failed_is_not_a_bootstrap_failure() -> None:
    diagnosis = diagnose_text(
        "steps/s-1/controller", ["2025-11-25T03:02:40.378Z WARN Execution failed with code '1'"]
    )
    assert diagnosis.category is not FailureCategory.BOOTSTRAP_FAILURE


def test_a_udf_class_spark_cannot_load_is_class_not_found_not_an_analysis_error() -> None:
    line = (
        "pyspark.sql.utils.AnalysisException: Can not load class 'com.acme.udf.Mask' when registering the "
        "function 'mask', please make sure it is on the classpath;"
    )
    diagnosis = diagnose_text(
        "stdout", ["Traceback (most recent call last):", '  File "/tmp/job.py", line 3', line]
    )
    assert diagnosis.category is FailureCategory.CLASS_NOT_FOUND


def test_a_hive_udf_class_not_found_is_class_not_found_not_a_query_error() -> None:
    lines = [
        "FAILED: Class com.acme.hive.udf.GeoIP not found",
        "FAILED: Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.FunctionTask",
    ]
    diagnosis = diagnose_text("stderr", lines)
    assert diagnosis.category is FailureCategory.CLASS_NOT_FOUND
    assert "Class com.acme.hive.udf.GeoIP not found" in diagnosis.summary


def test_a_job_run_that_failed_without_a_cause_quotes_its_exit_code_not_its_state(tmp_path: Path) -> None:
    driver = tmp_path / "SPARK_DRIVER"
    driver.mkdir()
    (driver / "stderr").write_text("25/11/25 03:10:02 INFO SparkContext: Running Spark version 3.5.1\n")
    (tmp_path / "get_job_run.json").write_text(
        '{\n    "jobRun": {\n        "state": "FAILED",\n        "stateDetails": "Job failed, please check complete '
        'logs in configured logging destination. ExitCode: 1. Last few exceptions: "\n    }\n}\n'
    )
    diagnosis = diagnose_paths([tmp_path])
    assert diagnosis.category is FailureCategory.UNKNOWN
    assert "ExitCode: 1" in diagnosis.summary
