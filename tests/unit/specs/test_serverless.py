from __future__ import annotations

import pytest

from emr_dags.errors import EmrConfigError
from emr_dags.specs import (
    Configuration,
    MaximumCapacity,
    Monitoring,
    NetworkConfig,
    ServerlessApplicationSpec,
    ServerlessHiveJob,
    ServerlessSparkJob,
    SparkResources,
    WorkerCapacity,
    WorkerType,
    validate_request,
)

ROLE = "arn:aws:iam::123456789012:role/emr-serverless-job"


def test_application_defaults_auto_start_and_stop_after_15_minutes() -> None:
    request = ServerlessApplicationSpec(name="etl", release_label="emr-7.5.0").to_create_application()
    validate_request("emr-serverless", "CreateApplication", request)
    assert request["autoStartConfiguration"] == {"enabled": True}
    assert request["autoStopConfiguration"] == {"enabled": True, "idleTimeoutMinutes": 15}
    assert "clientToken" not in request


def test_application_with_capacity_network_and_image_passes_botocore() -> None:
    spec = ServerlessApplicationSpec(
        name="etl",
        release_label="emr-7.5.0",
        initial_capacity={
            WorkerType.DRIVER: WorkerCapacity(count=1, cpu=2, memory_gb=8),
            "EXECUTOR": WorkerCapacity(count=4, cpu=4, memory_gb=16, disk_gb=100),
        },
        maximum_capacity=MaximumCapacity(cpu=100, memory_gb=400, disk_gb=2000),
        network=NetworkConfig(subnet_ids=("subnet-0abc1234",), security_group_ids=("sg-0abc1234",)),
        image_uri="123456789012.dkr.ecr.eu-west-1.amazonaws.com/spark-custom:7.5.0",
        architecture="arm64",
        monitoring=Monitoring(s3_log_uri="s3://acme-logs/serverless/"),
        tags={"team": "data"},
    )
    request = spec.to_create_application()
    validate_request("emr-serverless", "CreateApplication", request)
    assert request["initialCapacity"]["EXECUTOR"]["workerConfiguration"] == {
        "cpu": "4vCPU",
        "memory": "16GB",
        "disk": "100GB",
    }
    assert request["architecture"] == "ARM64"


def test_hive_application_rejects_spark_worker_types() -> None:
    with pytest.raises(EmrConfigError) as exc:
        ServerlessApplicationSpec(
            name="hive",
            release_label="emr-7.5.0",
            type="HIVE",
            initial_capacity={"DRIVER": WorkerCapacity(count=1)},
        )
    assert exc.value.field == "initial_capacity"


def test_worker_memory_must_fit_the_cpu_size() -> None:
    with pytest.raises(EmrConfigError, match="4 vCPU workers take 8-30 GB") as exc:
        WorkerCapacity(count=1, cpu=4, memory_gb=64)
    assert exc.value.field == "memory_gb"
    with pytest.raises(EmrConfigError) as exc:
        WorkerCapacity(count=1, cpu=3)
    assert exc.value.field == "cpu"


def test_maximum_capacity_must_hold_the_initial_capacity() -> None:
    with pytest.raises(EmrConfigError) as exc:
        ServerlessApplicationSpec(
            name="etl",
            release_label="emr-7.5.0",
            initial_capacity={"EXECUTOR": WorkerCapacity(count=10, cpu=4, memory_gb=16)},
            maximum_capacity=MaximumCapacity(cpu=8, memory_gb=32),
        )
    assert exc.value.field == "maximum_capacity"


