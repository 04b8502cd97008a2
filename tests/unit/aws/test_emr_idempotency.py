from __future__ import annotations

import pytest
from fake_emr import FakeEmr

from emr_dags import tags as tagmod
from emr_dags.aws.emr import EmrApi, reusable_step
from emr_dags.aws.naming import client_token, has_marker, step_name_room, with_marker
from emr_dags.errors import EmrConfigError

KEY = tagmod.resource_key("dag", "run", "g.create_cluster")
TAGS = tagmod.ownership_tags("dag", "run", "g.create_cluster")
REQUEST = {
    "Name": "nightly",
    "ReleaseLabel": "emr-7.5.0",
    "Instances": {},
    "Tags": [{"Key": "team", "Value": "x"}],
}
STEP = {"Name": "etl", "ActionOnFailure": "CONTINUE", "HadoopJarStep": {"Jar": "command-runner.jar"}}


def api(fake: FakeEmr) -> EmrApi:
    return EmrApi(fake)


def test_create_keeps_the_users_name_and_puts_the_key_in_the_tags() -> None:
    fake = FakeEmr()
    cid = api(fake).create_cluster(REQUEST, KEY, TAGS)
    cluster = fake.clusters[cid]
    assert cluster["Name"] == "nightly"
    tags = {t["Key"]: t["Value"] for t in cluster["Tags"]}
    assert tags[tagmod.KEY] == KEY
    assert tags["team"] == "x"


def test_retry_finds_the_cluster_created_by_try_1() -> None:
    fake = FakeEmr()
    cid = api(fake).create_cluster(REQUEST, KEY, TAGS)
    assert api(fake).find_cluster(KEY)["Id"] == cid


def test_find_ignores_a_cluster_with_the_name_but_not_the_key_tag() -> None:
    fake = FakeEmr()
    fake.run_job_flow(Name="nightly", Tags=[])
    assert api(fake).find_cluster(KEY) is None
    assert api(fake).find_cluster(KEY, "nightly") is None


def test_find_by_the_users_name_finds_a_cluster_emr_dags_created() -> None:
    fake = FakeEmr()
    cid = api(fake).create_cluster({**REQUEST, "Name": "bi-shared-20261204"}, KEY, TAGS)
    assert api(fake).find_cluster_id(name="bi-shared-20261204") == cid
    assert api(fake).find_cluster(KEY, "bi-shared-20261204")["Id"] == cid


def test_another_deployments_cluster_with_the_same_key_and_name_is_not_reattached() -> None:
    fake = FakeEmr()
    theirs = {**TAGS, tagmod.DEPLOYMENT: "deployment-b"}  # same DAG, run and task ids: same key
    other = fake.run_job_flow(Name="nightly", Tags=[{"Key": k, "Value": v} for k, v in theirs.items()])[
        "JobFlowId"
    ]
    assert api(fake).find_cluster(KEY, "nightly", TAGS[tagmod.DEPLOYMENT]) is None
    cid = api(fake).create_cluster(REQUEST, KEY, TAGS)
    assert cid != other
    assert fake.clusters[other]["Status"]["State"] == "STARTING"  # not a rival: never terminated


def test_terminated_cluster_is_not_reattached() -> None:
    fake = FakeEmr()
    cid = api(fake).create_cluster(REQUEST, KEY, TAGS)
    fake.clusters[cid]["Status"]["State"] = "TERMINATED_WITH_ERRORS"
    assert api(fake).find_cluster(KEY) is None


def test_a_lost_run_job_flow_reply_does_not_create_a_second_cluster() -> None:
    fake = FakeEmr()
    fake.fail_after_run_job_flow = 1
    cid = api(fake).create_cluster(REQUEST, KEY, TAGS)
    assert list(fake.clusters) == [cid]
    assert fake.calls.count("RunJobFlow") == 1


def test_a_different_generation_is_a_different_key() -> None:
    assert tagmod.resource_key("d", "r", "t", -1, 0) != tagmod.resource_key("d", "r", "t", -1, 1)


def test_step_retry_reattaches_to_a_running_step() -> None:
    fake = FakeEmr()
    cid = api(fake).create_cluster(REQUEST, KEY, TAGS)
    sid = api(fake).add_step(cid, STEP, "k1")
    fake.set_step_state(cid, sid, "RUNNING")
    found = api(fake).find_step(cid, "k1")
    assert found["Id"] == sid
    assert reusable_step(found)


