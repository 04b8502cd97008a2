from __future__ import annotations

import subprocess
import sys
import textwrap

import pendulum
import pytest
from airflow.sdk import DAG

from emr_dags.errors import EmrConfigError
from emr_dags.task_groups.eks import eks_jobs
from emr_dags.task_groups.emr import existing_cluster_steps, transient_cluster_pipeline
from emr_dags.task_groups.serverless import serverless_pipeline

CLUSTER = {"Name": "c", "ReleaseLabel": "emr-7.5.0", "Instances": {}}


def step(name: str) -> dict[str, object]:
    return {"Name": name, "ActionOnFailure": "CONTINUE", "HadoopJarStep": {"Jar": "command-runner.jar"}}


def _dag() -> DAG:
    return DAG("g", schedule=None, start_date=pendulum.datetime(2026, 1, 1))


def test_transient_pipeline_is_setup_steps_teardown() -> None:
    with _dag() as dag:
        transient_cluster_pipeline("p", cluster=CLUSTER, steps=[step("a"), step("b")])
    create, a, b, term = (dag.get_task(f"p.{t}") for t in ("create_cluster", "a", "b", "terminate_cluster"))
    assert create.is_setup
    assert term.is_teardown
    assert a.upstream_task_ids == {"p.create_cluster"}
    assert b.upstream_task_ids == {"p.a", "p.create_cluster"}  # chained, plus the XCom cluster id
    assert {"p.b", "p.create_cluster"} <= term.upstream_task_ids


def test_the_teardown_runs_even_when_the_create_failed_and_finds_its_cluster_without_the_xcom() -> None:
    with _dag() as dag:
        transient_cluster_pipeline("p", cluster=CLUSTER, steps=[step("a")], generation="{{ params.g }}")
    term = dag.get_task("p.terminate_cluster")
    # The default teardown rule (all_done_setup_success) would skip it after a failed create.
    assert term.trigger_rule == "all_done"
    assert term.owner_task_id == "p.create_cluster"
    assert term.generation == "{{ params.g }}"  # same key as the create's
    assert "xcom_pull(task_ids='p.create_cluster', key='cluster_id') or ''" in term.cluster_id


def test_steps_are_added_while_the_cluster_starts_unless_asked_to_wait() -> None:
    with _dag() as dag:
        transient_cluster_pipeline("p", cluster=CLUSTER, steps=[step("a")])
        transient_cluster_pipeline("q", cluster=CLUSTER, steps=[step("a")], wait_for_ready=True)
    assert dag.get_task("p.create_cluster").wait_for_ready is False
    assert dag.get_task("q.create_cluster").wait_for_ready is True


def test_end_from_trigger_reaches_every_step_and_a_step_kwarg_overrides_it() -> None:
    with _dag() as dag:
        transient_cluster_pipeline(
            "p",
            cluster=CLUSTER,
            steps={"x": step("a"), "y": step("b")},
            end_from_trigger=True,
            step_kwargs={"y": {"end_from_trigger": False}},
        )
        existing_cluster_steps("e", steps=[step("c")], cluster_id="j-1", end_from_trigger=True)
        transient_cluster_pipeline("d", cluster=CLUSTER, steps=[step("a")])
    assert dag.get_task("p.x").end_from_trigger is True
    assert dag.get_task("p.y").end_from_trigger is False
    assert dag.get_task("e.c").end_from_trigger is True
    assert dag.get_task("d.a").end_from_trigger is False


def test_parallel_steps_all_follow_the_setup() -> None:
    with _dag() as dag:
        transient_cluster_pipeline(
            "p", cluster=CLUSTER, steps={"x": step("a"), "y": step("b")}, parallel=True, step_retries=4
        )
    assert (
        dag.get_task("p.x").upstream_task_ids == dag.get_task("p.y").upstream_task_ids == {"p.create_cluster"}
    )
    assert dag.get_task("p.x").retries == 4
    assert dag.get_task("p.create_cluster").job_flow["StepConcurrencyLevel"] == 2


