from __future__ import annotations

import pytest

ROUTES = ["/emr-dags/", "/emr-dags/api/resources", "/emr-dags/api/orphans", "/emr-dags/api/costs"]


def _bearer(t):
    return {"Authorization": f"Bearer {t}"}


@pytest.mark.parametrize("path", ROUTES)
def test_no_token_is_401_and_reveals_nothing(client, path):
    resp = client.get(path)
    assert resp.status_code == 401
    assert "j-" not in resp.text
    assert "etl" not in resp.text


@pytest.mark.parametrize("path", ROUTES)
def test_garbage_token_is_rejected(client, path):
    resp = client.get(path, headers=_bearer("not-a-jwt"))
    assert resp.status_code in (401, 403)
    assert "j-" not in resp.text


@pytest.mark.parametrize("path", ROUTES)
def test_user_without_any_role_is_403(client, token, path):
    resp = client.get(path, headers=_bearer(token("nobody", None)))
    assert resp.status_code == 403
    assert "j-" not in resp.text


@pytest.mark.parametrize("path", ROUTES)
def test_viewer_with_token_gets_200(client, token, path):
    assert client.get(path, headers=_bearer(token("viewer", "viewer"))).status_code == 200


def test_ui_cookie_authenticates_like_the_airflow_ui(client, token):
    client.cookies.set("_token", token("viewer", "viewer"))
    resp = client.get("/emr-dags/")
    assert resp.status_code == 200
    assert "j-ETLDONE" in resp.text


def test_user_sees_only_dags_they_may_read(client, token):
    resp = client.get("/emr-dags/api/resources", headers=_bearer(token("alice", "viewer")))
    assert resp.status_code == 200
    ids = {r["id"] for r in resp.json()["resources"]}
    assert ids == {"j-ETLDONE", "j-ETLLIVE", "j-ETLOLD"}
    page = client.get("/emr-dags/?view=orphans", headers=_bearer(token("alice", "viewer"))).text
    assert "j-SECRET" not in page
    assert "secret_dag" not in page
    costs = client.get("/emr-dags/api/costs", headers=_bearer(token("alice", "viewer"))).json()
    assert [d["dag_id"] for d in costs["dags"]] == ["etl"]


@pytest.mark.parametrize("path", ROUTES)
def test_asking_for_a_forbidden_dag_is_403(client, token, path):
    resp = client.get(path, params={"dag_id": "secret_dag"}, headers=_bearer(token("alice", "viewer")))
    assert resp.status_code == 403
    assert "j-SECRET" not in resp.text


def test_user_with_no_dag_access_sees_an_empty_page(client, token):
    resp = client.get("/emr-dags/api/resources", headers=_bearer(token("mallory", "viewer")))
    assert resp.status_code == 200
    assert resp.json()["resources"] == []


def test_revoked_token_is_rejected(client, token, monkeypatch):
    from airflow.api_fastapi.auth.managers import base_auth_manager

    t = token("viewer", "viewer")
    monkeypatch.setattr(base_auth_manager.RevokedToken, "is_revoked", classmethod(lambda cls, jti: True))
    resp = client.get("/emr-dags/api/resources", headers=_bearer(t))
    assert resp.status_code == 403
    assert "j-" not in resp.text