def test_a_running_step_wins_over_a_newer_failed_one_with_the_same_key() -> None:
    fake = FakeEmr()
    cid = api(fake).create_cluster(REQUEST, KEY, TAGS)
    old = api(fake).add_step(cid, STEP, "k1")
    fake.set_step_state(cid, old, "RUNNING")
    new = fake.add_job_flow_steps(JobFlowId=cid, Steps=[{**STEP, "Name": with_marker("etl", "k1")}])[
        "StepIds"
    ][0]
    fake.set_step_state(cid, new, "FAILED")
    assert api(fake).find_step(cid, "k1")["Id"] == old


def test_failed_step_is_not_reusable_so_a_retry_adds_a_fresh_one() -> None:
    assert not reusable_step({"Status": {"State": "FAILED"}})
    assert not reusable_step({"Status": {"State": "CANCELLED"}})
    assert reusable_step({"Status": {"State": "COMPLETED"}})
    assert not reusable_step(None)


def test_list_steps_stops_paging_once_every_id_is_seen() -> None:
    fake = FakeEmr()
    cid = api(fake).create_cluster(REQUEST, KEY, TAGS)
    ids = [api(fake).add_step(cid, {**STEP, "Name": f"s{i}"}, f"k{i}") for i in range(3)]
    fake.calls.clear()
    assert set(api(fake).list_steps(cid, ids)) == set(ids)
    assert fake.calls == ["ListSteps"]


def test_a_step_name_too_long_for_the_key_suffix_is_a_config_error_not_truncated() -> None:
    longest = "x" * step_name_room("")
    name = with_marker(longest, KEY)
    assert len(name) == 256
    assert name.startswith(longest)
    assert has_marker(name, KEY)
    assert with_marker(name, KEY) == name
    with pytest.raises(EmrConfigError, match="Shorten the name"):
        with_marker(longest + "y", KEY)


def test_the_final_run_job_flow_request_is_validated_before_it_is_sent() -> None:
    fake = FakeEmr()
    with pytest.raises(EmrConfigError, match="RunJobFlow"):
        api(fake).create_cluster({**REQUEST, "Name": "n" * 257}, KEY, TAGS)
    assert "RunJobFlow" not in fake.calls


def test_client_token_changes_only_after_a_failed_run() -> None:
    assert client_token("k", 0) == client_token("k", 0)
    assert client_token("k", 1) != client_token("k", 0)


def test_a_racing_twin_that_created_a_second_cluster_terminates_it_and_reattaches() -> None:
    fake = FakeEmr()
    # A zombie try created j-1 after our lookup found nothing; our RunJobFlow then makes j-2.
    first = fake.run_job_flow(Name="nightly", Tags=[{"Key": k, "Value": v} for k, v in TAGS.items()])[
        "JobFlowId"
    ]
    cid = api(fake).create_cluster(REQUEST, KEY, TAGS)
    assert cid == first
    live = [c["Id"] for c in fake.clusters.values() if c["Status"]["State"] == "STARTING"]
    assert live == [first]


def test_a_name_look_alike_without_our_tag_never_makes_us_terminate_our_cluster() -> None:
    fake = FakeEmr()
    other = tagmod.resource_key("other_dag", "run", "g.create_cluster")
    fake.run_job_flow(Name="nightly", Tags=[{"Key": tagmod.KEY, "Value": other}])
    cid = api(fake).create_cluster(REQUEST, KEY, TAGS)
    assert fake.clusters[cid]["Status"]["State"] == "STARTING"
    assert "TerminateJobFlows" not in fake.calls


def test_a_racing_twin_step_is_cancelled_and_the_older_step_reused() -> None:
    fake = FakeEmr()
    cid = api(fake).create_cluster(REQUEST, KEY, TAGS)
    first = fake.add_job_flow_steps(JobFlowId=cid, Steps=[{**STEP, "Name": with_marker("etl", "k1")}])[
        "StepIds"
    ][0]
    sid = api(fake).add_step(cid, STEP, "k1")
    assert sid == first
    states = {s["Id"]: s["Status"]["State"] for s in fake.steps[cid]}
    assert list(states.values()).count("CANCELLED") == 1
    assert states[first] == "PENDING"
