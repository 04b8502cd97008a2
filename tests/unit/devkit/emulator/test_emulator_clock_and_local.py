from __future__ import annotations

import sys

import pytest

from emr_dags_devkit.emulator.clock import SimClock
from emr_dags_devkit.emulator.config import Timings, check_time_scale
from emr_dags_devkit.emulator.emr_ec2 import normalization_factor
from emr_dags_devkit.emulator.local import local_argv


def test_advance_moves_simulated_time_by_whole_minutes():
    clock = SimClock(1000.0)  # barely moves on its own
    before = clock.now()
    clock.advance(5)
    assert 300 <= clock.now() - before < 301


def test_time_scale_must_be_positive():
    with pytest.raises(ValueError, match="time_scale"):
        check_time_scale(0)
    with pytest.raises(ValueError, match="time_scale"):
        check_time_scale("fast")


def test_timings_reject_unknown_phases():
    with pytest.raises(ValueError, match="unknown phase"):
        Timings().update({"warp": 1})


def test_idle_timeout_factor_must_be_positive():
    t = Timings()
    with pytest.raises(ValueError, match="idle_timeout_factor"):
        t.update({"idle_timeout_factor": 0})
    t.update({"idle_timeout_factor": 60})
    assert t.idle_timeout_factor == 60.0


def test_default_timings_give_a_realistic_demo_at_scale_one():
    t = Timings()
    assert 5 <= t.cluster_starting + t.cluster_bootstrapping <= 8  # minutes -> seconds at S=1
    assert t.step_default >= 1.5


@pytest.mark.parametrize(
    ("instance_type", "factor"),
    [("m5.large", 4), ("m5.xlarge", 8), ("r5.4xlarge", 32), ("c5.metal", 192), (None, 8), ("m5.weird", 8)],
)
def test_normalization_factors(instance_type, factor):
    assert normalization_factor(instance_type) == factor


def test_local_argv_runs_interpreters_only_with_an_absolute_script(tmp_path):
    script = tmp_path / "a.py"
    script.write_text("print(1)")
    argv = local_argv("command-runner.jar", ["python3", str(script), "x"])
    assert argv is not None
    assert argv[1:] == [str(script), "x"]
    assert local_argv("command-runner.jar", ["python3", "-c", "print(1)"]) is None
    assert local_argv("command-runner.jar", ["spark-submit", "s3://b/job.py"]) is None
    assert local_argv("s3://bucket/custom.jar", [sys.executable, str(script)]) is None


def test_script_runner_picks_an_interpreter_for_non_executable_scripts(tmp_path):
    script = tmp_path / "s.sh"
    script.write_text("echo hi")
    argv = local_argv(
        "s3://us-east-1.elasticmapreduce/libs/script-runner/script-runner.jar", [str(script), "1"]
    )
    assert argv is not None
    assert argv[0].endswith("bash")
    assert argv[1:] == [str(script), "1"]


def test_simulated_time_skipped_by_advance_took_no_real_time():
    clock = SimClock(1.0)
    start = clock.now()
    clock.advance(10)
    inside = clock.real_at(start + 300)
    assert inside == clock.real_at(start + 1)  # both inside the jump
    assert clock.real_at(start - 60) < inside  # a minute before the jump: one real second earlier