def test_spark_job_builds_spark_submit_parameters_from_typed_sizes() -> None:
    job = ServerlessSparkJob(
        name="daily-{{ ds }}",
        execution_role_arn=ROLE,
        entry_point="s3://acme-code/jobs/etl.py",
        entry_point_args=["--date", "{{ ds }}"],
        conf={"spark.sql.adaptive.enabled": True},
        resources=SparkResources(
            driver_cores=2, driver_memory="4g", executor_cores=4, executor_memory="14g", max_executors=50
        ),
        py_files=("s3://acme-code/jobs/lib.zip",),
        configuration_overrides=(
            Configuration.spark_defaults({"spark.driver.extraJavaOptions": "-XX:+UseG1GC -Dfoo=bar"}),
        ),
        monitoring=Monitoring(s3_log_uri="s3://acme-logs/jobs/", cloudwatch_log_group="/emr-serverless/etl"),
        execution_timeout_minutes=120,
        tags={"team": "data"},
    )
    request = job.to_start_job_run("00fabcdef1234567")
    validate_request("emr-serverless", "StartJobRun", request, reject_unrendered=False)
    assert request["jobDriver"]["sparkSubmit"]["sparkSubmitParameters"] == (
        "--conf spark.driver.cores=2 --conf spark.driver.memory=4g --conf spark.executor.cores=4 "
        "--conf spark.executor.memory=14g --conf spark.dynamicAllocation.maxExecutors=50 "
        "--conf spark.submit.pyFiles=s3://acme-code/jobs/lib.zip --conf spark.sql.adaptive.enabled=true"
    )
    overrides = request["configurationOverrides"]
    assert overrides["applicationConfiguration"][0]["classification"] == "spark-defaults"
    assert (
        overrides["monitoringConfiguration"]["cloudWatchLoggingConfiguration"]["logGroupName"]
        == "/emr-serverless/etl"
    )
    assert request["executionTimeoutMinutes"] == 120
    assert "clientToken" not in request


def test_conf_values_with_spaces_are_sent_to_configuration_overrides() -> None:
    with pytest.raises(EmrConfigError, match="configuration_overrides") as exc:
        ServerlessSparkJob(
            name="j",
            execution_role_arn=ROLE,
            entry_point="s3://acme-code/a.py",
            conf={"spark.driver.extraJavaOptions": "-Da=1 -Db=2"},
        )
    assert exc.value.field == "conf"


def test_serverless_executor_cores_must_be_a_worker_size() -> None:
    with pytest.raises(EmrConfigError) as exc:
        ServerlessSparkJob(
            name="j",
            execution_role_arn=ROLE,
            entry_point="s3://acme-code/a.py",
            resources=SparkResources(executor_cores=3),
        )
    assert exc.value.field == "resources"


def test_bad_execution_role_is_refused() -> None:
    with pytest.raises(EmrConfigError) as exc:
        ServerlessSparkJob(name="j", execution_role_arn="EMR_DefaultRole", entry_point="s3://acme-code/a.py")
    assert exc.value.field == "execution_role_arn"


def test_hive_job_renders_query_init_file_and_parameters() -> None:
    job = ServerlessHiveJob(
        name="hive",
        execution_role_arn=ROLE,
        query="s3://acme-code/hive/report.sql",
        init_query="s3://acme-code/hive/init.sql",
        hiveconf={"hive.exec.scratchdir": "s3://acme-scratch/hive/"},
        hivevar={"RUN_DATE": "2024-06-01"},
        monitoring=Monitoring(s3_log_uri="s3://acme-logs/hive/"),
    )
    request = job.to_start_job_run("00fabcdef1234567")
    validate_request("emr-serverless", "StartJobRun", request)
    assert request["jobDriver"]["hive"] == {
        "query": "s3://acme-code/hive/report.sql",
        "initQueryFile": "s3://acme-code/hive/init.sql",
        "parameters": "--hiveconf hive.exec.scratchdir=s3://acme-scratch/hive/ --hivevar RUN_DATE=2024-06-01",
    }


def test_extra_reaches_fields_not_modelled_yet() -> None:
    job = ServerlessSparkJob(
        name="j",
        execution_role_arn=ROLE,
        entry_point="s3://acme-code/a.py",
        extra={"mode": "BATCH", "retryPolicy": {"maxAttempts": 2}},
    )
    request = job.to_start_job_run("00fabcdef1234567")
    validate_request("emr-serverless", "StartJobRun", request)
    assert request["retryPolicy"] == {"maxAttempts": 2}
    with pytest.raises(EmrConfigError, match="BATCHY"):
        validate_request(
            "emr-serverless", "StartJobRun", job.replace(extra={"mode": "BATCHY"}).to_start_job_run("00f")
        )


def test_monitoring_needs_a_destination() -> None:
    with pytest.raises(EmrConfigError) as exc:
        Monitoring()
    assert exc.value.field == "s3_log_uri"


def test_release_older_than_emr_serverless_is_refused() -> None:
    with pytest.raises(EmrConfigError, match="emr-6.6.0") as exc:
        ServerlessApplicationSpec(name="etl", release_label="emr-6.5.0")
    assert exc.value.field == "release_label"
