from __future__ import annotations

import pytest

from emr_dags.errors import EmrConfigError
from emr_dags.specs import (
    ActionOnFailure,
    CommandStep,
    FlinkMode,
    FlinkStep,
    HiveStep,
    PrestoStep,
    S3DistCpStep,
    ShellScriptStep,
    SparkStep,
    Step,
    TrinoStep,
    add_job_flow_steps_request,
    validate_request,
)


def _valid(step: Step) -> dict:
    request = add_job_flow_steps_request("j-2AXXXXXXGAPLF", [step])
    validate_request("emr", "AddJobFlowSteps", request, reject_unrendered=False)
    return request["Steps"][0]


def test_pyspark_step_renders_spark_submit_argv() -> None:
    step = SparkStep(
        name="etl",
        entry_point="s3://acme-code/jobs/etl.py",
        args=["--date", "{{ ds }}", 3],
        conf={"spark.sql.shuffle.partitions": 400, "spark.dynamicAllocation.enabled": False},
        packages=["org.apache.spark:spark-avro_2.12:3.5.1"],
        py_files=["s3://acme-code/jobs/lib.zip"],
        executor_memory="8g",
        executor_cores=4,
    )
    rendered = _valid(step)
    assert rendered["ActionOnFailure"] == "CONTINUE"
    assert rendered["HadoopJarStep"] == {
        "Jar": "command-runner.jar",
        "Args": [
            "spark-submit", "--deploy-mode", "cluster", "--master", "yarn",
            "--conf", "spark.sql.shuffle.partitions=400",
            "--conf", "spark.dynamicAllocation.enabled=false",
            "--packages", "org.apache.spark:spark-avro_2.12:3.5.1",
            "--py-files", "s3://acme-code/jobs/lib.zip",
            "--executor-memory", "8g", "--executor-cores", "4",
            "s3://acme-code/jobs/etl.py", "--date", "{{ ds }}", "3",
        ],
    }  # fmt: skip


def test_jar_spark_step_passes_main_class() -> None:
    args = _valid(SparkStep(name="j", entry_point="s3://acme-code/etl.jar", main_class="com.acme.Etl"))[
        "HadoopJarStep"
    ]["Args"]
    assert args[args.index("--class") + 1] == "com.acme.Etl"


def test_main_class_on_a_python_file_is_refused() -> None:
    with pytest.raises(EmrConfigError) as exc:
        SparkStep(name="j", entry_point="s3://acme-code/etl.py", main_class="com.acme.Etl")
    assert exc.value.field == "main_class"


def test_one_shell_string_for_args_is_refused_with_the_list_to_write() -> None:
    with pytest.raises(EmrConfigError) as exc:
        SparkStep(name="j", entry_point="s3://acme-code/etl.py", args="--date {{ ds }} --full")  # type: ignore[arg-type]
    assert exc.value.field == "args"
    assert "args=['--date', '{{ ds }}', '--full']" in str(exc.value)


def test_spark_conf_keys_must_be_spark_properties() -> None:
    with pytest.raises(EmrConfigError, match="spark\\.") as exc:
        SparkStep(name="j", entry_point="s3://acme-code/etl.py", conf={"executor.memory": "4g"})
    assert exc.value.field == "conf"


def test_hive_script_with_variables() -> None:
    rendered = _valid(HiveStep(name="h", script="s3://acme-code/q.hql", variables={"RUN_DATE": "{{ ds }}"}))
    assert rendered["HadoopJarStep"]["Args"] == [
        "hive-script", "--run-hive-script", "--args", "-f", "s3://acme-code/q.hql", "-d", "RUN_DATE={{ ds }}",
    ]  # fmt: skip


def test_hive_inline_query() -> None:
    rendered = _valid(
        HiveStep(
            name="h",
            query="SELECT count(*) FROM t WHERE ds='${RUN_DATE}'",
            variables={"RUN_DATE": "2024-01-01"},
        )
    )
    assert rendered["HadoopJarStep"]["Args"][:3] == [
        "hive",
        "-e",
        "SELECT count(*) FROM t WHERE ds='${RUN_DATE}'",
    ]


def test_hive_needs_exactly_one_of_script_or_query() -> None:
    with pytest.raises(EmrConfigError) as exc:
        HiveStep(name="h")
    assert exc.value.field == "script"
    with pytest.raises(EmrConfigError):
        HiveStep(name="h", script="s3://acme-code/q.hql", query="select 1")


def test_trino_and_presto_queries() -> None:
    trino = _valid(
        TrinoStep(
            name="t", query="SELECT 1", catalog="hive", schema="default", session={"query_max_run_time": "1h"}
        )
    )
    assert trino["HadoopJarStep"]["Args"] == [
        "trino-cli", "--catalog", "hive", "--schema", "default", "--session", "query_max_run_time=1h", "--execute", "SELECT 1",
    ]  # fmt: skip
    presto = _valid(PrestoStep(name="p", query="SELECT 1"))
    assert presto["HadoopJarStep"]["Args"] == ["presto-cli", "--execute", "SELECT 1"]


