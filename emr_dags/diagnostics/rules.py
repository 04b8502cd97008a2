"""The rule table: which log line means which :class:`FailureCategory`.

Each :class:`Rule` is a regular expression searched in one log line, the category it means and a
priority. When several lines match, the highest priority wins; within one priority the root of a
``Caused by:`` chain beats its wrappers, and an earlier failure beats a later one (later errors are
usually consequences). Every rule carries a realistic ``example`` line; a unit test checks that it
matches, so the table doubles as documentation.

Priorities, from most to least decisive:

* 96 a bootstrap action failed (the steps' cancellation is its consequence);
* 95 the run was cancelled or timed out: nothing else matters;
* 89-93 permission problems, full disks and classes that cannot be loaded: always decisive when they
  appear (a query that fails analysis because its UDF class is missing failed on the class);
* 80-88 specific causes (analysis errors, missing modules, out of memory, missing S3 paths,
  lost nodes);
* 70-79 query engines' own "query failed" lines (Hive, Trino/Presto);
* 50-60 bare exit codes (137 = SIGKILL, usually the OOM killer; 143 = SIGTERM);
* 30-40 any exception at all (Python beats JVM: it is closer to the user's code);
* 10 framework wrappers (``Py4JJavaError``, ``SparkException: Job aborted`` ...), used only when
  nothing better is found;
* 1 bare "it failed" markers (``Step failed with exitCode 1``), which make the category ``unknown``.

``SUCCESS`` rules mark a run that finished well: if one matches and no failure marker or cause
does, the diagnosis is ``no_failure_found``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from emr_dags.diagnostics.categories import FailureCategory as C


class Kind(StrEnum):
    CAUSE = "cause"  # a line that names a cause
    EXCEPTION = "exception"  # any JVM/Python exception line; the exception is re-checked against WRAPPERS
    FAILED = "failed"  # "it failed", without saying why
    SUCCESS = "success"  # the run finished well


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    category: C
    priority: int
    keywords: tuple[str, ...]  # the regex is only tried on lines containing one of these (cheap)
    pattern: str
    example: str
    kind: Kind = Kind.CAUSE
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(self.pattern))


# Literal byte strings, searched in the *lower-cased* log: a line is decoded and classified only if it
# contains one of them. Each needle is one C-speed ``bytes.find`` sweep over every byte of the log, so
# the always-searched set (NEEDLES) is kept to the few words nearly every failure line carries.
NEEDLES: tuple[bytes, ...] = (
    b"error",
    b"exception",
    b"fail",
    b"kill",
    b"exit",
    b"traceback",
)
# Rarer words (success and cancellation markers, lost nodes, timeouts, missing paths, ...), searched
# only near evidence: in the first and last MiB of every log, and in every MiB where a NEEDLES line
# that is not known noise was found. Small logs (<= 2 MiB) are therefore searched for every needle.
NEEDLES_NEAR: tuple[bytes, ...] = (
    b"denied",
    b"timed out",
    b"timeout",
    b"cancel",
    b"bootstrap",
    b"lost",
    b"decommission",
    b"not authorized",
    b"unauthorized",
    b"nosuch",
    b"memory limit",
    b"deadline",
    b"spot ",
    b"sigsegv",
    b"sigbus",
    b"sigill",
    b"no space ",
    b"does not exist",
    b"not found",
    b"_not_found]",
    b"unresolved_",
    b"lake formation",
    b"throwable",
    b"shutdown",
    b"signal term",
    b"non-zero",
    b"return code",
    b"forbidden",
    b"could only be",
    b"quota",
    b"local-dirs",
    b"insufficient",
    b"exceeded",
    b"oomkilled",
    b"caused by",
    b"maxresultsize",
    b"aborting",
)
# Success markers, searched case-sensitively like NEEDLES_NEAR: lower-cased, "finished", "completed" and
# "successfully" are on every other line of a Spark log ("Finished task", "Successfully created connection").
NEEDLES_NEAR_CASED: tuple[bytes, ...] = (
    b"SUCCE",
    b"ucceeded",
    b"ompleted successfully",
    b"uccessfully completed",
    b"FINISHED",
    b"COMPLETED",
)

# A Java class name ending in Exception/Error. It starts only at a word boundary and its package
# parts are possessive, so that a 4000-character line cannot make the regex backtrack quadratically.
_EXC = r"(?<![\w$.])(?:[a-zA-Z_$][\w$]*+\.)++[A-Z][\w$]*(?:Exception|Error|Throwable)"

R = Rule
RULES: tuple[Rule, ...] = (
    # --- cancelled, timed out, bootstrap -------------------------------------------------------
    R(
        "bootstrap-action-failed",
        C.BOOTSTRAP_FAILURE,
        96,
        ("ootstrap", "BOOTSTRAP"),
        r"(?i)bootstrap action \d+ (?:returned a non-zero return code|failed)|BOOTSTRAP_FAILURE|"
        r"bootstrap action .*(?:failed|non-zero)|failed attempting to download bootstrap action",
        "On the master instance (i-0abc), bootstrap action 1 returned a non-zero return code",
    ),
    R(
        # the instance controller's own record of a bootstrap action that failed; scan.py only applies
        # it to logs under node/<instance>/bootstrap-actions/<n>/ (a step controller never says this)
        "bootstrap-execution-failed",
        C.BOOTSTRAP_FAILURE,
        96,
        ("Execution failed with code", "Execution ended with ret val"),
        r"Execution failed with code '-?[1-9]\d*'|Execution ended with ret val -?[1-9]",
        "2025-11-25T03:02:44.118Z WARN Execution failed with code '1'",
    ),
    R(
        "step-cancelled",
        C.TIMEOUT_OR_CANCELLED,
        95,
        ("ancel", "ANCEL", "killed by user", "CANCEL"),
        r"(?i)\b(?:step|job run|job|application|query)\b[^.]{0,40}\b(?:was )?(?:cancell?ed|killed by user)\b|"
        r"^(?i:state): CANCELL?ED\b",
        "Step state is CANCELLED: Job was cancelled by user",
    ),
    R(
        "timed-out",
        C.TIMEOUT_OR_CANCELLED,
        95,
        ("imed out", "IMED OUT", "imeout", "IMEOUT", "Deadline"),
        r"(?i)(?:exceeded (?:the )?(?:maximum )?(?:execution )?timeout|timed out after \d+|execution ?timeout|"
        r"Job run timed out|ActiveDeadlineSecondsExceeded|DeadlineExceeded)",
        "Job run timed out after 720 minutes (executionTimeoutMinutes)",
    ),
    R(
        "yarn-app-killed",
        C.TIMEOUT_OR_CANCELLED,
        95,
        ("killed by user",),
        r"Application (?:application_\d+_\d+ )?(?:was )?killed by user|Application killed by user",
        "Final app status: KILLED, exitCode: 16, (reason: Application killed by user.)",
    ),
    # --- permissions -----------------------------------------------------------------------------
    R(
        "iam-not-authorized-s3",
        C.S3_ACCESS_DENIED,
        93,
        ("not authorized",),
        r"is not authorized to perform: s3:",
        "User: arn:aws:sts::1:assumed-role/R/i-1 is not authorized to perform: s3:GetObject on resource",
    ),
    R(
        "s3-403",
        C.S3_ACCESS_DENIED,
        92,
        ("403", "Access Denied", "AccessDenied"),
        r"(?:AmazonS3Exception|S3Exception|S3ServiceException|AWSS3IOException)[^\n]*(?:Access Denied|AccessDenied|403)|"
        r"Service: (?:Amazon )?S3[^)]*Status Code: 403|Error Code: AccessDenied(?!Exception)|"
        r"\(AccessDenied\) when calling the \w+Object\w* operation|\(403\) when calling the (?:Head|Get|Put)Object operation|"
        r"AccessDeniedException: s3a?://|s3a?://\S+: getFileStatus on \S+: .*403 Forbidden",
        "com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied)",
    ),
    R(
        "iam-not-authorized",
        C.IAM_PERMISSION_DENIED,
        91,
        ("not authorized", "AccessDeniedException", "Unauthorized", "UnrecognizedClient"),  # KMS too
        r"is not authorized to perform: [a-z0-9-]+:\w+|\(AccessDeniedException\)|AccessDeniedException: User: |"
        r"UnauthorizedOperation|not authorized to perform sts:AssumeRole|\(UnrecognizedClientException\)|"
        r"AccessDeniedException \(Service: (?!Amazon S3)|KMSAccessDeniedException|"
        r"is not authorized to (?:decrypt|access|use|invoke|assume)\b",
        "An error occurred (AccessDeniedException) when calling the GetTable operation: User: arn:aws:sts::1:assumed-role/R/i-1 is not authorized to perform: glue:GetTable",
    ),
    R(
        "lake-formation-denied",
        C.IAM_PERMISSION_DENIED,
        91,
        ("Lake Formation", "lakeformation"),
        r"Insufficient Lake Formation permission|lakeformation.*AccessDenied",
        "Insufficient Lake Formation permission(s) on sales",
    ),
    # --- disk ------------------------------------------------------------------------------------
    R(
        "no-space-left",
        C.DISK_FULL,
        90,
        (
            "No space",
            "DiskOutOfSpace",
            "local-dirs",
            "full",
            "could only be",
            "QuotaExceeded",
            "quota of",
        ),
        r"No space left on device|No space available in any of the local directories|DiskOutOfSpace|"
        r"local-dirs (?:usable space is below|are bad)|disk(?:s)? (?:is |are )?full|"
        r"could only be (?:written|replicated) to 0 (?:of the \d+ minReplication )?nodes|DSQuotaExceededException|"
        r"The DiskSpace quota of \S+ is exceeded",
        "java.io.IOException: No space left on device",
    ),
    # --- specific causes -------------------------------------------------------------------------
    R(
        # above the analysis and Hive rules: a query that fails because a class (a UDF, a data source)
        # cannot be loaded failed on the missing class, however the engine words it
        "class-not-found",
        C.CLASS_NOT_FOUND,
        89,
        (
            "ClassNotFound",
            "NoClassDefFound",
            "Failed to find data source",
            "main class",
            "DATA_SOURCE_NOT_FOUND",
            "load class",
            "Class ",
        ),
        r"ClassNotFoundException|NoClassDefFoundError|Failed to find data source: |Cannot load main class|"
        r"Could not find or load main class|DATA_SOURCE_NOT_FOUND|Can ?not load class '|"
        r"FAILED: Class [\w.$]+ not found",
        "java.lang.ClassNotFoundException: com.example.etl.DailyJob",
    ),
    R(
        "spark-analysis",
        C.SPARK_ANALYSIS_ERROR,
        88,
        ("AnalysisException", "_NOT_FOUND]", "UNRESOLVED_"),
        r"AnalysisException: |\[(?:TABLE_OR_VIEW_NOT_FOUND|UNRESOLVED_COLUMN[\w.]*|PATH_NOT_FOUND|SCHEMA_NOT_FOUND|"
        r"UNRESOLVED_ROUTINE)\]",
        "pyspark.errors.exceptions.captured.AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] The table or view `sales`.`orders` cannot be found.",
    ),
    R(
        "python-module-missing",
        C.PYTHON_MODULE_MISSING,
        87,
        ("ModuleNotFoundError", "ImportError", "ERROR: "),
        r"ModuleNotFoundError: |ImportError: (?:No module named|cannot import name)|"
        r"^ERROR: (?:Could not find a version that satisfies the requirement|No matching distribution found for)",
        "ModuleNotFoundError: No module named 'pandas'",
    ),
    R(
        "yarn-memory-kill",
        C.EXECUTOR_OUT_OF_MEMORY,
        86,
        ("memory limit",),
        r"(?i)killed by YARN for exceeding (?:physical |virtual )?memory limits|running beyond (?:physical|virtual) memory limits|"
        r"beyond the '(?:PHYSICAL|VIRTUAL)' memory limit|"
        r"exceeding memory limits",
        "Container killed by YARN for exceeding physical memory limits. 12.1 GB of 12 GB physical memory used.",
    ),
    R(
        "executor-oom",
        C.EXECUTOR_OUT_OF_MEMORY,
        85,
        ("OutOfMemoryError", "OOMKilled"),
        r"(?:executor \d+[^\n]*|ExecutorLostFailure[^\n]*)OutOfMemoryError|OOMKilled[^\n]*exec|exec[^\n]*OOMKilled",
        "Lost task 7.3 in stage 4.0 (TID 92) (ip-10-0-1-7.ec2.internal executor 3): java.lang.OutOfMemoryError: Java heap space",
    ),
    R(
        "jvm-oom",
        C.DRIVER_OUT_OF_MEMORY,
        84,
        ("OutOfMemoryError", "maxResultSize", "MemoryError", "OOMKilled", "Cannot allocate memory"),
        r"OutOfMemoryError|spark\.driver\.maxResultSize|\bMemoryError\b|OOMKilled|Cannot allocate memory",
        'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
    ),
    R(
        "s3-not-found",
        C.S3_PATH_NOT_FOUND,
        83,
        ("FileNotFoundException", "NoSuch", "does not exist", "404", "Input Pattern"),  # S3A, input formats
        r"FileNotFoundException: (?:No such file or directory:? )?'?s3[an]?://|FileNotFoundException: File s3[an]?://|"
        r"NoSuchKey|NoSuchBucket|The specified (?:key|bucket) does not exist|\(404\) when calling the \w+ operation|"
        r"s3[an]?://\S+ does not exist|Status Code: 404|IOException: Bucket \S+ does not exist|"
        r"Input (?:path does not exist: |Pattern )s3[an]?://",
        "java.io.FileNotFoundException: No such file or directory 's3://acme-data/raw/2025-11-24/part-0000.parquet'",
    ),
    R(
        "node-lost",
        C.NODE_LOST_OR_SPOT_INTERRUPTED,
        80,
        ("lost", "-100", "pot ", "ecommission", "INSTANCE_FAILURE"),
        r"released on a \*lost\* node|Exit status: -100|(?i:spot (?:instance )?(?:interruption|termination))|"
        r"(?:Executor|Node|Host) decommission\b|(?:node|host|instance) \S+ (?:is being |was |has been )?decommissioned|"
        r"Slave lost|INSTANCE_FAILURE|"
        r"lost (?:an )?(?:executor|node|worker) \S+ .*(?:decommission|spot)",
        "Reason: Container marked as failed: container_1_0001_01_000004 on host: ip-10-0-1-9. Exit status: -100. Diagnostics: Container released on a *lost* node.",
    ),
    # --- query engines -----------------------------------------------------------------------------
    R(
        "hive-failed",
        C.HIVE_QUERY_ERROR,
        75,
        ("FAILED",),
        r"^FAILED: (?:SemanticException|ParseException|HiveException|HiveAccessControlException|"
        r"Hive Internal Error|IllegalArgumentException)|Error while compiling statement: FAILED",
        "FAILED: SemanticException [Error 10001]: Line 1:14 Table not found 'orders'",
    ),
    R(
        "trino-failed",
        C.TRINO_QUERY_ERROR,
        75,
        ("Query", "trino", "presto"),
        r"Query \d{8}_\d{6}_\d{5}_\w{5} failed|(?:io\.trino|io\.prestosql|com\.facebook\.presto)\S*(?:Exception|Error): |"
        r"Query failed \(#\w+\)",
        "Query 20251125_031245_00012_ab3cd failed: line 1:15: Table 'hive.sales.orders' does not exist",
    ),
    # --- bare exit codes -----------------------------------------------------------------------------
    R(
        "exit-137",
        C.EXECUTOR_OUT_OF_MEMORY,
        60,
        ("137",),
        r"(?:[Ee]xit (?:code|status)(?: is)?:? ?137\b|exitCode[=:] ?137\b|\bcode 137\b)",
        "Container killed on request. Exit code is 137",
    ),
    R(
        "exit-52",
        C.EXECUTOR_OUT_OF_MEMORY,
        60,
        ("52",),
        r"(?:[Ee]xit (?:code|status)(?: is)?:? ?52\b|exitCode[=:] ?52\b)",
        "Container marked as failed: container_1_0002_01_000014 on host: ip-1. Exit status: 52. Diagnostics: Exception from container-launch.",
    ),
    R(
        "exit-143",
        C.EXECUTOR_OUT_OF_MEMORY,
        55,
        ("143",),
        r"(?:[Ee]xit (?:code|status)(?: is)?:? ?143\b|exitCode[=:] ?143\b)",
        "Container exited with a non-zero exit code 143. Killed by external signal",
    ),
    R(
        "driver-sigterm",
        C.TIMEOUT_OR_CANCELLED,
        50,
        ("SIGNAL TERM",),
        r"ApplicationMaster: RECEIVED SIGNAL TERM",
        "24/04/09 10:14:03 ERROR ApplicationMaster: RECEIVED SIGNAL TERM",
    ),
    R(
        "hive-execution-error",
        C.HIVE_QUERY_ERROR,
        40,
        ("FAILED: Execution Error", "Vertex failed"),
        r"FAILED: Execution Error, return code \d+ from|Vertex failed, vertexName=",
        "FAILED: Execution Error, return code 2 from org.apache.hadoop.hive.ql.exec.tez.TezTask",
    ),
    # --- any exception: category and wrapper status decided in scan.py ---------------------------
    R(
        "python-exception",
        C.PYTHON_EXCEPTION,
        35,
        ("Error", "Exception", "Exit"),
        r"^((?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit))(?:: (.*))?$",
        "ValueError: invalid literal for int() with base 10: 'N/A'",
        Kind.EXCEPTION,
    ),
    R(
        "jvm-native-crash",
        C.JVM_EXCEPTION,
        32,
        ("SIGSEGV", "SIGBUS", "SIGILL"),
        r"#\s+(?:SIGSEGV|SIGBUS|SIGILL) \(0x",
        "#  SIGSEGV (0xb) at pc=0x00007f3c2d1a4b10, pid=24112, tid=24160",
    ),
    R(
        "jvm-exception",
        C.JVM_EXCEPTION,
        30,
        ("Exception", "Error", "Throwable"),
        r"(" + _EXC + r")",
        "Caused by: java.lang.IllegalStateException: Duplicate key 42",
        Kind.EXCEPTION,
    ),
    # --- "it failed" without a reason ----------------------------------------------------------------
    # A container's, application master's or job run's exit statement (which container, which status;
    # Serverless/EKS ``stateDetails: ... ExitCode: 1``) says more than any other marker; the best
    # marker is quoted when the category is ``unknown``.
    R(
        "container-exit",
        C.UNKNOWN,
        3,
        ("Exit status", "exitCode", "exit code", "ExitCode"),
        r"Exit status: -?\d+\. Diagnostics: |exited with\s+exitCode: -?\d+|"
        r"Container exited with a non-zero exit code -?\d+|ExitCode: -?[1-9]\d*",
        "Container marked as failed: container_1_0001_01_000005 on host: ip-1. Exit status: 1. Diagnostics: Exception from container-launch.",
        Kind.FAILED,
    ),
    R(
        "failed-marker",
        C.UNKNOWN,
        1,
        ("failed", "FAILED", "non-zero", "exit code", "Error initializing"),
        r"Step failed with exitCode|Final app status: FAILED|finished with failed status|\(state: FAILED\)|"
        r"final status: FAILED|Job run failed|job failed with|JobRunState\.FAILED|state: FAILED|"
        r"waitProcessCompletion ended with exit code [1-9]|exited with (?:a )?non-zero (?:exit )?(?:code|status)|"
        r"Error initializing SparkContext|Task \d+ in stage [\d.]+ failed \d+ times",
        "INFO waitProcessCompletion ended with exit code 1 : hadoop jar /var/lib/aws/emr/step-runner/hadoop-...",
        Kind.FAILED,
    ),
    # --- success -------------------------------------------------------------------------------------
    R(
        "success-marker",
        C.NO_FAILURE_FOUND,
        0,
        ("SUCCEEDED", "succeeded", "FINISHED", "uccess", "SUCCESS", "COMPLETED"),
        r"Step succeeded with exitCode 0|Final app status: SUCCEEDED|final status: SUCCEEDED|"
        r"\(state: FINISHED\)|Job run succeeded|Query \d{8}_\d{6}_\d{5}_\w{5},? (?:finished|FINISHED)|"
        r"Job has been completed successfully|[Cc]ompleted successfully|Successfully completed|"
        r"^(?i:state): (?:SUCCESS|COMPLETED)\b",
        "INFO ApplicationMaster: Final app status: SUCCEEDED, exitCode: 0",
        Kind.SUCCESS,
    ),
)
del R

# Exceptions that wrap the real cause. When the decisive exception of a line matches one of these,
# the line only counts as a wrapper (priority 10): the root cause is elsewhere (a ``Caused by:``
# below it, the executor's log, or the end of the same line).
WRAPPERS: tuple[str, ...] = (
    r"Py4JJavaError",
    r"An error occurred while calling [\w.]+",
    r"SparkException: Job aborted",
    r"SparkException: Exception thrown in awaitResult",
    r"SparkException: Application application_\d+_\d+ finished with failed status",
    r"SparkException: Task failed while writing rows",
    r"SparkUserAppException",
    r"SparkException: \[TASK_WRITE_FAILED\]",
    r"ExecutionException",
    r"InvocationTargetException",
    r"UndeclaredThrowableException",
    r"JobExecutionException: Job execution failed",
    r"ProgramInvocationException",
    r"JobException: Recovery is suppressed",
    r"CompletionException",
    r"PythonException:\s*$",
    r"ExitCodeException",
    r"ApplicationMaster: User class threw exception",
    r"Yarn application has already ended",
    r"SparkException: Application application_\d+_\d+ failed \d+ times due to AM Container",
)
WRAPPER_RX = re.compile("|".join(WRAPPERS))
# Rules that mean something only in a bootstrap action's own logs (node/<instance>/bootstrap-actions/<n>/).
BOOTSTRAP_ONLY = frozenset({"bootstrap-execution-failed"})
BOOTSTRAP_LOG = "bootstrap-actions/"
WRAPPER_PRIORITY = 10

# Exception lines that are known noise on healthy EMR clusters; they never count as a cause.
BENIGN: tuple[str, ...] = (
    r"java\.lang\.InterruptedException",
    r"RpcEnvStoppedException",
    r"ClosedChannelException",
    r"NativeCodeLoader",
    r"HiveConf of name",
    r"java\.net\.ConnectException: Connection refused.*(?:Retrying|retry)",
    r"Failed to delete: ",
    r"does not exist; ignoring",
    r"FileAlreadyExistsException.*_SUCCESS",
    r"SLF4J: ",
)
BENIGN_RX = re.compile("|".join(BENIGN))

# Log4j level of a line, so that exceptions quoted in INFO/DEBUG lines don't count.
LEVEL_RX = re.compile(r"^\S+(?: \S+)?\s+(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\b")
