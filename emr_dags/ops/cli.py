"""``emr-dags reap`` and ``emr-dags cost``: on-call commands (registered by ``emr_dags.cli``).

``reap`` is a dry run unless ``--yes`` is given. The DAG-run state comes from Airflow's REST API
(``--airflow-url``, token from ``--airflow-token`` / env ``EMR_DAGS_AIRFLOW_TOKEN`` or
user/password from ``EMR_DAGS_AIRFLOW_USER`` / ``EMR_DAGS_AIRFLOW_PASSWORD``), or with
``--state-source db`` from the metadata DB of the Airflow configured in this environment.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from emr_dags.console import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    Progress,
    checked,
    existing_file,
    exit_codes_epilog,
    log_to_stderr,
    print_json,
    whole_number,
)

if TYPE_CHECKING:
    from emr_dags.aws.clients import AwsClients
    from emr_dags.ops.run_state import RunStateSource


REAP_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "done: every listing worked and every planned stop succeeded (dry run: nothing to do)"),
    (EXIT_FAILED, "failed: every AWS listing failed, or a cluster/job run could not be stopped"),
    (EXIT_USAGE, "bad arguments"),
    (EXIT_PARTIAL, "partial: some AWS listings failed (warnings on stderr); what was listed was handled"),
)
COST_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "estimates printed; every AWS listing worked"),
    (EXIT_FAILED, "failed: every AWS listing failed (credentials, endpoint, permissions)"),
    (EXIT_USAGE, "bad arguments, or an unreadable price file"),
    (EXIT_PARTIAL, "partial: some AWS listings failed (warnings on stderr); the estimates miss those"),
)
# collect() lists three flavours: EMR clusters, EMR Serverless job runs, EMR on EKS job runs.
LISTINGS = 3
LISTING_FAILED = "could not list "


def register(subparsers: Any) -> None:
    reap = subparsers.add_parser(
        "reap",
        help="find (and with --yes, stop) EMR resources whose DAG run has ended",
        description="Terminate clusters and cancel job runs tagged emr-dags:managed=true by this deployment "
        "whose DAG run has finished (or is unknown to Airflow and past its emr-dags:deadline). Dry run unless "
        "--yes. Never touches untagged resources, other deployments' or ones whose tags are inconsistent.",
        epilog=REAP_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _aws_args(reap)
    reap.add_argument("--yes", action="store_true", help="act; without it nothing is changed (dry run)")
    reap.add_argument(
        "--reap-missing", action="store_true", help="also stop resources whose DAG run Airflow does not know"
    )
    reap.add_argument(
        "--state-source",
        choices=("rest", "db"),
        default="rest",
        help="where DAG-run states come from: Airflow's REST API (default) or this environment's metadata DB",
    )
    reap.add_argument(
        "--airflow-url",
        default=os.environ.get("EMR_DAGS_API_URL", "http://127.0.0.1:8080"),
        help="Airflow api-server base URL (env EMR_DAGS_API_URL)",
    )
    reap.add_argument(
        "--airflow-token",
        default=os.environ.get("EMR_DAGS_AIRFLOW_TOKEN"),
        help="Airflow API token; prefer env EMR_DAGS_AIRFLOW_TOKEN (a flag is visible to `ps`)",
    )
    reap.add_argument(
        "--deployment-id",
        default=None,
        help="act only on resources tagged emr-dags:deployment=ID (default: [emr_dags] deployment_id / "
        "AIRFLOW__EMR_DAGS__DEPLOYMENT_ID, else derived from this environment's metadata DB URL)",
    )
    reap.set_defaults(func=run_reap)

    cost = subparsers.add_parser(
        "cost",
        help="estimated cost of what emr-dags launched, per resource, DAG run and DAG",
        description="Estimated cost (list prices from a dated table) of tagged clusters and job runs.",
        epilog=COST_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _aws_args(cost)
    cost.add_argument(
        "--days",
        action=checked(whole_number(1, "--days 7")),
        default=7,
        help="look back this many days (default 7)",
    )
    cost.add_argument("--dag-id", help="only this DAG")
    cost.add_argument(
        "--price-file",
        action=checked(existing_file),
        help="JSON price table merged over the packaged one (shaped like emr_dags/cost/prices.json)",
    )
    cost.add_argument("--steps", action="store_true", help="also price each EMR step (share of its cluster)")
    cost.add_argument(
        "--pricing-api", action="store_true", help="refresh EC2 prices from the AWS Pricing API (best effort)"
    )
    cost.set_defaults(func=run_cost)


def _aws_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--endpoint-url", help="AWS endpoint (e.g. the emr-dags emulator); default: real AWS")
    p.add_argument(
        "--region",
        default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        help="AWS region (default: $AWS_DEFAULT_REGION, else us-east-1)",
    )
    p.add_argument(
        "--aws-conn-id",
        help="use this Airflow connection (via the amazon provider) instead of boto3 defaults",
    )
    p.add_argument(
        "--json", action="store_true", help="print one JSON document on stdout (warnings, progress on stderr)"
    )


def _listing_exit(warnings: Any) -> int:
    """EXIT_FAILED when every listing failed, EXIT_PARTIAL when some did, else EXIT_OK; warnings to stderr."""
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    failed = sum(1 for w in warnings if w.startswith(LISTING_FAILED))
    if failed >= LISTINGS:
        return EXIT_FAILED
    return EXIT_PARTIAL if failed else EXIT_OK


def _clients(args: argparse.Namespace) -> AwsClients:
    from emr_dags.aws.clients import AwsClients, AwsTarget

    return AwsClients(
        AwsTarget(aws_conn_id=args.aws_conn_id, region_name=args.region, endpoint_url=args.endpoint_url)
    )


def _state_source(args: argparse.Namespace) -> RunStateSource:
    from emr_dags.ops.run_state import MetadataDbRunStates, RestApiRunStates

    if args.state_source == "db":
        return MetadataDbRunStates()
    return RestApiRunStates(
        args.airflow_url,
        token=args.airflow_token,
        username=os.environ.get("EMR_DAGS_AIRFLOW_USER"),
        password=os.environ.get("EMR_DAGS_AIRFLOW_PASSWORD"),
    )


def run_reap(
    args: argparse.Namespace, *, states: RunStateSource | None = None, clients: AwsClients | None = None
) -> int:
    from emr_dags.ops.reaper import Action, Outcome, reap

    log_to_stderr()
    dry_run = not args.yes
    with Progress("reap").during("listing and deciding on tagged clusters and job runs"):
        decisions, results, warnings = reap(
            clients or _clients(args),
            states or _state_source(args),
            dry_run=dry_run,
            reap_missing=args.reap_missing,
            deployment=getattr(args, "deployment_id", None),
        )
    failed = [r for r in results if r.outcome is Outcome.FAILED]
    code = _listing_exit(warnings)
    if failed:
        code = EXIT_FAILED
    if args.json:
        print_json(
            {
                "dry_run": dry_run,
                "decisions": [d.to_dict() for d in decisions],
                "results": [r.to_dict() for r in results],
                "warnings": list(warnings),
                "exit_code": code,
            }
        )
        return code
    orphans = [d for d in decisions if d.action is Action.REAP]
    print(f"{len(decisions)} active emr-dags resource(s); {len(orphans)} orphan(s)")
    for d in decisions:
        r = d.resource
        mark = "ORPHAN" if d.action is Action.REAP else "keep  "
        print(
            f"  {mark} {r.kind.value:<19} {r.id:<24} {r.state:<10} {r.dag_id}/{r.run_id} [{r.task_id}]: {d.reason}"
        )
    for res in results:
        r = res.decision.resource
        verb = res.decision.verb
        if res.outcome is Outcome.PLANNED:
            print(f"would {verb} {r.kind.value} {r.id}")
        elif res.outcome is Outcome.DONE:
            print(f"{verb}d {r.kind.value} {r.id}")
        else:
            print(f"{res.outcome.value}: {verb} {r.kind.value} {r.id}: {res.detail}")
    if dry_run and orphans:
        print("dry run: nothing was changed; re-run with --yes to act")
    return code


def run_cost(args: argparse.Namespace, *, clients: AwsClients | None = None) -> int:
    from emr_dags.cost.model import CostItem, format_money, rollup
    from emr_dags.cost.prices import load_price_table, refresh_from_pricing_api
    from emr_dags.ops.inventory import collect

    log_to_stderr()
    try:
        table = load_price_table(args.price_file)
    except (ValueError, TypeError, AttributeError) as exc:  # EmrConfigError; a JSON list, not an object
        where = f"--price-file {args.price_file}" if args.price_file else "the configured price file"
        print(f"emr-dags cost: error: {where}: not a usable price table: {exc}", file=sys.stderr)
        return EXIT_USAGE
    clients = clients or _clients(args)
    now = datetime.now(UTC)
    progress = Progress("cost")
    with progress.during(f"listing tagged clusters and job runs of the last {args.days} day(s)"):
        inv = collect(clients, table=table, days=args.days, now=now)
    if args.pricing_api:
        types = [ln.item.split(" ")[0] for r in inv.resources if r.cost for ln in r.cost.lines]
        with progress.during("asking the AWS Pricing API"):
            fresh = refresh_from_pricing_api(table, types, region=clients.region)
            if fresh is not table:
                table = fresh
                inv = collect(clients, table=table, days=args.days, now=now)
    resources = [r for r in inv.resources if not args.dag_id or r.dag_id == args.dag_id]
    with progress.during("listing the steps of each cluster"):
        steps = _steps(clients, resources, table, now) if args.steps else {}
    items = [
        CostItem(dag_id=r.dag_id, run_id=r.run_id, task_id=r.task_id, estimate=r.cost, resource_id=r.id)
        for r in resources
        if r.cost is not None
    ]
    by_run = rollup(table, items, by="run")
    by_dag = rollup(table, items, by="dag")
    code = _listing_exit(inv.warnings)
    if args.json:
        print_json(
            {
                "estimate": True,
                "price_date": table.as_of,
                "currency": table.currency,
                "days": args.days,
                "resources": [
                    {**r.to_dict(now), **({"steps": _public(steps[r.id])} if r.id in steps else {})}
                    for r in resources
                ],
                "runs": [{"dag_id": k[0], "run_id": k[1], **v.to_dict()} for k, v in by_run.items()],
                "dags": [{"dag_id": k[0], **v.to_dict()} for k, v in by_dag.items()],
                "warnings": list(inv.warnings),
                "exit_code": code,
            }
        )
        return code
    print(f"Estimated cost, last {args.days} day(s) ({table.label()}):")

    def money(e: Any) -> str:
        return "n/a" if e.amount is None else "~" + format_money(e.amount, e.currency)

    for r in resources:
        print(
            f"  {r.kind.value:<19} {r.id:<24} {r.state:<22} {r.dag_id}/{r.run_id} [{r.task_id}] {money(r.cost)}"
        )
    print("Per DAG run:")
    for (dag_id, run_id), e in by_run.items():
        print(f"  {dag_id}/{run_id}: {money(e)}")
    print("Per DAG:")
    for (dag_id,), e in by_dag.items():
        print(f"  {dag_id}: {money(e)}")
    return code


def _steps(
    clients: AwsClients, resources: list[Any], table: Any, now: datetime
) -> dict[str, list[dict[str, Any]]]:
    from emr_dags.ops.inventory import Kind, list_steps

    out = {}
    for r in resources:
        if r.kind is Kind.CLUSTER:
            try:
                out[r.id] = list_steps(clients.emr, r, table, now=now)
            except Exception as exc:  # one cluster's steps failing to list must not hide the rest
                print(f"warning: could not list steps of {r.id}: {exc}", file=sys.stderr)
    return out


def _public(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in s.items() if not k.startswith("_")} for s in steps]