def test_flink_per_job_is_detached_and_application_mode_uses_run_application() -> None:
    per_job = _valid(
        FlinkStep(name="f", jar="s3://acme-code/stream.jar", main_class="com.acme.Stream", parallelism=4)
    )
    assert per_job["HadoopJarStep"]["Args"][:5] == ["flink", "run", "-t", "yarn-per-job", "--detached"]
    app = _valid(
        FlinkStep(
            name="f",
            jar="s3://acme-code/stream.jar",
            mode=FlinkMode.APPLICATION,
            properties={"taskmanager.numberOfTaskSlots": 2},
        )
    )
    assert app["HadoopJarStep"]["Args"] == [
        "flink", "run-application", "-t", "yarn-application", "-Dtaskmanager.numberOfTaskSlots=2", "s3://acme-code/stream.jar",
    ]  # fmt: skip


def test_shell_script_uses_the_regional_script_runner() -> None:
    rendered = _valid(
        ShellScriptStep(name="s", script="s3://acme-code/run.sh", args=["a b", "c"], region="eu-west-1")
    )
    assert rendered["HadoopJarStep"] == {
        "Jar": "s3://eu-west-1.elasticmapreduce/libs/script-runner/script-runner.jar",
        "Args": ["s3://acme-code/run.sh", "a b", "c"],
    }
    with pytest.raises(EmrConfigError) as exc:
        ShellScriptStep(name="s", script="s3://acme-code/run.sh")
    assert exc.value.field == "region"


def test_command_step_keeps_argv_and_refuses_a_command_line_as_program() -> None:
    rendered = _valid(
        CommandStep(name="c", argv=["hadoop", "fs", "-ls", "/"], action_on_failure="cancel_and_wait")
    )
    assert rendered["ActionOnFailure"] == "CANCEL_AND_WAIT"
    assert rendered["HadoopJarStep"]["Args"] == ["hadoop", "fs", "-ls", "/"]
    with pytest.raises(EmrConfigError) as exc:
        CommandStep(name="c", argv=["bash -c 'ls'"])
    assert exc.value.field == "argv"
    with pytest.raises(EmrConfigError, match="one string with spaces"):
        CommandStep(name="c", argv="bash -c ls")  # type: ignore[arg-type]


def test_s3_dist_cp() -> None:
    rendered = _valid(
        S3DistCpStep(
            name="d",
            src="s3://acme-raw/in/",
            dest="hdfs:///data/in/",
            src_pattern=r".*\.gz",
            output_codec="snappy",
            delete_on_success=True,
        )
    )
    assert rendered["HadoopJarStep"]["Args"] == [
        "s3-dist-cp", "--src=s3://acme-raw/in/", "--dest=hdfs:///data/in/", "--srcPattern=.*\\.gz", "--outputCodec=snappy", "--deleteOnSuccess",
    ]  # fmt: skip
    with pytest.raises(EmrConfigError) as exc:
        S3DistCpStep(name="d", src="s3://acme-raw/in/", dest="hdfs:///x", src_pattern="(")
    assert exc.value.field == "src_pattern"


def test_action_on_failure_default_is_continue_and_enum_is_accepted() -> None:
    assert (
        SparkStep(name="s", entry_point="s3://acme-code/a.py").action_on_failure is ActionOnFailure.CONTINUE
    )
    step = SparkStep(
        name="s", entry_point="s3://acme-code/a.py", action_on_failure=ActionOnFailure.TERMINATE_CLUSTER
    )
    assert step.to_step()["ActionOnFailure"] == "TERMINATE_CLUSTER"
    with pytest.raises(EmrConfigError) as exc:
        SparkStep(name="s", entry_point="s3://acme-code/a.py", action_on_failure="EXPLODE")
    assert exc.value.field == "action_on_failure"


def test_step_extra_is_merged_into_hadoop_jar_step() -> None:
    step = CommandStep(
        name="c", argv=["ls"], extra={"HadoopJarStep": {"Properties": [{"Key": "k", "Value": "v"}]}}
    )
    rendered = _valid(step)
    assert rendered["HadoopJarStep"]["Properties"] == [{"Key": "k", "Value": "v"}]
    assert rendered["HadoopJarStep"]["Args"] == ["ls"]


def test_add_job_flow_steps_request_needs_steps() -> None:
    with pytest.raises(EmrConfigError):
        add_job_flow_steps_request("j-1", [])


def test_concurrent_clusters_accept_only_continue_steps() -> None:
    cancel = CommandStep(name="c", argv=["ls"], action_on_failure="CANCEL_AND_WAIT")
    add_job_flow_steps_request("j-1", [cancel])  # unknown concurrency: allowed
    with pytest.raises(EmrConfigError, match="step_concurrency=4") as exc:
        add_job_flow_steps_request("j-1", [cancel], step_concurrency=4)
    assert exc.value.field == "steps"
    add_job_flow_steps_request("j-1", [CommandStep(name="c", argv=["ls"])], step_concurrency=4)


def test_a_bad_list_element_names_the_field_and_shows_its_index() -> None:
    with pytest.raises(EmrConfigError, match=r"SparkStep\.args\[1\]: None is a NoneType") as exc:
        SparkStep(name="s", entry_point="s3://acme-code/a.py", args=["ok", None])
    assert exc.value.field == "args"
    assert exc.value.spec == "SparkStep"
