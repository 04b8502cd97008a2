from __future__ import annotations

import dataclasses

import pytest

from emr_dags.errors import EmrConfigError
from emr_dags.specs import (
    Application,
    BootstrapAction,
    ClusterSpec,
    Configuration,
    EbsVolume,
    FleetInstanceType,
    InstanceFleet,
    InstanceGroup,
    ManagedScaling,
    ScalingUnit,
    SparkStep,
    SpotProvisioning,
    SpotTimeoutAction,
    validate_request,
)


def _fleets(**core: object) -> tuple[InstanceFleet, ...]:
    core_kwargs = {
        "role": "CORE",
        "instance_types": (
            FleetInstanceType(instance_type="m5.2xlarge", weighted_capacity=2),
            FleetInstanceType(instance_type="m6i.2xlarge", weighted_capacity=2),
        ),
        "target_on_demand": 2,
        "target_spot": 6,
    }
    core_kwargs.update(core)
    return (
        InstanceFleet(
            role="MASTER", instance_types=(FleetInstanceType(instance_type="m5.xlarge"),), target_on_demand=1
        ),
        InstanceFleet(**core_kwargs),  # type: ignore[arg-type]
    )


def test_minimal_cluster_renders_a_valid_run_job_flow(cluster: ClusterSpec) -> None:
    request = cluster.to_run_job_flow()
    validate_request("emr", "RunJobFlow", request)
    assert request["ReleaseLabel"] == "emr-7.5.0"
    assert request["Applications"] == [{"Name": "Spark"}]
    assert request["ServiceRole"] == "EMR_DefaultRole"
    assert request["JobFlowRole"] == "EMR_EC2_DefaultRole"
    assert request["VisibleToAllUsers"] is True
    assert request["Instances"]["KeepJobFlowAliveWhenNoSteps"] is True


def test_auto_termination_is_on_by_default_for_one_hour(cluster: ClusterSpec) -> None:
    assert cluster.to_run_job_flow()["AutoTerminationPolicy"] == {"IdleTimeout": 3600}


def test_log_uri_is_derived_from_log_bucket(cluster: ClusterSpec) -> None:
    assert cluster.to_run_job_flow()["LogUri"] == "s3://acme-emr-logs/emr-logs/"


def test_a_cluster_without_logs_is_refused(groups: tuple[InstanceGroup, ...]) -> None:
    with pytest.raises(EmrConfigError) as exc:
        ClusterSpec(name="x", release_label="emr-7.5.0", instance_groups=groups)
    assert exc.value.field == "log_uri"
    assert "ClusterSpec.log_uri" in str(exc.value)


def test_bad_release_label_message_names_spec_field_value_and_example(
    groups: tuple[InstanceGroup, ...],
) -> None:
    with pytest.raises(
        EmrConfigError,
        match=r"ClusterSpec\.release_label: 'emr-6' is not a release label; expected .*'emr-7\.5\.0'",
    ):
        ClusterSpec(name="x", release_label="emr-6", log_bucket="logs-bkt", instance_groups=groups)


def test_applications_accept_strings_case_insensitively(groups: tuple[InstanceGroup, ...]) -> None:
    spec = ClusterSpec(
        name="x",
        release_label="emr-7.5.0",
        log_bucket="logs-bkt",
        instance_groups=groups,
        applications=("spark", "HIVE", Application.LIVY),
    )
    assert spec.applications == (Application.SPARK, Application.HIVE, Application.LIVY)


def test_unknown_application_lists_the_allowed_ones(groups: tuple[InstanceGroup, ...]) -> None:
    with pytest.raises(EmrConfigError, match="'Trino'") as exc:
        ClusterSpec(
            name="x",
            release_label="emr-7.5.0",
            log_bucket="logs-bkt",
            instance_groups=groups,
            applications=("Sparkk",),
        )
    assert exc.value.field == "applications"


def test_groups_and_fleets_together_are_refused(groups: tuple[InstanceGroup, ...]) -> None:
    with pytest.raises(EmrConfigError) as exc:
        ClusterSpec(
            name="x",
            release_label="emr-7.5.0",
            log_bucket="logs-bkt",
            instance_groups=groups,
            instance_fleets=_fleets(),
        )
    assert exc.value.field == "instance_fleets"


def test_spot_fleet_falls_back_to_on_demand_by_default() -> None:
    spec = ClusterSpec(
        name="x",
        release_label="emr-7.5.0",
        log_bucket="logs-bkt",
        instance_fleets=_fleets(),
        subnet_ids=("subnet-0abc1234", "subnet-0abc1235"),
    )
    request = spec.to_run_job_flow()
    validate_request("emr", "RunJobFlow", request)
    core = request["Instances"]["InstanceFleets"][1]
    assert core["LaunchSpecifications"]["SpotSpecification"]["TimeoutAction"] == "SWITCH_TO_ON_DEMAND"
    assert request["Instances"]["Ec2SubnetIds"] == ["subnet-0abc1234", "subnet-0abc1235"]


