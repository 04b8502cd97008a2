from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fake_emr import FakePager

from emr_dags.errors import EmrConfigError
from emr_dags.operators.eks import EmrEksJobOperator
from emr_dags.operators.emr import (
    EmrCreateClusterOperator,
    EmrFindClusterOperator,
    EmrStepOperator,
    EmrTerminateClusterOperator,
)
from emr_dags.operators.serverless import (
    EmrServerlessApplicationOperator,
    EmrServerlessJobOperator,
    EmrServerlessStopApplicationOperator,
)
from emr_dags.sensors.eks import EmrEksJobsSensor
from emr_dags.sensors.emr import EmrStepsSensor
from emr_dags.sensors.serverless import EmrServerlessJobsSensor
from emr_dags.specs import SparkStep

STEP = {
    "Name": "s",
    "ActionOnFailure": "CONTINUE",
    "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["x"]},
}
EKS = {
    "virtualClusterId": "vc",
    "name": "j",
    "executionRoleArn": "arn:aws:iam::123456789012:role/r",
    "releaseLabel": "emr-7.5.0-latest",
    "jobDriver": {"sparkSubmitJobDriver": {"entryPoint": "s3://bkt/j.py"}},
}


def build_all() -> list[Any]:
    return [
        EmrCreateClusterOperator(
            task_id="c", cluster={"Name": "n", "ReleaseLabel": "emr-7.5.0", "Instances": {}}
        ),
        EmrStepOperator(task_id="s", cluster_id="j-1", step=STEP),
        EmrTerminateClusterOperator(task_id="t", cluster_id="j-1"),
        EmrFindClusterOperator(task_id="f", cluster_name="n"),
        EmrStepsSensor(task_id="w", cluster_id="j-1", step_ids=["s-1"]),
        EmrServerlessApplicationOperator(
            task_id="a", application={"name": "app", "releaseLabel": "emr-7.5.0", "type": "SPARK"}
        ),
        EmrServerlessJobOperator(
            task_id="j", application_id="app", job={"name": "x", "executionRoleArn": "r", "jobDriver": {}}
        ),
        EmrServerlessStopApplicationOperator(task_id="st", application_id="app"),
        EmrEksJobOperator(task_id="e", job=EKS),
        EmrServerlessJobsSensor(task_id="sw", application_id="app", job_run_ids=["r"]),
        EmrEksJobsSensor(task_id="ew", virtual_cluster_id="vc", job_ids=["j"]),
    ]


def test_init_makes_no_aws_call(monkeypatch: pytest.MonkeyPatch) -> None:
    import emr_dags.aws.clients as clients

    def boom(*_: Any, **__: Any) -> None:
        raise AssertionError("network access in __init__")

    monkeypatch.setattr(clients, "client_for", boom)
    monkeypatch.setattr(clients, "region_and_partition", boom)
    assert len(build_all()) == 11


@pytest.mark.parametrize("op", build_all(), ids=lambda o: type(o).__name__)
def test_every_template_field_is_a_plain_attribute(op: Any) -> None:
    assert isinstance(op.template_fields, tuple | list)
    for name in op.template_fields:
        assert hasattr(op, name), f"{type(op).__name__}.{name}"
        assert not isinstance(getattr(type(op), name, None), property)


def test_a_step_spec_is_rendered_to_a_templatable_dict_at_parse_time() -> None:
    op = EmrStepOperator(
        task_id="s",
        cluster_id="j-1",
        step=SparkStep(name="spark", entry_point="s3://bkt/j.py", args=("{{ ds }}",)),
    )
    assert isinstance(op.step, dict)
    assert "{{ ds }}" in op.step["HadoopJarStep"]["Args"]


def test_a_non_spec_object_is_rejected_with_the_field_named() -> None:
    with pytest.raises(EmrConfigError, match=r"EmrStepOperator\.step"):
        EmrStepOperator(task_id="s", cluster_id="j-1", step=object())


