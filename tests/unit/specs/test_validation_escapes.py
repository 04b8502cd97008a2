"""Issue 12 item 8 (values that escaped validation) and issue 17 item 4 (the exact rule in messages)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from emr_dags.errors import EmrConfigError
from emr_dags.specs import (
    ActionOnFailure,
    ClusterSpec,
    CommandStep,
    EksJobSpec,
    InstanceGroup,
    NetworkConfig,
    ServerlessApplicationSpec,
    ServerlessSparkJob,
    SparkStep,
    dev_cluster,
    spot_spark_cluster,
    trino_cluster,
)

ROLE = "arn:aws:iam::123456789012:role/job"
FUZZ = Path(__file__).resolve().parents[3] / "benchmarks" / "spec_fuzz.py"


def _fuzz() -> Any:
    spec = importlib.util.spec_from_file_location("spec_fuzz", FUZZ)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["spec_fuzz"] = module
    spec.loader.exec_module(module)
    return module


def _cluster(**kw: Any) -> ClusterSpec:
    base: dict[str, Any] = {
        "name": "nightly",
        "release_label": "emr-7.5.0",
        "log_bucket": "acme-emr-logs",
        "instance_groups": (InstanceGroup(role="MASTER", instance_type="m5.xlarge"),),
    }
    return ClusterSpec(**{**base, **kw})


def test_a_seeded_reduced_fuzz_has_no_accepted_value_and_no_crash() -> None:
    fuzz = _fuzz()
    outcomes = fuzz.run(seed=12, per_field=4)
    assert len(outcomes) >= 500
    bad = [(o.cls, o.field, o.category, o.value, o.result) for o in outcomes if o.result != "named"]
    assert bad == []
    assert fuzz.uncovered_fields() == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("release_label", "emr-7.5.0\n"),
        ("release_label", "emr-٧.٥.٠"),
        ("release_label", "emr-7.5.0\x00"),
        ("service_role", "arn:aws:iam::١٢٣٤٥٦٧٨٩٠١٢:role/EMR_DefaultRole"),
        ("service_role", "EMR_DefaultRole\n"),
        ("log_bucket", "acme..logs"),
        ("log_bucket", "acme-logs\n"),
        ("log_bucket", "192.168.1.10"),
        ("log_bucket", "xn--acme"),
        ("log_bucket", "acme-s3alias"),
        ("log_bucket", "acme--ol-s3"),
        ("name", "nightly\n"),
        ("name", "night\ud800ly"),
        ("custom_ami_id", "ami-0abc1234def567890\n"),
        ("subnet_ids", ["subnet-0abc1234\n"]),
    ],
)
def test_values_that_escaped_the_old_patterns_are_refused_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(EmrConfigError) as caught:
        _cluster(**{field: value})
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (
            lambda: ServerlessSparkJob(
                name="j", execution_role_arn=ROLE + "\n", entry_point="s3://acme-code/a.py"
            ),
            "execution_role_arn",
        ),
        (
            lambda: ServerlessSparkJob(
                name="j",
                execution_role_arn="arn:aws:iam::١٢٣٤٥٦٧٨٩٠١٢:role/x",
                entry_point="s3://acme-code/a.py",
            ),
            "execution_role_arn",
        ),
        (
            lambda: ServerlessSparkJob(name="j", execution_role_arn=ROLE, entry_point="s3://acme..code/a.py"),
            "entry_point",
        ),
        (lambda: ServerlessApplicationSpec(name="etl", release_label="emr-٧.٥.٠"), "release_label"),
        (
            lambda: NetworkConfig(subnet_ids=("subnet-0abc1234",), security_group_ids=("sg-0abc1234\n",)),
            "security_group_ids",
        ),
        (
            lambda: EksJobSpec(
                virtual_cluster_id="abc123",
                name="j",
                release_label="emr-7.5.0-latest\n",
                execution_role_arn=ROLE,
                entry_point="s3://acme-code/a.py",
            ),
            "release_label",
        ),
        (
            lambda: SparkStep(name="s", entry_point="s3://acme-code/a.py", executor_memory="٤g"),
            "executor_memory",
        ),
        (
            lambda: SparkStep(name="s", entry_point="s3://acme-code/a.py", action_on_failure="CONTINUE\n"),
            "action_on_failure",
        ),
        (lambda: CommandStep(name="c", argv=["echo", "x" * 10281]), "argv"),
    ],
)
def test_jobs_and_steps_refuse_the_same_escapes(make: Any, field: str) -> None:
    with pytest.raises(EmrConfigError) as caught:
        make()
    assert caught.value.field == field


def test_an_enum_member_and_its_exact_value_are_still_accepted() -> None:
    assert SparkStep(
        name="s", entry_point="s3://acme-code/a.py", action_on_failure="continue"
    ).action_on_failure is (ActionOnFailure.CONTINUE)


# --- messages name the exact rule (issue 17 item 4) ---------------------------------------------


def test_a_two_letter_log_bucket_is_too_short_not_empty() -> None:
    with pytest.raises(
        EmrConfigError, match=r"'ab' is too short \(2 characters\): bucket names are 3-63 characters"
    ):
        _cluster(log_bucket="ab")


def test_an_empty_log_bucket_is_empty() -> None:
    with pytest.raises(EmrConfigError, match=r"ClusterSpec.log_bucket: '' is empty"):
        _cluster(log_bucket="")


@pytest.mark.parametrize(
    ("uri", "rule"),
    [
        (
            "s3://b/x.py",
            r"has the bucket 'b', which is too short \(1 character\): bucket names are 3-63 characters",
        ),
        ("s3://Acme_Code/x.py", r"has the bucket 'Acme_Code', which has uppercase letters and '_'"),
        ("s3://acme..code/x.py", r"has the bucket 'acme..code', which has two adjacent dots"),
        ("s3://10.0.0.1/x.py", r"looks like an IP address"),
        ("s3://xn--acme/x.py", r"starts with a prefix S3 reserves"),
        ("s3://acme-s3alias/x.py", r"ends with a suffix S3 reserves"),
        ("s3://-acme/x.py", r"does not start and end with a letter or digit"),
    ],
)
def test_an_s3_uri_error_names_the_bucket_rule_it_breaks(uri: str, rule: str) -> None:
    with pytest.raises(EmrConfigError, match=rule) as caught:
        SparkStep(name="s", entry_point=uri)
    assert caught.value.field == "entry_point"
    assert "is not an S3 URI or an absolute path" not in str(caught.value)
    with pytest.raises(EmrConfigError, match=rule):
        ServerlessSparkJob(name="j", execution_role_arn=ROLE, entry_point=uri)
    with pytest.raises(EmrConfigError, match=rule):
        _cluster(log_bucket=None, log_uri=uri)


def test_a_non_ascii_digit_is_named_as_such() -> None:
    with pytest.raises(EmrConfigError, match=r"non-ASCII character '٧' \(U\+0667\)"):
        _cluster(release_label="emr-٧.٥.٠")


@pytest.mark.parametrize(
    ("preset", "kwargs", "own", "guess"),
    [
        (spot_spark_cluster, {"core_nodes": 4}, "core_units", "core_units"),
        (trino_cluster, {"worker": 4}, "worker_type", "workers"),
        (dev_cluster, {"core_nodes": 2}, "core_count", "core_count"),
    ],
)
def test_a_preset_lists_its_own_options_for_an_unknown_keyword(
    preset: Any, kwargs: dict[str, Any], own: str, guess: str
) -> None:
    with pytest.raises(EmrConfigError) as caught:
        preset(name="n", log_bucket="acme-emr-logs", **kwargs)
    message = str(caught.value)
    assert f"{preset.__name__}'s own options (" in message
    assert own in message.split("own options (")[1].split(")")[0]
    assert f"Did you mean {guess}=?" in message
    assert caught.value.field == next(iter(kwargs))