def test_spot_provisioning_without_spot_target_is_refused() -> None:
    with pytest.raises(EmrConfigError) as exc:
        _fleets(
            target_spot=0,
            target_on_demand=2,
            spot=SpotProvisioning(timeout_action=SpotTimeoutAction.TERMINATE_CLUSTER),
        )
    assert exc.value.field == "spot"


def test_primary_fleet_must_be_one_unit() -> None:
    with pytest.raises(EmrConfigError) as exc:
        InstanceFleet(
            role="MASTER",
            instance_types=(FleetInstanceType(instance_type="m5.xlarge"),),
            target_on_demand=1,
            target_spot=1,
        )
    assert exc.value.field == "target_on_demand"


def test_managed_scaling_unit_follows_the_capacity_kind() -> None:
    spec = ClusterSpec(
        name="x",
        release_label="emr-7.5.0",
        log_bucket="logs-bkt",
        instance_fleets=_fleets(),
        managed_scaling=ManagedScaling(minimum_units=4, maximum_units=40),
    )
    limits = spec.to_run_job_flow()["ManagedScalingPolicy"]["ComputeLimits"]
    assert limits["UnitType"] == "InstanceFleetUnits"
    with pytest.raises(EmrConfigError) as exc:
        spec.replace(
            managed_scaling=ManagedScaling(minimum_units=1, maximum_units=4, unit=ScalingUnit.INSTANCES)
        )
    assert exc.value.field == "managed_scaling"


def test_everything_renders_and_passes_botocore(groups: tuple[InstanceGroup, ...]) -> None:
    spec = ClusterSpec(
        name="full",
        release_label="emr-7.5.0",
        applications=("Spark", "Hive", "Livy", "JupyterEnterpriseGateway"),
        instance_groups=(
            InstanceGroup(
                role="MASTER",
                instance_type="m5.xlarge",
                ebs=(EbsVolume(size_gb=64, iops=4000, throughput_mibps=250),),
            ),
            InstanceGroup(role="CORE", instance_type="r5.2xlarge", count=3),
            InstanceGroup(role="TASK", instance_type="r5.2xlarge", count=2, market="SPOT", bid_price="0.40"),
        ),
        log_uri="s3://acme-logs/emr/",
        idle_timeout_seconds=900,
        step_concurrency=4,
        managed_scaling=ManagedScaling(minimum_units=3, maximum_units=20, maximum_on_demand_units=5),
        bootstrap_actions=(
            BootstrapAction(
                name="deps", path="s3://acme-code/bootstrap/deps.sh", args=("--pip", "pandas==2.2")
            ),
        ),
        configurations=(
            Configuration.spark_defaults({"spark.dynamicAllocation.enabled": True}),
            Configuration.spark_env({"PYSPARK_PYTHON": "/usr/bin/python3"}),
            *Configuration.glue_catalog(),
        ),
        security_configuration="acme-sec",
        subnet_ids=("subnet-0abc1234",),
        custom_ami_id="ami-0abcdef1234567890",
        ebs_root_volume_size_gb=32,
        tags={"team": "data", "cost-center": "42"},
        keep_alive=False,
        steps=(SparkStep(name="etl", entry_point="s3://acme-code/etl.py"),),
        extra={"StepExecutionRoleArn": "arn:aws:iam::123456789012:role/steps"},
    )
    request = spec.to_run_job_flow()
    validate_request("emr", "RunJobFlow", request)
    assert request["Instances"]["Ec2SubnetId"] == "subnet-0abc1234"
    assert request["Tags"] == [{"Key": "team", "Value": "data"}, {"Key": "cost-center", "Value": "42"}]
    assert request["Configurations"][0]["Properties"] == {"spark.dynamicAllocation.enabled": "true"}
    assert request["StepExecutionRoleArn"].endswith("role/steps")


def test_extra_is_deep_merged_and_checked_by_botocore(cluster: ClusterSpec) -> None:
    spec = cluster.replace(extra={"Instances": {"UnhealthyNodeReplacement": True}})
    request = spec.to_run_job_flow()
    assert request["Instances"]["UnhealthyNodeReplacement"] is True
    assert "InstanceGroups" in request["Instances"]
    bad = cluster.replace(extra={"Instances": {"UnhealthyNodeReplacment": True}})
    with pytest.raises(EmrConfigError, match="UnhealthyNodeReplacment"):
        validate_request("emr", "RunJobFlow", bad.to_run_job_flow())


