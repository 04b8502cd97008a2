"""Ownership tags: the whole owner, the deployment identity, the reserved prefix."""

from __future__ import annotations

import pytest

from emr_dags import tags
from emr_dags.errors import EmrConfigError


def test_ownership_tags_carry_the_deployment_and_the_task_group() -> None:
    t = tags.ownership_tags("etl", "scheduled__2026-12-04", "g.job", group_id="g", deployment="prod-eu")
    assert t[tags.DEPLOYMENT] == "prod-eu"
    assert t[tags.GROUP_ID] == "g"
    assert tags.consistent(t)


def test_a_top_level_task_has_no_empty_group_tag() -> None:  # EMR on EKS refuses empty tag values
    assert tags.GROUP_ID not in tags.ownership_tags("etl", "r", "job", deployment="d")


@pytest.mark.parametrize(
    "edited", [tags.DAG_ID, tags.RUN_ID, tags.TASK_ID, tags.MAP_INDEX, tags.TRY_GENERATION]
)
def test_a_key_that_does_not_hash_the_owner_tags_is_inconsistent(edited: str) -> None:
    t = tags.ownership_tags("etl", "r", "g.job", deployment="d")
    t[edited] = "7"
    assert not tags.consistent(t)
    assert "does not match" in (tags.ownership_problem(t, "d") or "")


def test_the_same_run_id_in_another_dag_is_another_owner() -> None:
    run = "scheduled__2026-12-04T00:00:00+00:00"
    b = tags.ownership_tags("dag_b", run, "g.job", group_id="g", deployment="d")
    same = {"deployment": "d", "run_id": run, "group_id": "g", "map_index": -1}
    assert not tags.same_owner_group(b, dag_id="dag_a", **same)  # type: ignore[arg-type]
    assert tags.same_owner_group(b, dag_id="dag_b", **same)  # type: ignore[arg-type]


def test_deployment_id_comes_from_the_config_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__EMR_DAGS__DEPLOYMENT_ID", "prod-eu")
    assert tags.deployment_id() == "prod-eu"
    monkeypatch.setenv("AIRFLOW__EMR_DAGS__DEPLOYMENT_ID", "not a valid id!")
    with pytest.raises(EmrConfigError, match="deployment_id"):
        tags.deployment_id()


def test_the_default_deployment_id_is_a_stable_hash_of_the_metadata_db_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AIRFLOW__EMR_DAGS__DEPLOYMENT_ID", raising=False)
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql://a@db-a/airflow")
    a = tags.deployment_id()
    assert a == tags.deployment_id()
    assert a.startswith("db-")
    assert "db-a" not in a
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql://a@db-b/airflow")
    assert tags.deployment_id() != a


def test_spec_tags_in_the_reserved_prefix_are_a_config_error_naming_the_field() -> None:
    from emr_dags.specs import ServerlessSparkJob

    with pytest.raises(EmrConfigError, match=r"ServerlessSparkJob\.tags: tag key 'emr-dags:deadline'") as err:
        ServerlessSparkJob(
            name="j",
            execution_role_arn="arn:aws:iam::123456789012:role/r",
            entry_point="s3://code/job.py",
            tags={"emr-dags:deadline": "2020-01-01T00:00:00Z"},
        )
    assert err.value.field == "tags"


def test_presets_may_still_say_which_preset_they_are() -> None:
    from emr_dags.specs.presets import dev_cluster

    assert dev_cluster(name="n", log_bucket="acme-emr-logs").tags[tags.PRESET] == "dev"
