"""State sets and instance-size weights are spelled once and shared by product and emulator."""

from __future__ import annotations

import pytest

from emr_dags.aws import states
from emr_dags.cost import normalization_factor
from emr_dags.cost.weights import SIZE_WEIGHTS


def test_terminal_sets_are_success_plus_failed_and_disjoint_from_active() -> None:
    for active, success, failed, terminal in (
        (states.STEP_ACTIVE, states.STEP_SUCCESS, states.STEP_FAILED, states.STEP_TERMINAL),
        (
            states.SERVERLESS_JOB_ACTIVE,
            states.SERVERLESS_JOB_SUCCESS,
            states.SERVERLESS_JOB_FAILED,
            states.SERVERLESS_JOB_TERMINAL,
        ),
        (states.EKS_JOB_ACTIVE, states.EKS_JOB_SUCCESS, states.EKS_JOB_FAILED, states.EKS_JOB_TERMINAL),
    ):
        assert set(terminal) == set(success) | set(failed)
        assert not set(active) & set(terminal)
    assert not set(states.CLUSTER_ACTIVE) & set(states.CLUSTER_ENDED)
    assert set(states.SERVERLESS_JOB_CANCELLABLE) < set(states.SERVERLESS_JOB_ACTIVE)
    assert set(states.EKS_JOB_CANCELLABLE) < set(states.EKS_JOB_ACTIVE)


def test_every_state_is_one_aws_knows() -> None:
    import botocore.session

    session = botocore.session.get_session()

    def enum(service: str, shape: str) -> set[str]:
        return set(session.get_service_model(service).shape_for(shape).enum)

    assert set(states.CLUSTER_ALL) <= enum("emr", "ClusterState")
    assert set(states.STEP_ACTIVE + states.STEP_TERMINAL) <= enum("emr", "StepState")
    assert set(states.SERVERLESS_JOB_ACTIVE + states.SERVERLESS_JOB_TERMINAL) <= enum(
        "emr-serverless", "JobRunState"
    )
    assert set(states.SERVERLESS_APP_LIVE + states.SERVERLESS_APP_IDLE) <= enum(
        "emr-serverless", "ApplicationState"
    )
    assert set(states.EKS_JOB_ACTIVE + states.EKS_JOB_TERMINAL) <= enum("emr-containers", "JobRunState")


def test_the_emulator_uses_the_products_sets_and_weights() -> None:
    from emr_dags_devkit.emulator import eks, emr_ec2, serverless

    assert emr_ec2.ACTIVE_CLUSTER_STATES is states.CLUSTER_ACTIVE
    assert emr_ec2.DONE_STEP_STATES is states.STEP_TERMINAL
    assert serverless.ACTIVE_RUN is states.SERVERLESS_JOB_ACTIVE
    assert eks.DONE is states.EKS_JOB_TERMINAL
    for size in SIZE_WEIGHTS:
        assert emr_ec2.normalization_factor(f"m5.{size}") == normalization_factor(f"m5.{size}")


@pytest.mark.parametrize(("itype", "weight"), [("m5.large", 4), ("r5.4xlarge", 32), ("c5.metal", 192)])
def test_weights_follow_emrs_table(itype: str, weight: float) -> None:
    assert normalization_factor(itype) == weight
