from __future__ import annotations

import pytest

from emr_dags.aws.errors import EmrStepFailed
from emr_dags.sensors.emr import EmrStepsSensor


def test_succeeds_only_when_every_step_completed() -> None:
    sensor = EmrStepsSensor(task_id="w", cluster_id="j-1", step_ids=["a", "b"])
    states = {"a": "COMPLETED", "b": "COMPLETED"}
    assert sensor.execute_complete({}, {"status": "success", "states": states}) == states
    with pytest.raises(EmrStepFailed, match="b"):
        sensor.execute_complete({}, {"status": "failed", "states": {"a": "COMPLETED", "b": "FAILED"}})
    with pytest.raises(EmrStepFailed, match="timeout"):
        sensor.execute_complete({}, {"status": "timeout", "states": {"a": "RUNNING"}})


def test_a_single_templated_step_id_is_accepted() -> None:
    assert EmrStepsSensor(task_id="w", cluster_id="j", step_ids="s-1")._ids() == ["s-1"]


def test_serverless_and_eks_sensors_fail_on_any_bad_run() -> None:
    from emr_dags.aws.errors import EmrJobRunFailed
    from emr_dags.sensors.eks import EmrEksJobsSensor
    from emr_dags.sensors.serverless import EmrServerlessJobsSensor

    sls = EmrServerlessJobsSensor(task_id="w", application_id="app", job_run_ids=["a"])
    assert sls.execute_complete({}, {"status": "success", "states": {"a": "SUCCESS"}}) == {"a": "SUCCESS"}
    with pytest.raises(EmrJobRunFailed):
        sls.execute_complete({}, {"status": "failed", "states": {"a": "FAILED"}})
    eks = EmrEksJobsSensor(task_id="w", virtual_cluster_id="vc", job_ids="j")
    assert eks._ids() == ["j"]
    with pytest.raises(EmrJobRunFailed):
        eks.execute_complete({}, {"status": "timeout", "states": {"j": "RUNNING"}})
