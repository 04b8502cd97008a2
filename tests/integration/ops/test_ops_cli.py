from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import pytest
from ops_helpers import make_cluster, owned

from emr_dags.aws.states import CLUSTER_ACTIVE
from emr_dags.ops import cli
from emr_dags.ops.run_state import MappingRunStates


def _args(*argv):
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(list(argv))


STATES = MappingRunStates({("etl", "done"): "success"})


def test_reap_is_a_dry_run_by_default_and_says_so(clients, capsys):
    cid = make_cluster(clients, name="c", tag_set=owned(run_id="done"))
    assert cli.run_reap(_args("reap"), states=STATES, clients=clients) == 0
    out = capsys.readouterr().out
    assert f"would terminate emr-cluster {cid}" in out
    assert "dry run: nothing was changed" in out
    assert clients.emr.describe_cluster(ClusterId=cid)["Cluster"]["Status"]["State"] in CLUSTER_ACTIVE


def test_reap_yes_json_reports_what_it_did(clients, capsys):
    cid = make_cluster(clients, name="c", tag_set=owned(run_id="done"))
    assert cli.run_reap(_args("reap", "--yes", "--json"), states=STATES, clients=clients) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dry_run"] is False
    assert [(r["id"], r["outcome"], r["reason"]) for r in report["results"]] == [
        (cid, "done", "DAG run ended (success)")
    ]


def test_cost_json_has_estimates_per_resource_run_and_dag(clients, capsys):
    make_cluster(clients, name="a", tag_set=owned(run_id="r1"))
    make_cluster(clients, name="b", tag_set=owned(run_id="r2"))
    make_cluster(clients, name="x", tag_set={"team": "other"})
    assert cli.run_cost(_args("cost", "--json", "--days", "1"), clients=clients) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["estimate"] is True
    assert report["price_date"]
    assert len(report["resources"]) == 2
    assert {r["run_id"] for r in report["runs"]} == {"r1", "r2"}
    assert [d["dag_id"] for d in report["dags"]] == ["etl"]
    assert report["dags"][0]["label"].endswith(f"(prices as of {report['price_date']})")


def test_cost_steps_prices_each_step_as_a_share_of_its_cluster(clients, capsys):
    cid = make_cluster(clients, name="a", tag_set=owned(run_id="r1"))
    clients.emr.add_job_flow_steps(
        JobFlowId=cid,
        Steps=[
            {
                "Name": f"step{i}",
                "ActionOnFailure": "CONTINUE",
                "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["echo", str(i)]},
            }
            for i in range(2)
        ],
    )
    assert cli.run_cost(_args("cost", "--json", "--steps"), clients=clients) == 0
    (resource,) = json.loads(capsys.readouterr().out)["resources"]
    assert sorted(s["name"] for s in resource["steps"]) == ["step0", "step1"]
    for step in resource["steps"]:
        assert step["state"]
        if step["cost"] is not None:
            assert step["cost"]["estimate"] is True


# ------------------------------------------------------------------------- a scriptable command
_CHATTY = """
import logging, sys
# What Airflow's logging config does: a handler on the real stdout, botocore at INFO, so credential
# discovery says "Found credentials in environment variables." before any JSON.
handler = logging.StreamHandler(sys.stdout)
handler.setFormatter(logging.Formatter("[info] %(message)s"))
logging.getLogger().addHandler(handler)
logging.getLogger().setLevel(logging.INFO)
logging.getLogger("botocore.credentials").setLevel(logging.INFO)
from emr_dags.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _run(*argv: str, endpoint_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    return subprocess.run(
        [sys.executable, "-c", _CHATTY, *argv, "--endpoint-url", endpoint_url],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


@pytest.mark.parametrize(
    "command", [["cost", "--json"], ["reap", "--json", "--airflow-url", "http://127.0.0.1:9"]]
)
def test_json_stdout_is_json_and_nothing_else_while_credentials_discovery_logs(
    clients, endpoint_url, command
):
    make_cluster(clients, name="a", tag_set=owned(run_id="r1"))
    result = _run(*command, endpoint_url=endpoint_url)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # the whole stdout: one JSON document
    assert report["exit_code"] == 0
    assert "Found credentials" in result.stderr  # the library still logged, just not on stdout


def test_cost_and_reap_exit_1_when_every_aws_call_failed(clients, capsys, monkeypatch):
    dead = argparse.Namespace(endpoint_url="http://127.0.0.1:9")
    from emr_dags.aws.clients import AwsClients, AwsTarget

    # One attempt: a refused connection is otherwise retried by botocore (standard mode).
    target = AwsTarget(
        aws_conn_id=None,
        region_name="us-east-1",
        endpoint_url=dead.endpoint_url,
        botocore_config={"retries": {"total_max_attempts": 1}},
    )
    unreachable = AwsClients(target)
    assert cli.run_cost(_args("cost", "--json"), clients=unreachable) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["exit_code"] == 1
    assert len(report["warnings"]) == 3
    assert cli.run_reap(_args("reap"), states=STATES, clients=unreachable) == 1
    assert "warning: could not list EMR clusters" in capsys.readouterr().err


def test_cost_and_reap_exit_3_when_some_aws_calls_failed(clients, capsys, monkeypatch):
    make_cluster(clients, name="a", tag_set=owned(run_id="r1"))
    from emr_dags.ops import inventory

    def broken(*_a, **_k):
        raise RuntimeError("AccessDenied: emr-containers:ListVirtualClusters")

    monkeypatch.setattr(inventory, "list_eks_runs", broken)
    assert cli.run_cost(_args("cost"), clients=clients) == 3
    captured = capsys.readouterr()
    assert "~" in captured.out  # the cluster is still priced
    assert "warning: could not list EMR on EKS job runs: AccessDenied" in captured.err
    assert "warning" not in captured.out
    assert cli.run_reap(_args("reap", "--json"), states=STATES, clients=clients) == 3
    assert json.loads(capsys.readouterr().out)["exit_code"] == 3


def test_reap_exits_1_when_a_resource_could_not_be_stopped(clients, capsys, monkeypatch):
    cid = make_cluster(clients, name="c", tag_set=owned(run_id="done"))
    from emr_dags.ops import reaper
    from emr_dags.ops.reaper import Outcome, Result

    monkeypatch.setattr(
        reaper,
        "act_on",
        lambda _c, d, **_k: Result(decision=d, outcome=Outcome.FAILED, detail="AccessDenied"),
    )
    assert cli.run_reap(_args("reap", "--yes"), states=STATES, clients=clients) == 1
    assert f"terminate emr-cluster {cid}: AccessDenied" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["cost", "--price-file", "/nonexistent"],
            "emr-dags cost: error: --price-file /nonexistent: no such file",
        ),
        (["cost", "--days", "0"], "emr-dags cost: error: --days 0: must be >= 1, e.g. --days 7"),
        (["cost", "--days", "week"], "emr-dags cost: error: --days week: not a whole number"),
    ],
)
def test_bad_arguments_exit_2_naming_the_flag_without_a_traceback(argv, message):
    result = subprocess.run(
        [sys.executable, "-m", "emr_dags", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_an_unreadable_price_table_exits_2_naming_the_file(tmp_path, capsys):
    bad = tmp_path / "prices.json"
    bad.write_text("{not json")
    assert cli.run_cost(_args("cost", "--price-file", str(bad)), clients=None) == 2
    err = capsys.readouterr().err
    assert f"emr-dags cost: error: --price-file {bad}: not a usable price table" in err
