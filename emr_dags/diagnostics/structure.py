"""The shape of one log line: what it is before what it says.

A line that *mentions* an error is not always an error. The JVM launch command of every YARN
container carries ``-XX:OnOutOfMemoryError='kill -9 %p'``; Spark echoes its configuration
(``spark.network.timeout=600s``); describe-API JSON saved beside the logs has a timeout *setting*.
These shapes are recognised here and never count as evidence. Other shapes say where a failure sits
in the run: a task attempt that Spark retries, an executor that YARN replaces, shutdown noise after
the driver already failed, an uncaught exception that ended the application.

Everything here is a pure function of one line's text; the scanner and the ranking call them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# --- the log4j/Spark/YARN prefix ------------------------------------------------------------------

_PREFIX = re.compile(
    r"^(?P<time>(?:\d{2,4}[-/]\d\d[-/]\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?Z?|\[[^\]]{8,40}\]))?\s*"
    r"(?:\[[^\]]{1,60}\]\s+)?"
    r"(?P<level>TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\b:?\s*"
    r"(?:\[[^\]]{1,80}\]\s+)?(?:(?P<logger>[\w.$\-]+(?:\[[^\]]*\])?):\s+)?"
)


@dataclass(frozen=True, slots=True)
class Prefix:
    """A log line split into its log4j prefix and its message."""

    time: str | None
    level: str | None
    logger: str | None
    message: str


def split_prefix(text: str) -> Prefix:
    """``25/11/25 03:12:40 WARN TaskSetManager: Lost task ...`` -> time, level, logger, message."""
    match = _PREFIX.match(text)
    if match is None or not match.group("level") or not (match.group("time") or match.start("level") == 0):
        return Prefix(None, None, None, text.strip())
    return Prefix(
        match.group("time"), match.group("level"), match.group("logger"), text[match.end() :].strip()
    )


# --- shapes that are never evidence ---------------------------------------------------------------

# A JVM or spark-submit command line: JVM flags, launch scripts, classpaths.
_CMDLINE = re.compile(
    r"(?:^|[\s'\"=])-XX:[+\-]?\w|(?:^|\s)-Xm[sx]\d|(?:^|\s)-D[\w.\-]+=|(?:^|\s)--conf[\s=]|"
    r"\bspark-submit\s+--|/bin/java\s|\bexec\s+\S*java\b|\bjava\s+-(?:cp|server|Xm)|"
    r"^\s*(?:CLASSPATH|LD_LIBRARY_PATH|SPARK_\w+|JAVA_\w+|HADOOP_\w+|PYSPARK_\w+)=|"
    r"Launching container|launch_container\.sh|prelaunch"
)
# An echoed configuration entry: ``spark.x=y``, ``(spark.x,y)``, ``spark.x  y``, ``set hive.x=y;``.
_CONFIG = re.compile(
    r"^\s*(?:\(|set\s+|-\s+)?"
    r"(?:spark|hadoop|yarn|hive|fs|mapreduce|mapred|tez|presto|trino|emr|dfs|livy|iceberg|hudi|delta|"
    r"aws|io|ipc|javax|dynamodb|kinesis|s3|hbase|zookeeper|flink|oozie|metastore|datanucleus)"
    r"\.[\w.\-\[\]]+\s*(?:[=,:]|\s{2,}|\t)"
)
_JSON_FIELD = re.compile(r'^\s*"(?P<key>[\w.\-]+)"\s*:\s*(?P<value>.*?),?\s*$')
_JSON_TEXT = re.compile(r'"(?P<key>[\w.\-]+)"\s*:\s*"(?P<value>(?:[^"\\]|\\.)*)"')
# describe-API fields whose *value* is evidence (a reason or a message); every other field of a saved
# DescribeStep / GetJobRun / DescribeJobRun / pod JSON is a setting or an id, not evidence.
EVIDENCE_FIELDS = frozenset(
    {"message", "reason", "statedetails", "failurereason", "state", "exitcode", "errormessage", "code"}
)


def ignored_shape(text: str) -> str | None:
    """Why ``text`` is never evidence (a JVM command line, an echoed setting, a JSON setting), or None."""
    message = split_prefix(text).message
    if _CMDLINE.search(message):
        return "a JVM/launch command line"
    if _CONFIG.match(message):
        return "an echoed configuration setting"
    field = _JSON_FIELD.match(message)
    if field and field.group("key").lower() not in EVIDENCE_FIELDS:
        return "a describe-API JSON setting"
    return None


def json_evidence(text: str) -> list[str] | None:
    """The evidence in a JSON line: ``key: value`` of each evidence field; None if not JSON.

    A pretty-printed ``"Message": "..."`` line gives ``Message: ...``; a one-line JSON document gives
    one entry per evidence field it holds (unescaped, split on newlines), and nothing else.
    """
    stripped = text.strip()
    if not stripped.startswith(("{", '"')):
        return None
    if stripped.startswith("{"):
        try:
            document = json.loads(stripped)
        except ValueError:
            document = None
        if document is not None:
            return [line for key, value in _walk(document) for line in f"{key}: {value}".splitlines()]
    found: list[str] = []
    for match in _JSON_TEXT.finditer(stripped):
        if match.group("key").lower() in EVIDENCE_FIELDS:
            value = match.group("value").encode().decode("unicode_escape", "replace")
            found += f"{match.group('key')}: {value}".splitlines()
    field = _JSON_FIELD.match(stripped)
    if not found and field and field.group("key").lower() in EVIDENCE_FIELDS:
        found.append(f"{field.group('key')}: {field.group('value').strip(chr(34))}")
    return found if stripped.startswith("{") or found else None


def _walk(node: object, depth: int = 0) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if depth > 12:
        return out
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                out += _walk(value, depth + 1)
            elif str(key).lower() in EVIDENCE_FIELDS and value not in (None, ""):
                out.append((str(key), str(value)))
    elif isinstance(node, list):
        for item in node:
            out += _walk(item, depth + 1)
    return out


# --- where in the run a line sits -----------------------------------------------------------------

# Lines printed while the application shuts down: after one of these, exit codes 143, lost RPC
# endpoints and "SparkContext was shut down" are consequences, not causes.
SHUTDOWN = re.compile(
    r"Invoking stop\(\) from shutdown hook|Shutdown hook called|RECEIVED SIGNAL TERM|"
    r"SparkContext: Successfully stopped SparkContext|Unregistering ApplicationMaster|"
    r"Final app status: |Deleting staging directory"
)
# Always consequences of something else having failed or stopped first.
CONSEQUENCE = re.compile(
    r"Could not find CoarseGrainedScheduler|SparkContext (?:was|has been) shut down|"
    r"Cannot call methods on a stopped SparkContext|RpcEnv(?:StoppedException| already stopped)|"
    r"Driver \S+ disassociated|Executor self-exiting|because SparkContext was shut down|"
    r"[Ee]xit (?:code|status)(?: is)?:? ?143\b|exitCode[=:] ?143\b|Killed by external signal|"
    r"SIGTERM|Stage cancelled|cancelled because|Broken pipe|Connection reset by peer|"
    r"FileNotFoundException: \S*(?:spark-[\w-]+|blockmgr-|appcache)|"
    r"Failed to (?:send|connect to) (?:RPC|driver|\S+:\d+)|Lost connection to|Error sending result"
)
# A task attempt failed: Spark retries it (spark.task.maxFailures), so alone it is not fatal.
TASK_FAILURE = re.compile(
    r"Lost task (?P<task>\d+)\.(?P<attempt>\d+) in stage (?P<stage>[\d.]+)|"
    r"Exception in task (?P<task2>\d+)\.(?P<attempt2>\d+) in stage (?P<stage2>[\d.]+)|"
    r"Task (?P<task3>\d+) in stage (?P<stage3>[\d.]+) (?:failed|was lost)(?! \d+ times)|"
    r"TaskAttempt \S+ failed|task attempt \S+ failed"
)
# Spark gave up on a task: the last attempt's failure is the job's cause.
TASK_ABORT = re.compile(r"Task (?P<task>\d+) in stage (?P<stage>[\d.]+) failed (?P<times>\d+) times")
# An executor or container went away; YARN/Spark replace it, so alone it is not fatal.
EXECUTOR_LOSS = re.compile(
    r"Lost executor \d+|Removing executor \d+|remove executor \d+|Container marked as failed|"
    r"Container killed (?:by YARN|on request)|Completed container \S+ .*exit status: [^0]|"
    r"Container from a bad node|ExecutorLostFailure(?! \(executor \d+ exited caused by one of the running)|"
    r"YarnAllocator|YarnSchedulerBackend|ExecutorPodsAllocator|ExecutorPodsLifecycleManager|"
    r"Executor lost|executor \d+ (?:exited|lost|killed)|Decommission(?:ing)? executor"
)
# The application itself ended with this exception (the head of the chain says so).
UNCAUGHT = re.compile(
    r"Exception in thread \"|User class threw exception|Uncaught exception|"
    r"Job aborted due to stage failure|aborting job|Error running job|^Error: |"
    r"Application \S+ finished with failed status|failed with exception|Exception in User Class|"
    r"^FAILED: |Query \d{8}_\d{6}_\d{5}_\w{5} failed|^Query failed|Job failed with|"
    r"Failing this attempt|SparkUserAppException|Error initializing SparkContext|"
    r"Job run failed|Jobrun failed|Last few exceptions|Last error seen in logs"
)
RETRYING = re.compile(
    r"(?i)\bretrying\b|\bwill (?:be )?retr(?:y|ied)\b|\bretry(?:ing)? (?:in|after) \d|\battempt \d+ of \d+\b|"
    r"\bretries left\b|\bbackoff\b"
)
_PATH_ATTEMPT = re.compile(
    r"container_(?:e\d+_)?(?P<app>\d{10,}_\d{4,})_(?P<attempt>\d+)_\d{6,}|/attempts?[/_-]?(?P<att2>\d+)/"
)


def path_attempt(name: str) -> tuple[str, int]:
    """The YARN application (or ``""``) and the attempt a log belongs to, from its path (0 if none)."""
    match = _PATH_ATTEMPT.search(name)
    if match is None:
        return "", 0
    if match.group("app"):
        return match.group("app"), int(match.group("attempt"))
    return "", int(match.group("att2"))
