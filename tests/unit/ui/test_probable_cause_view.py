"""The diagnosis view behind the "Probable cause" extra link: HTML and JSON, escaping, 404s, 400s, auth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emr_dags.links.diagnosis import diagnosis_page_url
from emr_dags.ui.views import StoredDiagnosis, TryRecord

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
RUN = "manual__2026-03-01T10:00:00+00:00"
TASK = "analytics.sessionize"
SOURCE = "s3://acme-logs/elasticmapreduce/j-1/steps/s-1/stderr.gz"
DIAGNOSIS = {
    "category": "python_module_missing",
    "found_failure": True,
    "summary": "Python module missing: ModuleNotFoundError: No module named 'pandas' [stderr.gz:5]",
    "decisive_line": {"file": SOURCE, "line": 5, "text": "ModuleNotFoundError: No module named 'pandas'"},
    "evidence": [
        f"{SOURCE}:5: ModuleNotFoundError: No module named 'pandas'",
        "s3://acme-logs/elasticmapreduce/j-1/steps/s-1/controller.gz:4: WARN Step failed with exitCode 1",
    ],
    "source": SOURCE,
    "searched": [f"{SOURCE} (5 lines)"],
    "missing": [],
    "rule": "python-module-missing",
}


def failed_try(n, *, start):
    return TryRecord(try_number=n, state="failed", start_date=start)


def stored(value=DIAGNOSIS, *, tries=None, pushed_at=T0 + timedelta(minutes=3)):
    return StoredDiagnosis(
        tries=tuple(tries or (failed_try(1, start=T0),)),
        value=value,
        pushed_at=pushed_at,
        region_name="eu-west-1",
        aws_domain="aws.amazon.com",
    )


def params(**extra):
    return {"dag_id": "etl", "run_id": RUN, "task_id": TASK, **extra}


@pytest.fixture
def viewer(client, token):
    client.headers["Authorization"] = f"Bearer {token('viewer', 'viewer')}"
    return client


@pytest.fixture
def with_diagnosis(backend):
    def put(value=DIAGNOSIS, **kw):
        backend.diagnoses[("etl", RUN, TASK, -1)] = stored(value, **kw)

    put()
    return put


def test_page_shows_category_summary_evidence_and_the_s3_console_link(viewer, with_diagnosis):
    resp = viewer.get("/emr-dags/diagnosis", params=params(try_number=1))
    assert resp.status_code == 200
    html = resp.text
    assert "python_module_missing" in html
    assert "Python module missing" in html  # the category's label
    assert "No module named 'pandas' [stderr.gz:5]" in html  # greppable: quotes need no escaping in text
    assert f'<code class="where">{SOURCE}:5</code>' in html
    assert "controller.gz:4</code>" in html
    assert (
        "https://console.aws.amazon.com/s3/buckets/acme-logs?region=eu-west-1"
        "&amp;prefix=elasticmapreduce/j-1/steps/s-1/stderr.gz" in html
    )
    assert f"/dags/etl/runs/{RUN.replace(':', '%3A').replace('+', '%2B')}/tasks/{TASK}?try_number=1" in html
    assert resp.headers["cache-control"] == "no-store"


def test_a_malicious_summary_evidence_and_source_are_escaped(viewer, with_diagnosis):
    evil = "<script>alert('x')</script>"
    with_diagnosis(
        {
            **DIAGNOSIS,
            "category": "unknown",
            "summary": f"Failed: {evil}",
            "evidence": [f"stderr:1: {evil}", '"><img src=x onerror=alert(1)>'],
            "source": 's3://b/"><script>x</script>',
            "searched": [evil],
            "rule": evil,
        }
    )
    html = viewer.get("/emr-dags/diagnosis", params=params()).text
    assert "<script>alert" not in html
    assert "<img" not in html
    assert "<script>x" not in html
    assert "Failed: &lt;script&gt;alert('x')&lt;/script&gt;" in html
    assert 'href="https://console.aws.amazon.com/s3/buckets/b?' in html  # the source stays inside its href
    assert html.count("<script>") == 1  # only the page's own navigation script


def test_json_form_has_the_try_and_the_diagnosis(viewer, with_diagnosis):
    resp = viewer.get("/emr-dags/api/diagnosis", params=params(try_number=1))
    assert resp.status_code == 200
    data = resp.json()
    assert {k: data[k] for k in ("dag_id", "run_id", "task_id", "map_index", "try_number")} == {
        "dag_id": "etl",
        "run_id": RUN,
        "task_id": TASK,
        "map_index": -1,
        "try_number": 1,
    }
    assert data["diagnosis"] == DIAGNOSIS  # exactly what the operator pushed to XCom
    assert data["source_console_url"].startswith("https://console.aws.amazon.com/s3/buckets/acme-logs?")
    assert viewer.get("/emr-dags/diagnosis", params=params(try_number=1, format="json")).json() == data


def test_the_links_own_url_is_served(viewer, with_diagnosis):
    url = diagnosis_page_url(dag_id="etl", run_id=RUN, task_id=TASK, try_number=1, base_url="")
    resp = viewer.get(url)
    assert resp.status_code == 200
    assert "python_module_missing" in resp.text


def test_unknown_task_instance_is_404_naming_dag_run_and_task(viewer):
    resp = viewer.get("/emr-dags/diagnosis", params=params(dag_id="nope"))
    assert resp.status_code == 404
    assert "Diagnosis not found" in resp.text
    assert f"No task instance dag_id='nope', run_id='{RUN}', task_id='{TASK}'" in resp.text
    assert TASK in resp.text
    assert "run_id=" in resp.text
    detail = viewer.get("/emr-dags/api/diagnosis", params=params(dag_id="nope")).json()["detail"]
    assert detail.startswith(f"No task instance dag_id='nope', run_id='{RUN}', task_id='{TASK}'")


def test_try_without_a_diagnosis_is_404_with_a_helpful_message(viewer, with_diagnosis):
    with_diagnosis(None)
    resp = viewer.get("/emr-dags/api/diagnosis", params=params())
    assert resp.status_code == 404
    detail = resp.json()["detail"]
    assert detail.startswith(f"No diagnosis for dag_id='etl', run_id='{RUN}', task_id='{TASK}', try 1.")
    assert "see its task log" in detail
    html = viewer.get("/emr-dags/diagnosis", params=params()).text
    assert "No diagnosis for" in html
    assert "Open the task instance and its log in Airflow" in html


def test_the_diagnosis_of_a_later_try_is_not_shown_for_an_earlier_one(viewer, with_diagnosis):
    tries = (failed_try(1, start=T0), failed_try(2, start=T0 + timedelta(minutes=10)))
    with_diagnosis(tries=tries, pushed_at=T0 + timedelta(minutes=12))
    resp = viewer.get("/emr-dags/api/diagnosis", params=params(try_number=1))
    assert resp.status_code == 404
    assert "belongs to try 2" in resp.json()["detail"]
    assert viewer.get("/emr-dags/api/diagnosis", params=params(try_number=2)).status_code == 200
    assert viewer.get("/emr-dags/api/diagnosis", params=params()).json()["try_number"] == 2  # latest
    missing = viewer.get("/emr-dags/api/diagnosis", params=params(try_number=7)).json()["detail"]
    assert "No try 7" in missing
    assert "tries 1, 2" in missing


def test_a_queued_retry_does_not_claim_the_previous_tries_diagnosis(viewer, with_diagnosis):
    # The live row of a retry that has not started yet still carries the previous try's start_date.
    tries = (failed_try(1, start=T0), TryRecord(try_number=2, state="queued", start_date=T0))
    with_diagnosis(tries=tries)
    assert viewer.get("/emr-dags/api/diagnosis", params=params(try_number=1)).status_code == 200
    resp = viewer.get("/emr-dags/api/diagnosis", params=params(try_number=2))
    assert resp.status_code == 404
    assert "belongs to try 1" in resp.json()["detail"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (params(task_id=""), "missing query parameter(s): task_id"),
        ({"dag_id": "etl"}, "missing query parameter(s): run_id, task_id"),
        (params(map_index="abc"), "map_index: 'abc' is not valid; expected an integer"),
        (params(map_index="-2"), "map_index: '-2' is not valid"),
        (params(try_number="0"), "try_number: '0' is not valid; expected an integer &gt;= 1"),
        (params(dag_id="x" * 251), "dag_id: longer than 250 characters"),
        (params(format="xml"), "format: 'xml' is not supported"),
    ],
)
def test_bad_query_parameters_are_400_with_the_fix(viewer, query, message):
    resp = viewer.get("/emr-dags/diagnosis", params=query)
    assert resp.status_code == 400
    assert message in resp.text


def test_bad_query_parameters_in_json_form(viewer):
    resp = viewer.get("/emr-dags/api/diagnosis", params=params(try_number="first"))
    assert resp.status_code == 400
    assert resp.json()["detail"].startswith("try_number: 'first' is not valid")


def test_reflected_parameters_are_escaped_in_the_404_page(viewer):
    html = viewer.get("/emr-dags/diagnosis", params=params(task_id="<script>x</script>")).text
    assert "<script>x" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_reading_a_diagnosis_needs_read_access_to_the_dag(client, token, with_diagnosis):
    client.headers["Authorization"] = f"Bearer {token('mallory', 'viewer')}"
    assert client.get("/emr-dags/api/diagnosis", params=params()).status_code == 403
    # the same answer whether or not the task instance exists: nothing leaks
    assert client.get("/emr-dags/diagnosis", params=params(dag_id="nope")).status_code == 403
    client.headers["Authorization"] = f"Bearer {token('alice', 'viewer')}"
    assert client.get("/emr-dags/api/diagnosis", params=params()).status_code == 200


def test_diagnosis_view_requires_airflow_auth(client, with_diagnosis):
    assert client.get("/emr-dags/diagnosis", params=params()).status_code == 401
    assert client.get("/emr-dags/api/diagnosis", params=params()).status_code == 401
