from __future__ import annotations

import argparse
import json

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
