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
