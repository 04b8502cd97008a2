"""``emr-dags diagnose``: print the probable cause of a failed step or job run.

Exit codes: 0 when a diagnosis was made from every log read to its end (whatever its category,
``unknown`` and ``no_failure_found`` included), 1 when AWS could not be asked, 2 on bad usage, 3 when
a diagnosis was printed but some input could not be read fully (a truncated or corrupt gzip, an
unreadable file or object) or no log line was read at all: the diagnosis used what was read and may
have missed the cause.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emr_dags.aws.states import CLUSTER_FAILED, STEP_FAILED
from emr_dags.console import EXIT_PARTIAL, Progress, checked, number, print_json

if TYPE_CHECKING:
    from emr_dags.diagnostics.model import Diagnosis

EXIT_INCOMPLETE = EXIT_PARTIAL
USAGE_EXAMPLES = """exit codes:
  0  diagnosis printed; every log was read to its end (any category, no_failure_found included)
  1  AWS could not be asked (credentials, throttling, no such cluster/job)
  2  bad usage
  3  diagnosis printed, but some input could not be read fully (truncated or corrupt gzip,
     unreadable file): it is listed under "Not found" / "incomplete"; the cause may be missing;
     also when no log line was read at all (an empty folder, empty files, no logs uploaded)

examples:
  emr-dags diagnose ./s-1ABC/                      a downloaded step log folder
  emr-dags diagnose stderr.gz stdout.gz --json
  emr-dags diagnose --cluster-id j-1ABC --step-id s-2DEF
  emr-dags diagnose --application-id 00f1abc --job-run-id 00f2def
  emr-dags diagnose --virtual-cluster-id abc123 --job-id 000000036pq
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diagnose",
        help="print the probable cause of a failed EMR step or job run",
        description="Read the logs of a failed EMR step, EMR Serverless job run or EMR on EKS job "
        "(local files, or fetched from S3/CloudWatch) and print the probable cause.",
        epilog=USAGE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="log files (plain or .gz) or folders")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a text block")
    aws = parser.add_argument_group("fetch the logs from AWS")
    aws.add_argument("--cluster-id", help="EMR on EC2 cluster (j-...)")
    aws.add_argument("--step-id", help="step (s-...); default: the cluster's most recent failed step")
    aws.add_argument("--application-id", help="EMR Serverless application id")
    aws.add_argument("--job-run-id", help="EMR Serverless job run id")
    aws.add_argument("--virtual-cluster-id", help="EMR on EKS virtual cluster id")
    aws.add_argument("--job-id", help="EMR on EKS job run id")
    aws.add_argument("--endpoint-url", help="AWS endpoint (e.g. the local emulator)")
    aws.add_argument("--region", help="AWS region (default: from the environment)")
    aws.add_argument(
        "--wait-seconds",
        action=checked(number("--wait-seconds 60")),
        default=60.0,
        help="how long to wait for late log uploads (default 60)",
    )
    aws.add_argument(
        "--poll-seconds",
        action=checked(number("--poll-seconds 10", inclusive=False)),
        default=10.0,
        help="poll interval while waiting (default 10)",
    )
    parser.set_defaults(func=run)


