"""The "Probable cause" extra link: a URL to the diagnosis page when the try stored a diagnosis, else ""."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from airflow.models.taskinstancekey import TaskInstanceKey

from emr_dags.links.diagnosis import ProbableCauseLink, diagnosis_page_url
from emr_dags.operators.eks import EmrEksJobOperator
from emr_dags.operators.emr import EmrStepOperator
from emr_dags.operators.serverless import EmrServerlessJobOperator

RUN_ID = "manual__2026-03-01T00:00:00+00:00"
KEY = TaskInstanceKey(dag_id="etl", task_id="analytics.sessionize", run_id=RUN_ID, try_number=2, map_index=-1)
DIAGNOSIS = {
    "category": "python_module_missing",
    "summary": "Python module missing: ModuleNotFoundError: No module named 'pandas' [stderr.gz:5]",
    "evidence": ["s3://logs/j-1/steps/s-1/stderr.gz:5: ModuleNotFoundError: No module named 'pandas'"],
    "source": "s3://logs/j-1/steps/s-1/stderr.gz",
}


class FakeXCom:
    """What the task's XCom holds, by key (the link reads it through the Task SDK in the worker)."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self.asked: list[tuple[str, object]] = []

    def get_value(self, *, ti_key, key):
        self.asked.append((key, ti_key))
        return self.values.get(key)


@pytest.fixture
def xcom(monkeypatch):
    from airflow.sdk.execution_time.xcom import XCom

    fake = FakeXCom()
    monkeypatch.setattr(XCom, "get_value", staticmethod(fake.get_value))
    return fake


@pytest.fixture
def base_url(monkeypatch):
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com/")
    return "https://airflow.example.com"


def test_link_points_to_the_diagnosis_page_of_this_exact_try(xcom, base_url):
    xcom.values["diagnosis"] = DIAGNOSIS
    url = ProbableCauseLink().get_link(None, ti_key=KEY)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == base_url
    assert parts.path == "/emr-dags/diagnosis"
    assert parse_qs(parts.query) == {
        "dag_id": ["etl"],
        "run_id": [RUN_ID],
        "task_id": ["analytics.sessionize"],
        "map_index": ["-1"],
        "try_number": ["2"],
    }
    assert ("diagnosis", KEY) in xcom.asked


def test_link_names_the_map_index_of_a_mapped_task(xcom, base_url):
    xcom.values["diagnosis"] = DIAGNOSIS
    mapped = TaskInstanceKey(dag_id="etl", task_id="t", run_id="r", try_number=1, map_index=3)
    assert "map_index=3&try_number=1" in ProbableCauseLink().get_link(None, ti_key=mapped)


def test_link_is_empty_without_a_diagnosis_so_airflow_hides_it(xcom, base_url):
    assert ProbableCauseLink().get_link(None, ti_key=KEY) == ""


@pytest.mark.parametrize("value", ["a string", {"summary": "no category"}, ["a", "list"], {}])
def test_link_is_empty_when_the_xcom_is_not_a_diagnosis(xcom, base_url, value):
    xcom.values["diagnosis"] = value
    assert ProbableCauseLink().get_link(None, ti_key=KEY) == ""


def test_link_is_empty_when_xcom_cannot_be_read(monkeypatch, base_url):
    from airflow.sdk.execution_time.xcom import XCom

    def broken(**_):
        raise RuntimeError("no supervisor")

    monkeypatch.setattr(XCom, "get_value", staticmethod(broken))
    assert ProbableCauseLink().get_link(None, ti_key=KEY) == ""


def test_without_a_base_url_the_link_is_root_relative(xcom, monkeypatch):
    monkeypatch.delenv("AIRFLOW__API__BASE_URL", raising=False)
    xcom.values["diagnosis"] = DIAGNOSIS
    assert ProbableCauseLink().get_link(None, ti_key=KEY).startswith("/emr-dags/diagnosis?dag_id=etl&")


def test_json_form_of_the_url():
    url = diagnosis_page_url(
        dag_id="d", run_id="r", task_id="t", try_number=1, base_url="http://h:8080/", api=True
    )
    assert url == "http://h:8080/emr-dags/api/diagnosis?dag_id=d&run_id=r&task_id=t&map_index=-1&try_number=1"


@pytest.mark.parametrize("operator", [EmrStepOperator, EmrServerlessJobOperator, EmrEksJobOperator])
def test_every_operator_that_diagnoses_carries_the_link(operator):
    assert "Probable cause" in {link.name for link in operator.operator_extra_links}
