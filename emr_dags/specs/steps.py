"""EMR on EC2 steps, each rendered as one AddJobFlowSteps step dict by ``.to_step()``.

Arguments are always lists: every element reaches the program as one argv entry through
``command-runner.jar`` (or ``script-runner.jar``), never through a shell. A rendered
``{{ dag_run.conf['x'] }}`` that contains ``x; rm -rf /`` is one literal argument, not a command.

``action_on_failure`` defaults to :attr:`ActionOnFailure.CONTINUE`: Airflow owns failure handling.
The task that watches the step fails and retries, later steps of other tasks keep the cluster,
and the cluster's teardown task terminates it. ``TERMINATE_CLUSTER`` would pull a shared cluster
from under other tasks and ``CANCEL_AND_WAIT`` would cancel steps other tasks queued.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from emr_dags.specs._common import (
    JAVA_CLASS,
    MAVEN,
    SPARK_CONF_KEY,
    SPARK_MEMORY,
    check_bool,
    check_comma_items,
    check_int,
    check_joined,
    check_path,
    check_s3_uri,
    check_str,
    coerce_args,
    coerce_enum,
    coerce_extra,
    coerce_str_list,
    coerce_str_mapping,
    coerce_tuple,
    deep_merge,
    fail,
    is_templated,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

COMMAND_RUNNER = "command-runner.jar"
_MAX_ARG = 10280  # EMR's limit on one HadoopJarStep argument

_PROGRAM_PREFIXES = ("hdfs://", "file:/", "local:/", "/")
_PATH_EXPECTED = "an S3 URI like 's3://bucket/jobs/etl.py' (or an absolute path on the cluster)"
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*", re.ASCII)
_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]", re.ASCII)
_MASTER = re.compile(r"yarn|local(\[([0-9]+|\*)(,[0-9]+)?\])?|(spark|k8s|mesos)://[^\s]+", re.ASCII)
_SERVER = re.compile(r"(https?://)?[A-Za-z0-9][A-Za-z0-9.\-]*(:[0-9]{1,5})?", re.ASCII)
_OUTPUT_FORMAT = re.compile(r"[A-Z_]+", re.ASCII)
_SPLIT_FIX = "Values that end up inside one '--flag key=value' argument cannot hold spaces"


class ActionOnFailure(enum.Enum):
    """What EMR does to the cluster when a step fails. emr-dags defaults to CONTINUE (see module doc)."""

    CONTINUE = "CONTINUE"
    CANCEL_AND_WAIT = "CANCEL_AND_WAIT"
    TERMINATE_CLUSTER = "TERMINATE_CLUSTER"


class DeployMode(enum.Enum):
    CLUSTER = "cluster"
    CLIENT = "client"


class FlinkMode(enum.Enum):
    """``PER_JOB``: ``flink run -t yarn-per-job``; ``APPLICATION``: ``flink run-application``."""

    PER_JOB = "yarn-per-job"
    APPLICATION = "yarn-application"


class S3DistCpCodec(enum.Enum):
    GZIP = "gzip"
    LZO = "lzo"
    SNAPPY = "snappy"
    NONE = "none"
    KEEP = "keep"


@dataclass(frozen=True, kw_only=True, slots=True)
class Step:
    """Fields every step has. Subclasses implement ``_hadoop_jar_step``."""

    name: str
    action_on_failure: ActionOnFailure | str = ActionOnFailure.CONTINUE
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._check_common()

    def _check_common(self) -> None:
        check_str(self, "name", self.name, max_len=256)
        coerce_enum(self, "action_on_failure", self.action_on_failure, ActionOnFailure)
        coerce_extra(self, "extra", self.extra)

    def _hadoop_jar_step(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_step(self) -> dict[str, Any]:
        """One AddJobFlowSteps ``Steps`` entry; ``extra`` is deep-merged last."""
        assert isinstance(self.action_on_failure, ActionOnFailure)
        step = {
            "Name": self.name,
            "ActionOnFailure": self.action_on_failure.value,
            "HadoopJarStep": self._hadoop_jar_step(),
        }
        return deep_merge(step, self.extra)


def _command(args: list[str]) -> dict[str, Any]:
    return {"Jar": COMMAND_RUNNER, "Args": args}


def _pairs(flag: str, mapping: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    for key, value in mapping.items():
        out += [flag, f"{key}={value}"]
    return out


def _check_program(obj: object, field_name: str, value: object, *, suffixes: tuple[str, ...] = ()) -> None:
    check_path(obj, field_name, value, prefixes=_PROGRAM_PREFIXES, expected=_PATH_EXPECTED)
    assert isinstance(value, str)
    if suffixes and not is_templated(value) and not value.lower().endswith(suffixes):
        raise fail(
            type(obj).__name__,
            field_name,
            value,
            "has an unexpected file type",
            f"a {' or '.join(suffixes)} file",
        )


# --- Spark -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class SparkStep(Step):
    """``spark-submit`` a PySpark file (``entry_point='s3://.../job.py'``) or a JAR with ``main_class``.

    ``conf`` becomes ``--conf key=value`` pairs (keys start with ``spark.``); ``packages``,
    ``py_files``, ``jars`` and ``files`` become comma lists; ``args`` follow the entry point.
    """

    entry_point: str
    args: tuple[str, ...] = ()
    main_class: str | None = None
    conf: Mapping[str, Any] = field(default_factory=dict)
    packages: tuple[str, ...] = ()
    py_files: tuple[str, ...] = ()
    jars: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    deploy_mode: DeployMode | str = DeployMode.CLUSTER
    master: str = "yarn"
    driver_memory: str | None = None
    executor_memory: str | None = None
    executor_cores: int | None = None
    num_executors: int | None = None

    def __post_init__(self) -> None:
        self._check_common()
        _check_program(self, "entry_point", self.entry_point, suffixes=(".py", ".jar", ".r", ".zip", ".egg"))
        coerce_args(self, "args", self.args)
        check_str(
            self,
            "main_class",
            self.main_class,
            pattern=JAVA_CLASS,
            expected="a fully qualified class like 'com.acme.etl.Main'",
            problem="is not a Java class name",
            optional=True,
        )
        if (
            self.main_class is not None
            and not is_templated(self.entry_point)
            and self.entry_point.endswith(".py")
        ):
            raise fail(
                "SparkStep",
                "main_class",
                self.main_class,
                "is set for a Python entry point",
                "None for .py files",
                "main_class is only for JARs",
            )
        conf = coerce_str_mapping(
            self,
            "conf",
            self.conf,
            key_pattern=SPARK_CONF_KEY,
            key_expected="a key starting with 'spark.'",
        )
        check_joined(
            self,
            "conf",
            conf,
            joined_into="the '--conf key=value' argument",
            fix="Put such settings in the cluster's Configuration.spark_defaults({...})",
        )
        coerce_str_list(
            self,
            "packages",
            self.packages,
            pattern=MAVEN,
            expected="Maven coordinates 'group:artifact:version'",
            problem="is not a Maven coordinate",
        )
        check_comma_items(self, "packages", self.packages)
        for name in ("py_files", "jars", "files"):
            items = coerce_tuple(self, name, getattr(self, name), expected=f"a list of {_PATH_EXPECTED}")
            for i, item in enumerate(items):
                check_path(self, name, item, prefixes=_PROGRAM_PREFIXES, expected=_PATH_EXPECTED, at=f"[{i}]")
            check_comma_items(self, name, items)
        coerce_enum(self, "deploy_mode", self.deploy_mode, DeployMode)
        check_str(self, "master", self.master, pattern=_MASTER, expected="'yarn' (or 'local[*]')")
        for name in ("driver_memory", "executor_memory"):
            check_str(
                self,
                name,
                getattr(self, name),
                pattern=SPARK_MEMORY,
                expected="a JVM size like '4g' or '512m'",
                problem="is not a JVM memory size",
                optional=True,
            )
        check_int(self, "executor_cores", self.executor_cores, minimum=1, maximum=256, optional=True)
        check_int(self, "num_executors", self.num_executors, minimum=1, maximum=100000, optional=True)

    def spark_submit_args(self) -> list[str]:
        """The ``spark-submit`` argv, without the program name."""
        assert isinstance(self.deploy_mode, DeployMode)
        argv = ["--deploy-mode", self.deploy_mode.value, "--master", self.master]
        if self.main_class:
            argv += ["--class", self.main_class]
        argv += _pairs("--conf", self.conf)
        for flag, items in (
            ("--packages", self.packages),
            ("--py-files", self.py_files),
            ("--jars", self.jars),
            ("--files", self.files),
        ):
            if items:
                argv += [flag, ",".join(items)]
        for flag, value in (
            ("--driver-memory", self.driver_memory),
            ("--executor-memory", self.executor_memory),
            ("--executor-cores", self.executor_cores),
            ("--num-executors", self.num_executors),
        ):
            if value is not None:
                argv += [flag, str(value)]
        return [*argv, self.entry_point, *self.args]

    def _hadoop_jar_step(self) -> dict[str, Any]:
        return _command(["spark-submit", *self.spark_submit_args()])


# --- Hive ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class HiveStep(Step):
    """A Hive script from S3 (``script=``) or an inline query (``query=``), with ``-d`` variables."""

    script: str | None = None
    query: str | None = None
    variables: Mapping[str, Any] = field(default_factory=dict)
    hiveconf: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._check_common()
        if (self.script is None) == (self.query is None):
            raise fail(
                "HiveStep",
                "script",
                self.script,
                "and query are both given or both missing",
                "exactly one of script='s3://.../q.hql' or query='SELECT ...'",
            )
        if self.script is not None:
            _check_program(self, "script", self.script)
        check_str(
            self,
            "query",
            self.query,
            max_len=_MAX_ARG,
            optional=True,
            expected="a HiveQL query of at most 10280 characters",
            fix="Put longer queries in a file and use script='s3://...'",
            free_text=True,
        )
        for name, flag, what in (
            ("variables", "-d", "a variable name like 'RUN_DATE'"),
            ("hiveconf", "--hiveconf", "a Hive property like 'hive.exec.parallel'"),
        ):
            mapping = coerce_str_mapping(
                self, name, getattr(self, name), key_pattern=_VARIABLE, key_expected=what
            )
            check_joined(self, name, mapping, joined_into=f"the '{flag} key=value' argument", fix=_SPLIT_FIX)

    def _hadoop_jar_step(self) -> dict[str, Any]:
        options = _pairs("-d", self.variables) + _pairs("--hiveconf", self.hiveconf)
        if self.script is not None:
            return _command(["hive-script", "--run-hive-script", "--args", "-f", self.script, *options])
        assert self.query is not None
        return _command(["hive", "-e", self.query, *options])


# --- Trino / Presto --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class TrinoStep(Step):
    """Run one SQL statement with ``trino-cli --execute`` on the primary node."""

    CLI: ClassVar[str] = "trino-cli"

    query: str
    catalog: str | None = None
    schema: str | None = None
    session: Mapping[str, Any] = field(default_factory=dict)
    output_format: str | None = None
    server: str | None = None

    def __post_init__(self) -> None:
        self._check_common()
        check_str(
            self,
            "query",
            self.query,
            max_len=_MAX_ARG,
            expected="a SQL statement of at most 10280 characters",
            fix="EMR limits each step argument to 10280 characters",
            free_text=True,
        )
        for name in ("catalog", "schema"):
            check_str(
                self, name, getattr(self, name), pattern=_VARIABLE, expected="an identifier", optional=True
            )
        session = coerce_str_mapping(
            self, "session", self.session, key_pattern=_VARIABLE, key_expected="a session property name"
        )
        check_joined(
            self, "session", session, joined_into="the '--session key=value' argument", fix=_SPLIT_FIX
        )
        check_str(
            self,
            "output_format",
            self.output_format,
            pattern=_OUTPUT_FORMAT,
            expected="a CLI output format like 'CSV_HEADER' or 'JSON'",
            optional=True,
        )
        check_str(
            self,
            "server",
            self.server,
            pattern=_SERVER,
            expected="a server like 'localhost:8889' or 'https://host:8446'",
            optional=True,
        )

    def _hadoop_jar_step(self) -> dict[str, Any]:
        argv = [self.CLI]
        for flag, value in (
            ("--server", self.server),
            ("--catalog", self.catalog),
            ("--schema", self.schema),
            ("--output-format", self.output_format),
        ):
            if value is not None:
                argv += [flag, value]
        argv += _pairs("--session", self.session)
        return _command([*argv, "--execute", self.query])


@dataclass(frozen=True, kw_only=True, slots=True)
class PrestoStep(TrinoStep):
    """Run one SQL statement with ``presto-cli --execute`` (PrestoDB clusters)."""

    CLI: ClassVar[str] = "presto-cli"


# --- Flink -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class FlinkStep(Step):
    """Submit a Flink JAR on YARN.

    ``detached=True`` (default) makes the step finish once the job is submitted: a streaming job
    never ends, and a step that never ends would block every later step.
    """

    jar: str
    args: tuple[str, ...] = ()
    main_class: str | None = None
    parallelism: int | None = None
    mode: FlinkMode | str = FlinkMode.PER_JOB
    detached: bool = True
    properties: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._check_common()
        _check_program(self, "jar", self.jar, suffixes=(".jar", ".py"))
        coerce_args(self, "args", self.args)
        check_str(
            self,
            "main_class",
            self.main_class,
            pattern=JAVA_CLASS,
            expected="a fully qualified class",
            optional=True,
        )
        check_int(self, "parallelism", self.parallelism, minimum=1, maximum=32768, optional=True)
        coerce_enum(self, "mode", self.mode, FlinkMode)
        check_bool(self, "detached", self.detached)
        properties = coerce_str_mapping(
            self, "properties", self.properties, key_pattern=_VARIABLE, key_expected="a Flink option name"
        )
        check_joined(self, "properties", properties, joined_into="the '-Dkey=value' argument", fix=_SPLIT_FIX)

    def _hadoop_jar_step(self) -> dict[str, Any]:
        assert isinstance(self.mode, FlinkMode)
        if self.mode is FlinkMode.APPLICATION:
            argv = ["flink", "run-application", "-t", self.mode.value]
        else:
            argv = ["flink", "run", "-t", self.mode.value]
            if self.detached:
                argv.append("--detached")
        if self.parallelism is not None:
            argv += ["--parallelism", str(self.parallelism)]
        argv += [f"-D{k}={v}" for k, v in self.properties.items()]
        if self.main_class:
            argv += ["--class", self.main_class]
        return _command([*argv, self.jar, *self.args])


# --- scripts and commands --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class ShellScriptStep(Step):
    """Run a script from S3 on the primary node with ``script-runner.jar``.

    script-runner.jar lives in a regional bucket, so give ``region`` (or the full
    ``script_runner_jar`` URI).
    """

    script: str
    args: tuple[str, ...] = ()
    region: str | None = None
    script_runner_jar: str | None = None

    def __post_init__(self) -> None:
        self._check_common()
        check_s3_uri(self, "script", self.script)
        coerce_args(self, "args", self.args)
        check_str(
            self,
            "region",
            self.region,
            pattern=_REGION,
            expected="an AWS region like 'eu-west-1'",
            problem="is not an AWS region",
            optional=True,
        )
        check_s3_uri(self, "script_runner_jar", self.script_runner_jar, optional=True)
        if self.region is None and self.script_runner_jar is None:
            raise fail(
                "ShellScriptStep",
                "region",
                None,
                "is missing",
                "region='eu-west-1' (or script_runner_jar='s3://...')",
                "script-runner.jar is read from s3://<region>.elasticmapreduce/",
            )

    @property
    def jar(self) -> str:
        if self.script_runner_jar is not None:
            return self.script_runner_jar
        return f"s3://{self.region}.elasticmapreduce/libs/script-runner/script-runner.jar"

    def _hadoop_jar_step(self) -> dict[str, Any]:
        return {"Jar": self.jar, "Args": [self.script, *self.args]}


@dataclass(frozen=True, kw_only=True, slots=True)
class CommandStep(Step):
    """Run any program through ``command-runner.jar`` with an explicit argv list, e.g.
    ``argv=["aws", "s3", "sync", "s3://a/", "/mnt/a/"]``. No shell: pipes and ``;`` are literal.
    """

    argv: tuple[str, ...]
    jar: str = COMMAND_RUNNER
    main_class: str | None = None

    def __post_init__(self) -> None:
        self._check_common()
        argv = coerce_args(self, "argv", self.argv)
        if not argv:
            raise fail(
                "CommandStep",
                "argv",
                argv,
                "is empty",
                "a program and its arguments, e.g. ['hadoop', 'fs', '-ls', '/']",
            )
        if not is_templated(argv[0]) and (not argv[0] or any(c.isspace() for c in argv[0])):
            raise fail(
                "CommandStep",
                "argv",
                argv[0],
                "is a program name with spaces",
                "the program alone as argv[0], its arguments as further elements",
                "There is no shell: 'bash -c ...' must be ['bash', '-c', '...']",
            )
        if self.jar != COMMAND_RUNNER:
            check_path(
                self,
                "jar",
                self.jar,
                prefixes=("file:/", "/"),
                expected="'command-runner.jar' or a JAR's S3 URI or absolute path",
            )
        check_str(
            self,
            "main_class",
            self.main_class,
            pattern=JAVA_CLASS,
            expected="a fully qualified class",
            optional=True,
        )

    def _hadoop_jar_step(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Jar": self.jar, "Args": list(self.argv)}
        if self.main_class:
            out["MainClass"] = self.main_class
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class S3DistCpStep(Step):
    """Copy large data between S3 and HDFS in parallel with ``s3-dist-cp``."""

    src: str
    dest: str
    src_pattern: str | None = None
    group_by: str | None = None
    target_size_mib: int | None = None
    output_codec: S3DistCpCodec | str | None = None
    s3_server_side_encryption: bool = False
    delete_on_success: bool = False
    extra_args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self._check_common()
        for name in ("src", "dest"):
            check_path(
                self,
                name,
                getattr(self, name),
                prefixes=("hdfs://",),
                expected="an 's3://bucket/prefix' or 'hdfs:///path' URI",
                need_key=False,
            )
        for name, expected in (("src_pattern", "a regex"), ("group_by", "a regex with a group")):
            value = getattr(self, name)
            check_str(self, name, value, max_len=4096, optional=True, expected=expected)
            if value is not None and not is_templated(value) and any(ch.isspace() for ch in value):
                raise fail(
                    "S3DistCpStep",
                    name,
                    value,
                    f"has whitespace, which the '--{name}=...' argument must not hold",
                    f"{expected} without spaces (use \\s)",
                )
        for name in ("src_pattern", "group_by"):
            value = getattr(self, name)
            if value is not None and not is_templated(value):
                try:
                    re.compile(value)
                except re.error as exc:
                    raise fail(
                        "S3DistCpStep", name, value, f"is not a regex ({exc})", "a valid regular expression"
                    ) from None
        check_int(self, "target_size_mib", self.target_size_mib, minimum=1, optional=True)
        coerce_enum(self, "output_codec", self.output_codec, S3DistCpCodec, optional=True)
        check_bool(self, "s3_server_side_encryption", self.s3_server_side_encryption)
        check_bool(self, "delete_on_success", self.delete_on_success)
        coerce_args(self, "extra_args", self.extra_args)

    def _hadoop_jar_step(self) -> dict[str, Any]:
        argv = ["s3-dist-cp", f"--src={self.src}", f"--dest={self.dest}"]
        if self.src_pattern is not None:
            argv.append(f"--srcPattern={self.src_pattern}")
        if self.group_by is not None:
            argv.append(f"--groupBy={self.group_by}")
        if self.target_size_mib is not None:
            argv.append(f"--targetSize={self.target_size_mib}")
        if isinstance(self.output_codec, S3DistCpCodec):
            argv.append(f"--outputCodec={self.output_codec.value}")
        if self.s3_server_side_encryption:
            argv.append("--s3ServerSideEncryption")
        if self.delete_on_success:
            argv.append("--deleteOnSuccess")
        return _command([*argv, *self.extra_args])


def check_concurrent_steps(owner: str, steps: Sequence[Step], step_concurrency: int | None) -> None:
    """EMR refuses CANCEL_AND_WAIT / TERMINATE_CLUSTER steps on a cluster running steps concurrently."""
    if step_concurrency is None or step_concurrency <= 1:
        return
    for i, step in enumerate(steps):
        if step.action_on_failure is not ActionOnFailure.CONTINUE:
            assert isinstance(step.action_on_failure, ActionOnFailure)
            raise fail(
                owner,
                "steps",
                f"steps[{i}] {step.name!r}: {step.action_on_failure.value}",
                f"is not allowed with step_concurrency={step_concurrency}",
                "action_on_failure=CONTINUE for every step",
                "EMR rejects other actions when steps run concurrently",
            )


def add_job_flow_steps_request(
    cluster_id: str, steps: Sequence[Step], *, step_concurrency: int | None = None
) -> dict[str, Any]:
    """AddJobFlowSteps kwargs for ``steps`` on ``cluster_id`` (may be a template).

    Pass the cluster's ``step_concurrency`` when known: above 1, EMR accepts only CONTINUE steps.
    """
    if not steps or isinstance(steps, str):
        raise fail("AddJobFlowSteps", "steps", steps, "is empty", "at least one step")
    for i, step in enumerate(steps):
        if not isinstance(step, Step):
            raise fail(
                "AddJobFlowSteps",
                "steps",
                step,
                f"is a {type(step).__name__}",
                "a step like SparkStep(...)",
                at=f"[{i}]",
            )
    check_concurrent_steps("AddJobFlowSteps", steps, step_concurrency)
    return {"JobFlowId": cluster_id, "Steps": [s.to_step() for s in steps]}