def test_replace_validates_again(cluster: ClusterSpec) -> None:
    with pytest.raises(EmrConfigError):
        cluster.replace(step_concurrency=0)
    assert dataclasses.replace(cluster, step_concurrency=3).step_concurrency == 3


def test_templated_strings_are_accepted_until_rendered(groups: tuple[InstanceGroup, ...]) -> None:
    spec = ClusterSpec(
        name="etl-{{ ds_nodash }}",
        release_label="{{ params.release }}",
        log_uri="{{ var.value.log_uri }}",
        instance_groups=groups,
    )
    request = spec.to_run_job_flow()
    validate_request("emr", "RunJobFlow", request, reject_unrendered=False)
    with pytest.raises(EmrConfigError, match="Unrendered template"):
        validate_request("emr", "RunJobFlow", request)


def test_outposts_need_one_subnet_and_on_demand_groups(groups: tuple[InstanceGroup, ...]) -> None:
    ok = ClusterSpec(
        name="x",
        release_label="emr-7.5.0",
        log_bucket="logs-bkt",
        instance_groups=groups,
        subnet_ids=("subnet-0abc1234",),
        on_outposts=True,
    )
    validate_request("emr", "RunJobFlow", ok.to_run_job_flow())
    with pytest.raises(EmrConfigError) as exc:
        ok.replace(
            instance_groups=(*groups, InstanceGroup(role="TASK", instance_type="m5.xlarge", market="SPOT"))
        )
    assert exc.value.field == "instance_groups"


@pytest.mark.parametrize("label", ["emr-5.29.0", "emr-6.0.0", "emr-4.9.6"])
def test_releases_without_auto_termination_are_refused(label: str, groups: tuple[InstanceGroup, ...]) -> None:
    with pytest.raises(EmrConfigError, match="auto-termination") as exc:
        ClusterSpec(name="x", release_label=label, log_bucket="logs-bkt", instance_groups=groups)
    assert exc.value.field == "release_label"


def test_trino_needs_a_release_that_ships_it(groups: tuple[InstanceGroup, ...]) -> None:
    with pytest.raises(EmrConfigError, match="emr-6.4.0") as exc:
        ClusterSpec(
            name="x",
            release_label="emr-6.3.0",
            applications=("Trino",),
            log_bucket="logs-bkt",
            instance_groups=groups,
        )
    assert exc.value.field == "applications"


def test_a_task_group_may_start_empty_but_core_may_not() -> None:
    assert InstanceGroup(role="TASK", instance_type="m5.xlarge", count=0).to_emr()["InstanceCount"] == 0
    with pytest.raises(EmrConfigError) as exc:
        InstanceGroup(role="CORE", instance_type="m5.xlarge", count=0)
    assert exc.value.field == "count"


def test_initial_steps_must_continue_on_a_concurrent_cluster(cluster: ClusterSpec) -> None:
    step = SparkStep(name="etl", entry_point="s3://acme-code/etl.py", action_on_failure="TERMINATE_CLUSTER")
    cluster.replace(steps=(step,))
    with pytest.raises(EmrConfigError) as exc:
        cluster.replace(steps=(step,), step_concurrency=2)
    assert exc.value.field == "steps"


def test_parts_take_their_own_extra_for_unmodelled_fields() -> None:
    core = InstanceFleet(
        role="CORE",
        instance_types=(FleetInstanceType(instance_type="m5.xlarge"),),
        target_spot=2,
        extra={
            "ResizeSpecifications": {"SpotResizeSpecification": {"TimeoutDurationMinutes": 20}},
            "LaunchSpecifications": {"SpotSpecification": {"BlockDurationMinutes": 60}},
        },
    )
    spec = ClusterSpec(
        name="x",
        release_label="emr-7.5.0",
        log_bucket="logs-bkt",
        instance_fleets=(_fleets()[0], core),
        managed_scaling=ManagedScaling(
            minimum_units=1, maximum_units=4, extra={"ScalingStrategy": "ADVANCED"}
        ),
    )
    request = spec.to_run_job_flow()
    validate_request("emr", "RunJobFlow", request)
    fleet = request["Instances"]["InstanceFleets"][1]
    assert fleet["LaunchSpecifications"]["SpotSpecification"]["TimeoutAction"] == "SWITCH_TO_ON_DEMAND"
    assert fleet["LaunchSpecifications"]["SpotSpecification"]["BlockDurationMinutes"] == 60
    assert request["ManagedScalingPolicy"]["ScalingStrategy"] == "ADVANCED"
