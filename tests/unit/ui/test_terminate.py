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


def _with_tags(rid, run_id, **overrides):
    from dataclasses import replace

    from ui_fakes import resource

    r = resource(rid, "etl", run_id)
    return replace(r, tags={k: v for k, v in {**r.tags, **overrides}.items() if v is not None})


def _post(client, rid):
    return client.post(URL, json={"kind": "emr-cluster", "id": rid, "confirm": rid})


def test_a_cluster_whose_dag_run_airflow_does_not_know_is_409_not_terminated(client, token, backend):
    backend.resources.append(_with_tags("j-UNKNOWN", "manual__other_deployment"))
    _as(client, token, "olga", "op")
    resp = _post(client, "j-UNKNOWN")
    assert resp.status_code == 409
    assert "not found" in resp.json()["detail"]
    assert backend.terminated == []


def test_another_deployments_cluster_with_copied_tags_is_409(client, token, backend):
    from emr_dags import tags

    backend.resources.append(_with_tags("j-OTHERDEP", "manual__done", **{tags.DEPLOYMENT: "deployment-b"}))
    _as(client, token, "olga", "op")
    resp = _post(client, "j-OTHERDEP")
    assert resp.status_code == 409
    assert "deployment-b" in resp.json()["detail"]
    assert backend.terminated == []


def test_a_passed_deadline_tag_does_not_make_a_live_runs_cluster_terminable(client, token, backend):
    from emr_dags import tags

    backend.resources.append(
        _with_tags("j-DEADLINE", "manual__live", **{tags.DEADLINE: "2020-01-01T00:00:00Z"})
    )
    _as(client, token, "olga", "op")
    assert _post(client, "j-DEADLINE").status_code == 409
    assert backend.terminated == []


def test_tags_whose_key_does_not_hash_the_dag_run_task_tags_are_409(client, token, backend):
    from emr_dags import tags

    backend.resources.append(_with_tags("j-EDITED", "manual__done", **{tags.TASK_ID: "other.task"}))
    _as(client, token, "olga", "op")
    resp = _post(client, "j-EDITED")
    assert resp.status_code == 409
    assert "does not match" in resp.json()["detail"]
    assert backend.terminated == []


def test_the_orphans_page_offers_no_terminate_button_for_an_unknown_dag_run(client, token, backend):
    backend.resources.append(_with_tags("j-UNKNOWN", "manual__other_deployment"))
    _as(client, token, "olga", "op")
    page = client.get("/emr-dags/?view=orphans").text
    assert "j-UNKNOWN" in page
    assert 'value="j-UNKNOWN"' not in page  # no form for it
    assert 'value="j-ETLDONE"' in page