def test_bad_poll_interval_and_wait_timeout_are_rejected() -> None:
    with pytest.raises(EmrConfigError, match="poll_interval"):
        EmrStepOperator(task_id="s", cluster_id="j", step=STEP, poll_interval=0)
    with pytest.raises(EmrConfigError, match="wait_timeout"):
        EmrStepOperator(task_id="s", cluster_id="j", step=STEP, wait_timeout=-5)


def test_find_cluster_needs_an_id_a_name_or_tags() -> None:
    with pytest.raises(EmrConfigError, match="cluster_id, cluster_name or cluster_tags"):
        EmrFindClusterOperator(task_id="f")


class _LookupOnlyEmr(FakePager):
    """Answers the look-ups; fails the test if a request is sent."""

    def list_steps(self, **_: object) -> dict[str, object]:
        return {"Steps": []}

    def describe_cluster(self, **_: object) -> dict[str, object]:
        return {"Cluster": {"Id": "j-1", "Status": {"State": "WAITING"}}}

    def add_job_flow_steps(self, **_: object) -> None:
        pytest.fail("an invalid step was sent to AWS")


def test_the_final_request_is_validated_before_it_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    import emr_dags.operators.emr as mod
    from emr_dags.aws.emr import EmrApi

    monkeypatch.setattr(mod.EmrStepOperator, "api", lambda self: EmrApi(_LookupOnlyEmr()))
    op = EmrStepOperator(task_id="s", cluster_id="j-1", step={"Name": "s", "HadoopJarStep": {"Jarr": "x"}})
    with pytest.raises(EmrConfigError, match="AddJobFlowSteps"):
        op.execute({"ti": _TI()})


def test_a_step_name_that_leaves_no_room_for_the_key_fails_at_parse_time() -> None:
    with pytest.raises(EmrConfigError, match=r"EmrStepOperator\.step\.Name.*Shorten"):
        EmrStepOperator(task_id="s", cluster_id="j-1", step={**STEP, "Name": "n" * 250})


@pytest.mark.parametrize(
    ("make", "member"),
    [
        (lambda tags: EmrCreateClusterOperator(task_id="c", cluster={"Name": "c", "Tags": [{"Key": tags, "Value": "x"}]}), "Tags"),
        (lambda tags: EmrServerlessJobOperator(task_id="j", application_id="a", job={"name": "j", "tags": {tags: "x"}}), "tags"),
    ],
)  # fmt: skip
def test_a_request_dict_with_a_reserved_emr_dags_tag_is_refused(make: object, member: str) -> None:
    with pytest.raises(EmrConfigError, match=f"{member}.*reserved 'emr-dags:' prefix"):
        make("emr-dags:deadline")  # type: ignore[operator]


class _TI:
    dag_id, run_id, task_id, map_index = "d", "r", "t", 3
    start_date = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_ownership_key_is_stable_and_includes_the_map_index() -> None:
    op = EmrStepOperator(task_id="t", cluster_id="j", step=STEP)
    key1, tags = op.ownership({"ti": _TI()})
    key2, _ = op.ownership({"ti": _TI()})
    assert key1 == key2
    assert tags["emr-dags:map-index"] == "3"
    op.generation = "1"
    assert op.ownership({"ti": _TI()})[0] != key1


def test_wait_budget_comes_from_wait_timeout_then_execution_timeout_else_none() -> None:
    ctx = {"ti": _TI()}
    assert EmrStepOperator(task_id="t", cluster_id="j", step=STEP).deadline(ctx) is None
    op = EmrStepOperator(task_id="t", cluster_id="j", step=STEP, execution_timeout=dt.timedelta(hours=2))
    assert op.deadline(ctx) == _TI.start_date + dt.timedelta(hours=2)
    explicit = EmrStepOperator(task_id="t", cluster_id="j", step=STEP, wait_timeout=60)
    assert explicit.deadline(ctx) > dt.datetime.now(dt.UTC)


def test_no_hidden_cap_on_serverless_jobs() -> None:
    op = EmrServerlessJobOperator(
        task_id="j", application_id="a", job={"name": "x", "executionRoleArn": "r", "jobDriver": {}}
    )
    assert "executionTimeoutMinutes" not in op.job_run_request
    assert op.wait_timeout is None


