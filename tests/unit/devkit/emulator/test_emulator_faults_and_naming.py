from __future__ import annotations

import json

import pytest

from emr_dags_devkit.emulator.faults import FaultInjector, FaultRule, error_response
from emr_dags_devkit.emulator.naming import name_request, rest_operation


def auth(service: str, region: str = "eu-west-1") -> str:
    return f"AWS4-HMAC-SHA256 Credential=AKID/20240101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0"


def test_emr_action_comes_from_the_target_header():
    name = name_request(
        {
            "HTTP_AUTHORIZATION": auth("elasticmapreduce"),
            "HTTP_X_AMZ_TARGET": "ElasticMapReduce.DescribeStep",
        },
        None,
    )
    assert (name.service, name.action, name.region, name.protocol) == (
        "emr",
        "DescribeStep",
        "eu-west-1",
        "json",
    )


@pytest.mark.parametrize(
    ("service", "method", "path", "action"),
    [
        ("emr-serverless", "GET", "/applications/abc/jobruns/def", "GetJobRun"),
        ("emr-serverless", "POST", "/applications/abc/jobruns", "StartJobRun"),
        ("emr-serverless", "GET", "/applications/abc/jobruns/def/dashboard", "GetDashboardForJobRun"),
        ("emr-serverless", "DELETE", "/applications/abc/jobruns/def", "CancelJobRun"),
        ("emr-serverless", "POST", "/applications/abc/start", "StartApplication"),
        ("emr-containers", "POST", "/virtualclusters/v/jobruns", "StartJobRun"),
        ("emr-containers", "GET", "/virtualclusters/v/jobruns/j", "DescribeJobRun"),
    ],
)
def test_rest_routes_map_to_operation_names(service, method, path, action):
    assert rest_operation(service, method, path) == action


def test_query_protocol_action_comes_from_the_body():
    environ = {"HTTP_AUTHORIZATION": auth("sts", "us-east-1"), "REQUEST_METHOD": "POST", "PATH_INFO": "/"}
    name = name_request(environ, b"Action=GetCallerIdentity&Version=2011-06-15")
    assert (name.service, name.action, name.protocol) == ("sts", "GetCallerIdentity", "query")


def test_same_seed_same_fault_sequence():
    config = {"seed": 5, "rules": [{"service": "emr", "throttle": 0.5}]}
    a, b = FaultInjector(), FaultInjector()
    a.configure(config)
    b.configure(config)
    seq_a = [a.decide("emr", "ListSteps").error for _ in range(50)]
    seq_b = [b.decide("emr", "ListSteps").error for _ in range(50)]
    assert seq_a == seq_b
    assert set(seq_a) == {None, "throttle"}


def test_faults_only_hit_matching_actions():
    faults = FaultInjector()
    faults.configure([{"service": "emr", "action": "Describe*", "error_5xx": 1.0}])
    assert faults.decide("emr", "DescribeStep").error == "5xx"
    assert faults.decide("emr", "ListSteps").error is None
    assert faults.decide("emr-serverless", "DescribeStep").error is None


def test_fault_probabilities_are_checked():
    with pytest.raises(ValueError, match="throttle"):
        FaultRule(throttle=1.5)


def test_throttling_shapes_per_protocol():
    status, headers, body = error_response("json", "throttle", "emr")
    assert status == 400
    assert json.loads(body)["__type"] == "ThrottlingException"
    assert ("x-amzn-ErrorType", "ThrottlingException") in headers
    status, _, body = error_response("query", "throttle", "sts")
    assert status == 400
    assert b"<Code>Throttling</Code>" in body
    status, _, body = error_response("rest-xml", "throttle", "s3")
    assert status == 503
    assert b"<Code>SlowDown</Code>" in body


def test_presigned_s3_urls_are_named_from_the_query_string():
    query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-west-2%2Fs3%2Faws4_request&X-Amz-Signature=0"
    name = name_request({"REQUEST_METHOD": "GET", "PATH_INFO": "/bucket/key", "QUERY_STRING": query}, None)
    assert (name.service, name.action, name.region) == ("s3", "GetObject", "us-west-2")
