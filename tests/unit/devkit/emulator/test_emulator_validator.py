"""The request validator on its own: Java patterns, every model pattern compiles, wire -> parameters."""

from __future__ import annotations

import pytest

from emr_dags_devkit.emulator.errors import AwsError
from emr_dags_devkit.emulator.validation import (
    RequestValidator,
    compiled,
    java_to_python,
    query_params,
)

SERVICES = ("emr", "emr-serverless", "emr-containers", "logs", "sts", "iam", "ec2")


def _patterns(service: str) -> set[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    found: set[str] = set()
    seen: set[str] = set()

    def walk(shape):
        if shape.name in seen:
            return
        seen.add(shape.name)
        if "pattern" in shape.metadata:
            found.add(shape.metadata["pattern"])
        children = {
            "structure": lambda: shape.members.values(),
            "list": lambda: [shape.member],
            "map": lambda: [shape.key, shape.value],
        }.get(shape.type_name, list)()
        for child in children:
            walk(child)

    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        if shape is not None:
            walk(shape)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_pattern_of_the_services_we_validate_compiles(service):
    assert [p for p in _patterns(service) if compiled(p) is None] == []


def test_java_shorthand_classes_are_ascii_like_java():
    assert compiled(r"[\w+=,.@-]*").fullmatch("role_session.1") is not None
    assert compiled(r"[\w+=,.@-]*").fullmatch("sessión") is None  # Java's \w is ASCII
    assert compiled(r"\d+").fullmatch("٣") is None
    assert compiled(r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$").fullmatch("clé ünï 1") is not None


def test_surrogate_pair_ranges_mean_supplementary_characters():
    xml_string = "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]*"
    assert "\\U00010000-\\U0010FFFF" in java_to_python(xml_string)
    assert compiled(xml_string).fullmatch("step 😀\n") is not None
    assert compiled(xml_string).fullmatch("bell \x07") is None


def test_patterns_are_matched_in_full():
    assert compiled("[0-9a-z]+").fullmatch("abc1") is not None
    assert compiled("[0-9a-z]+").fullmatch("abc-1") is None


def test_an_uncompilable_pattern_is_counted_not_passed():
    validator = RequestValidator()
    assert compiled("[unclosed") is None
    assert validator.snapshot()["skipped_patterns"] >= 1
    assert "[unclosed" in validator.snapshot()["skipped_pattern_list"]


def test_query_parameters_are_rebuilt_from_their_flat_form():
    import botocore.session

    shape = botocore.session.get_session().get_service_model("sts").operation_model("AssumeRole").input_shape
    flat = {
        "RoleArn": ["arn:aws:iam::123456789012:role/r"],
        "RoleSessionName": ["s"],
        "DurationSeconds": ["900"],
        "Tags.member.1.Key": ["team"],
        "Tags.member.1.Value": ["data"],
        "PolicyArns.member.1.arn": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    }
    assert query_params(shape, flat, ec2=False) == {
        "RoleArn": "arn:aws:iam::123456789012:role/r",
        "RoleSessionName": "s",
        "DurationSeconds": 900,
        "Tags": [{"Key": "team", "Value": "data"}],
        "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
    }


def test_strict_mode_raises_and_lenient_mode_only_counts():
    body = {"Name": "x" * 257, "Instances": {}}
    strict = RequestValidator()
    with pytest.raises(AwsError) as err:
        strict.check("emr", "RunJobFlow", "json", body=body)
    assert err.value.code == "ValidationException"
    assert "at 'name' failed to satisfy constraint: Member must have length less than or equal to 256" in (
        err.value.message
    )
    lenient = RequestValidator(strict=False)
    lenient.check("emr", "RunJobFlow", "json", body=body)
    stats = lenient.snapshot()
    assert (stats["validated"], stats["violations"]) == (1, 1)


def test_rest_uri_labels_and_query_strings_are_validated():
    validator = RequestValidator()
    with pytest.raises(AwsError, match="at 'maxResults' failed to satisfy constraint"):
        validator.check(
            "emr-serverless", "ListApplications", "rest-json", path="/applications", query="maxResults=0"
        )
    with pytest.raises(AwsError, match="Value 'NOT_AN_ID' at 'applicationId'"):
        validator.check("emr-serverless", "GetApplication", "rest-json", path="/applications/NOT_AN_ID")
    validator.check("emr-serverless", "GetApplication", "rest-json", path="/applications/00abc123")


def test_s3_is_counted_as_not_validated():
    validator = RequestValidator()
    validator.check("s3", "PutObject", "rest-xml")
    assert validator.snapshot()["unvalidated_by_service"] == {"s3": 1}
    assert validator.snapshot()["validated"] == 0