AWS = {
    "aws_conn_id": "aws_other",
    "region_name": "eu-west-1",
    "verify": "/etc/ssl/ca.pem",
    "botocore_config": {"retries": {"mode": "adaptive", "max_attempts": 10}},
}


@pytest.mark.parametrize("op", build_all(), ids=lambda o: type(o).__name__)
def test_every_operator_and_sensor_templates_the_aws_target(op: Any) -> None:
    assert {"aws_conn_id", "region_name"} <= set(op.template_fields)


@pytest.mark.parametrize("index", range(11), ids=lambda i: type(build_all()[i]).__name__)
def test_every_operator_and_sensor_takes_verify_and_botocore_config_for_its_hook(
    index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _with_aws(index)
    assert (built.aws_conn_id, built.region_name, built.verify, built.botocore_config) == tuple(AWS.values())
    # The client comes from the amazon provider's hook, given exactly these.
    seen: dict[str, Any] = {}

    class Meta:
        endpoint_url, region_name = "https://emr.eu-west-1.amazonaws.com", "eu-west-1"
        events = type("Events", (), {"register": staticmethod(lambda *a, **k: None)})()

    class Hook:
        conn_config = type("ConnConfig", (), {"botocore_config": None})()
        region_name = "eu-west-1"

        def __init__(self, **kwargs: Any) -> None:
            seen.update(kwargs)

        def get_client_type(self, region_name: str | None = None, config: Any = None) -> Any:
            seen["config"] = config
            return type("Client", (), {"meta": Meta})()

    import airflow.providers.amazon.aws.hooks.base_aws as base_aws

    monkeypatch.setattr(base_aws, "AwsBaseHook", Hook)
    from emr_dags.aws.clients import client_for

    client_for("emr", built.target())
    assert (seen["aws_conn_id"], seen["region_name"], seen["verify"]) == (
        "aws_other",
        "eu-west-1",
        AWS["verify"],
    )
    assert seen["config"].retries == {"mode": "adaptive", "max_attempts": 10}


def _with_aws(index: int) -> Any:
    template = build_all()[index]
    cls = type(template)
    own = {
        "EmrCreateClusterOperator": {"cluster": {"Name": "n", "ReleaseLabel": "emr-7.5.0", "Instances": {}}},
        "EmrStepOperator": {"cluster_id": "j-1", "step": STEP},
        "EmrTerminateClusterOperator": {"cluster_id": "j-1"},
        "EmrFindClusterOperator": {"cluster_name": "n"},
        "EmrStepsSensor": {"cluster_id": "j-1", "step_ids": ["s-1"]},
        "EmrServerlessApplicationOperator": {
            "application": {"name": "app", "releaseLabel": "emr-7.5.0", "type": "SPARK"}
        },
        "EmrServerlessJobOperator": {
            "application_id": "app",
            "job": {"name": "x", "executionRoleArn": "r", "jobDriver": {}},
        },
        "EmrServerlessStopApplicationOperator": {"application_id": "app"},
        "EmrEksJobOperator": {"job": EKS},
        "EmrServerlessJobsSensor": {"application_id": "app", "job_run_ids": ["r"]},
        "EmrEksJobsSensor": {"virtual_cluster_id": "vc", "job_ids": ["j"]},
    }[cls.__name__]
    return cls(task_id=template.task_id, **own, **AWS)


def test_a_botocore_config_that_is_not_a_dict_is_rejected() -> None:
    with pytest.raises(EmrConfigError, match="botocore_config"):
        EmrStepOperator(task_id="s", cluster_id="j", step=STEP, botocore_config="adaptive")


@pytest.mark.parametrize(("configured", "expected"), [("true", True), ("false", False)])
def test_deferrable_defaults_to_airflows_default_deferrable(
    monkeypatch: pytest.MonkeyPatch, configured: str, expected: bool
) -> None:
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", configured)
    assert {op.deferrable for op in build_all()} == {expected}
    assert EmrStepOperator(task_id="s", cluster_id="j", step=STEP, deferrable=not expected).deferrable is (
        not expected
    )