def test_a_failed_step_is_a_leaf_for_the_run_outcome_and_the_teardown_is_not() -> None:
    # Airflow decides the DAG-run state from leaves excluding teardowns: the last step counts.
    with _dag() as dag:
        transient_cluster_pipeline("p", cluster=CLUSTER, steps=[step("a")])
    term = dag.get_task("p.terminate_cluster")
    assert term.is_teardown
    assert not term.on_failure_fail_dagrun


def test_duplicate_step_names_are_rejected() -> None:
    with _dag(), pytest.raises(EmrConfigError, match="distinct"):
        transient_cluster_pipeline("p", cluster=CLUSTER, steps=[step("a"), step("a")])


def test_serverless_group_has_ensure_setup_and_stop_teardown() -> None:
    with _dag() as dag:
        serverless_pipeline(
            "s",
            application={"name": "app", "releaseLabel": "emr-7.5.0", "type": "SPARK"},
            jobs={"j1": {"name": "j1", "executionRoleArn": "r", "jobDriver": {}}},
        )
    assert dag.get_task("s.ensure_application").is_setup
    stop = dag.get_task("s.stop_application")
    assert stop.is_teardown
    assert stop.owner_task_id == "s.ensure_application"


def test_other_groups_build() -> None:
    with _dag() as dag:
        existing_cluster_steps("e", cluster_name="shared", steps=[step("a")])
        eks_jobs("k", virtual_cluster_id="vc", jobs=[{"name": "j", "virtualClusterId": "vc"}])
    assert {"e.find_cluster", "e.a", "k.j"} <= set(dag.task_ids)


def _all_groups(**kwargs: object) -> DAG:
    with _dag() as dag:
        transient_cluster_pipeline("t", cluster=CLUSTER, steps=[step("a")], **kwargs)  # type: ignore[arg-type]
        existing_cluster_steps("e", cluster_name="shared", steps=[step("a")], **kwargs)  # type: ignore[arg-type]
        serverless_pipeline(
            "s",
            application={"name": "app", "releaseLabel": "emr-7.5.0", "type": "SPARK"},
            jobs={"j1": {"name": "j1", "executionRoleArn": "r", "jobDriver": {}}},
            **kwargs,  # type: ignore[arg-type]
        )
        eks_jobs("k", virtual_cluster_id="vc", jobs=[{"name": "j", "virtualClusterId": "vc"}], **kwargs)  # type: ignore[arg-type]
    return dag


@pytest.mark.parametrize("deferrable", [True, False])
def test_the_factories_pass_deferrable_through(deferrable: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", str(not deferrable).lower())
    waiting = ("t.create_cluster", "t.a", "e.a", "s.j1", "k.j")
    explicit = _all_groups(deferrable=deferrable)
    assert {explicit.get_task(t).deferrable for t in waiting} == {deferrable}
    by_config = _all_groups()  # no argument: Airflow's [operators] default_deferrable
    assert {by_config.get_task(t).deferrable for t in waiting} == {not deferrable}


def test_every_task_of_a_group_gets_the_aws_target_the_teardowns_included() -> None:
    aws = {
        "aws_conn_id": "x",
        "region_name": "eu-west-1",
        "verify": False,
        "botocore_config": {"read_timeout": 9},
    }
    dag = _all_groups(**aws)
    for task in dag.tasks:
        assert (task.aws_conn_id, task.region_name, task.verify, task.botocore_config) == tuple(aws.values())


def test_building_a_dag_imports_no_boto_or_provider_operators() -> None:
    code = textwrap.dedent(
        """
        import sys, pendulum
        from airflow.sdk import DAG
        from emr_dags.specs import SparkStep
        from emr_dags.specs.presets import spot_spark_cluster
        from emr_dags.task_groups.emr import transient_cluster_pipeline
        from emr_dags.task_groups.serverless import serverless_pipeline
        from emr_dags.task_groups.eks import eks_jobs
        import emr_dags
        with DAG("x", schedule=None, start_date=pendulum.datetime(2026, 1, 1)):
            transient_cluster_pipeline("p", cluster=spot_spark_cluster(name="c", log_uri="s3://bkt/l/"),
                                       steps=[SparkStep(name="s", entry_point="s3://bkt/j.py")])
        bad = sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore", "aiobotocore")
                     or m.startswith("airflow.providers.amazon.aws.operators")
                     or m.startswith("airflow.providers.amazon.aws.hooks"))
        print(bad)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
