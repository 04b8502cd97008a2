from __future__ import annotations

import pytest
from ui_fakes import FakeBackend

FORM = {"kind": "emr-cluster", "id": "j-ETLDONE", "confirm": "j-ETLDONE"}
URL = "/emr-dags/orphans/terminate"


@pytest.fixture
def backend():
    return FakeBackend(allow_terminate=True)


def _as(client, token, user, role):
    client.headers["Authorization"] = f"Bearer {token(user, role)}"
    return client


def test_without_token_is_401(client, backend):
    assert client.post(URL, data=FORM).status_code == 401
    assert backend.terminated == []


def test_viewer_may_not_terminate(client, token, backend):
    _as(client, token, "viewer", "viewer")
    assert client.post(URL, data=FORM).status_code == 403
    assert "/orphans/terminate" not in client.get("/emr-dags/?view=orphans").text
    assert backend.terminated == []


def test_user_without_write_access_to_the_dag_may_not_terminate(client, token, backend):
    _as(client, token, "alice", "op")  # op role, but ACL allows only GET on etl
    assert client.post(URL, data=FORM).status_code == 403
    assert backend.terminated == []


def test_confirmation_must_repeat_the_resource_id(client, token, backend):
    _as(client, token, "olga", "op")
    resp = client.post(URL, data={**FORM, "confirm": "yes"})
    assert resp.status_code == 400
    assert backend.terminated == []


def test_cross_site_post_is_refused(client, token, backend):
    _as(client, token, "olga", "op")
    resp = client.post(URL, data=FORM, headers={"Origin": "https://evil.example"})
    assert resp.status_code == 403
    assert backend.terminated == []


def test_a_live_runs_cluster_is_not_an_orphan(client, token, backend):
    _as(client, token, "olga", "op")
    resp = client.post(URL, json={"kind": "emr-cluster", "id": "j-ETLLIVE", "confirm": "j-ETLLIVE"})
    assert resp.status_code == 409
    assert backend.terminated == []


def test_op_terminates_a_confirmed_orphan(client, token, backend):
    _as(client, token, "olga", "op")
    resp = client.post(URL, data=FORM, follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"].startswith("/emr-dags/?view=orphans")
    assert [rid for rid, _ in backend.terminated] == ["j-ETLDONE"]
    assert "by olga in the UI" in backend.terminated[0][1]


def test_json_terminate_reports_the_outcome(client, token, backend):
    _as(client, token, "olga", "op")
    resp = client.post(URL, json=FORM)
    assert resp.status_code == 200
    assert resp.json()["outcome"] == "done"
