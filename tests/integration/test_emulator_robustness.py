"""The emulator never falls over on malformed requests; it answers and keeps serving."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.integration
PROVOKES_VIOLATIONS = True  # malformed requests on purpose (see conftest)

AUTH = {
    "emr": "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/elasticmapreduce/aws4_request, SignedHeaders=host, Signature=0",
    "emr-serverless": "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/emr-serverless/aws4_request, SignedHeaders=host, Signature=0",
    "emr-containers": "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/emr-containers/aws4_request, SignedHeaders=host, Signature=0",
}
EMR_ACTIONS = [
    "RunJobFlow", "DescribeCluster", "DescribeStep", "ListSteps", "AddJobFlowSteps", "CancelSteps",
    "TerminateJobFlows", "ListClusters", "ModifyCluster", "PutAutoTerminationPolicy", "AddTags",
]  # fmt: skip
REST_ROUTES = [
    ("emr-serverless", "POST", "/applications"),
    ("emr-serverless", "POST", "/applications/abc/jobruns"),
    ("emr-serverless", "GET", "/applications/abc/jobruns/def"),
    ("emr-serverless", "DELETE", "/applications/abc/jobruns/def"),
    ("emr-serverless", "GET", "/applications/abc/jobruns/def/dashboard"),
    ("emr-serverless", "POST", "/applications/abc/start"),
    ("emr-containers", "POST", "/virtualclusters/abc/jobruns"),
    ("emr-containers", "DELETE", "/virtualclusters/abc/jobruns/def"),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=10,
)
emr_fields = st.sampled_from(
    [
        "ClusterId",
        "JobFlowId",
        "StepId",
        "StepIds",
        "Steps",
        "JobFlowIds",
        "Name",
        "Instances",
        "StepConcurrencyLevel",
        "ReleaseLabel",
    ]
)
bodies = st.one_of(
    st.binary(max_size=64),
    st.dictionaries(emr_fields, json_values, max_size=4).map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
)


def send(url: str, method: str, headers: dict[str, str], body: bytes) -> int:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.sampled_from(EMR_ACTIONS), body=bodies)
def test_malformed_emr_requests_get_an_answer(endpoint_url, action, body):
    headers = {
        "X-Amz-Target": f"ElasticMapReduce.{action}",
        "Content-Type": "application/x-amz-json-1.1",
        "Authorization": AUTH["emr"],
    }
    status = send(endpoint_url, "POST", headers, body)
    assert 200 <= status < 600
    assert send(f"{endpoint_url}/emr-dags/health", "GET", {}, b"") == 200


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(REST_ROUTES), body=bodies)
def test_malformed_rest_requests_get_an_answer(endpoint_url, route, body):
    service, method, path = route
    headers = {"Content-Type": "application/json", "Authorization": AUTH[service]}
    status = send(f"{endpoint_url}{path}", method, headers, body if method != "GET" else b"")
    assert 200 <= status < 600
    assert send(f"{endpoint_url}/emr-dags/health", "GET", {}, b"") == 200


def test_unknown_cluster_ids_are_client_errors_not_crashes(endpoint_url):
    headers = {
        "X-Amz-Target": "ElasticMapReduce.ListSteps",
        "Content-Type": "application/x-amz-json-1.1",
        "Authorization": AUTH["emr"],
    }
    assert send(endpoint_url, "POST", headers, json.dumps({"ClusterId": "j-NOPE"}).encode()) == 400


def test_admin_rejects_bad_json_and_unknown_routes(endpoint_url, admin_token):
    auth = {"Authorization": f"Bearer {admin_token}"}
    assert (
        send(
            f"{endpoint_url}/emr-dags/rules",
            "PUT",
            {"Content-Type": "application/json", **auth},
            b"{not json",
        )
        == 400
    )
    assert send(f"{endpoint_url}/emr-dags/nope", "GET", auth, b"") == 404