def _usage_error(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, and the fix; None if they are fine."""
    serverless = args.application_id or args.job_run_id
    eks = args.virtual_cluster_id or args.job_id
    ec2 = args.cluster_id or args.step_id
    modes = sum(bool(m) for m in (args.paths, ec2, serverless, eks))
    if modes == 0:
        return (
            "nothing to diagnose: pass log PATHs, or --cluster-id [--step-id], or --application-id and "
            "--job-run-id, or --virtual-cluster-id and --job-id"
        )
    if modes > 1:
        return (
            "choose one of: PATHs, --cluster-id, --application-id/--job-run-id, --virtual-cluster-id/--job-id"
        )
    if args.step_id and not args.cluster_id:
        return "--step-id needs --cluster-id j-... (the cluster the step ran on)"
    if serverless and not (args.application_id and args.job_run_id):
        return "EMR Serverless needs both --application-id and --job-run-id"
    if eks and not (args.virtual_cluster_id and args.job_id):
        return "EMR on EKS needs both --virtual-cluster-id and --job-id"
    if args.wait_seconds < 0 or args.poll_seconds <= 0:
        return "--wait-seconds must be >= 0 and --poll-seconds > 0, e.g. --wait-seconds 60 --poll-seconds 10"
    absent = [p for p in args.paths if not Path(p).exists()]
    if absent:
        return (
            f"no such file or folder: {', '.join(absent)}; pass log files (plain or .gz) or a step log folder"
        )
    return None


def run(args: argparse.Namespace) -> int:
    problem = _usage_error(args)
    if problem:
        print(f"emr-dags diagnose: error: {problem}", file=sys.stderr)
        return 2
    if args.paths:
        from emr_dags.diagnostics.api import diagnose_paths

        diagnosis = diagnose_paths(args.paths)
    else:
        try:
            with Progress("diagnose").during(
                f"fetching logs from AWS, waiting for late uploads up to {args.wait_seconds:g} s"
            ):
                diagnosis = _from_aws(args)
        except Exception as exc:  # noqa: BLE001 - botocore errors, reported without a traceback
            print(f"emr-dags diagnose: could not read from AWS: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    _print(diagnosis, as_json=args.json)
    if diagnosis.incomplete:
        print(
            f"emr-dags diagnose: {len(diagnosis.incomplete)} input(s) could not be read fully: "
            + "; ".join(diagnosis.incomplete),
            file=sys.stderr,
        )
        return EXIT_INCOMPLETE
    if _nothing_read(diagnosis):
        print(
            "emr-dags diagnose: no log line was read"
            + (f" ({'; '.join(diagnosis.missing)})" if diagnosis.missing else "")
            + ": the diagnosis has nothing to go on; pass the step's log folder or its stderr/stdout files",
            file=sys.stderr,
        )
        return EXIT_INCOMPLETE
    return 0


_LINES_READ = re.compile(r"\((\d+) lines")


def _nothing_read(diagnosis: Diagnosis) -> bool:
    """True when not one log line was read (``searched`` entries read ``name (N lines...)``); a
    DescribeCluster-only diagnosis counts as read."""
    counts = [int(m.group(1)) for s in diagnosis.searched if (m := _LINES_READ.search(s))]
    return not any(counts)


def _print(diagnosis: Diagnosis, *, as_json: bool) -> None:
    from emr_dags.diagnostics.redact import redact, redact_value

    # a Diagnosis is redacted when built; redacted again at the door, like every other output
    if as_json:
        print_json(redact_value(diagnosis.to_dict()))
    else:
        print(redact(diagnosis.format_block()))


def _from_aws(args: argparse.Namespace) -> Diagnosis:
    # only here: `emr-dags diagnose PATH` and --help never import boto3
    from emr_dags.aws.clients import AwsTarget, client_for
    from emr_dags.diagnostics import api

    target = AwsTarget(aws_conn_id=None, region_name=args.region, endpoint_url=args.endpoint_url)

    def client(name: str) -> Any:
        return client_for(name, target)

    wait = {"wait_seconds": args.wait_seconds, "poll_seconds": args.poll_seconds}
    if args.cluster_id:
        emr = client("emr")
        step_id = args.step_id or _latest_failed_step(emr, args.cluster_id)
        if step_id is None:
            return _cluster_only(emr, args.cluster_id)
        return api.diagnose_emr_step(emr, client("s3"), args.cluster_id, step_id, **wait)
    if args.application_id:
        return api.diagnose_serverless_job(
            client("emr-serverless"),
            client("s3"),
            client("logs"),
            args.application_id,
            args.job_run_id,
            **wait,
        )
    return api.diagnose_eks_job(
        client("emr-containers"), client("s3"), client("logs"), args.virtual_cluster_id, args.job_id, **wait
    )


def _latest_failed_step(emr: Any, cluster_id: str) -> str | None:
    steps = emr.list_steps(ClusterId=cluster_id, StepStates=list(STEP_FAILED)).get("Steps", [])
    if steps:
        return str(steps[0]["Id"])  # ListSteps returns the most recent first
    everything = emr.list_steps(ClusterId=cluster_id).get("Steps", [])
    return str(everything[0]["Id"]) if everything else None


def _cluster_only(emr: Any, cluster_id: str) -> Diagnosis:
    """A cluster without steps: its state change reason is all there is (e.g. a bootstrap failure)."""
    from emr_dags.diagnostics.api import diagnose_text

    status = emr.describe_cluster(ClusterId=cluster_id)["Cluster"].get("Status", {})
    reason = status.get("StateChangeReason", {})
    lines = [
        f"Cluster {cluster_id} state: {status.get('State')}",
        f"Cluster state change reason: {reason.get('Code', '')}: {reason.get('Message', '')}",
    ]
    failed = status.get("State") in CLUSTER_FAILED
    return diagnose_text(f"DescribeCluster {cluster_id}", lines, known_failed=failed)
