from __future__ import annotations

import pytest

from emr_dags.errors import EmrConfigError
from emr_dags.specs import (
    Application,
    ClusterSpec,
    dev_cluster,
    flink_streaming_cluster,
    presto_cluster,
    spot_spark_cluster,
    trino_cluster,
    validate_request,
)
from emr_dags.specs.presets import PRESETS


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_renders_a_valid_run_job_flow(preset: str) -> None:
    spec = PRESETS[preset](name="x", log_bucket="acme-emr-logs")
    assert isinstance(spec, ClusterSpec)
    validate_request("emr", "RunJobFlow", spec.to_run_job_flow())


def test_spot_spark_cluster_one_liner_with_overrides() -> None:
    spec = spot_spark_cluster(name="nightly", log_bucket="acme-emr-logs", core_units=8, step_concurrency=4)
    request = spec.to_run_job_flow()
    core = request["Instances"]["InstanceFleets"][1]
    assert core["TargetSpotCapacity"] == 8
    assert core["TargetOnDemandCapacity"] == 2
    assert core["LaunchSpecifications"]["SpotSpecification"]["TimeoutAction"] == "SWITCH_TO_ON_DEMAND"
    assert request["StepConcurrencyLevel"] == 4


def test_preset_replace_keeps_validation() -> None:
    spec = dev_cluster(name="try", log_bucket="acme-emr-logs").replace(subnet_ids=("subnet-0abc1234",))
    assert spec.subnet_ids == ("subnet-0abc1234",)
    with pytest.raises(EmrConfigError) as exc:
        spec.replace(release_label="6.0")
    assert exc.value.field == "release_label"


def test_unknown_override_names_the_preset_and_the_key() -> None:
    with pytest.raises(EmrConfigError, match=r"spot_spark_cluster\.core_unit") as exc:
        spot_spark_cluster(name="nightly", log_bucket="acme-emr-logs", core_unit=8)
    assert exc.value.field == "core_unit"


def test_presets_need_a_log_destination() -> None:
    with pytest.raises(EmrConfigError) as exc:
        trino_cluster(name="adhoc")
    assert exc.value.field == "log_uri"


def test_sql_and_streaming_presets_install_their_engine() -> None:
    assert Application.TRINO in trino_cluster(name="a", log_bucket="acme-emr-logs").applications
    assert Application.PRESTO in presto_cluster(name="a", log_bucket="acme-emr-logs").applications
    flink = flink_streaming_cluster(
        name="a", log_bucket="acme-emr-logs", checkpoint_uri="s3://acme-state/ckpt/"
    )
    assert Application.FLINK in flink.applications
    assert flink.configurations[0].properties["state.checkpoints.dir"] == "s3://acme-state/ckpt/"
