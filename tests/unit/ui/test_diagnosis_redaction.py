"""No credential reaches the plugin's diagnosis page or its JSON endpoint, even from an XCom an older
emr-dags stored unredacted (the view redacts what it serves, whatever wrote it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from emr_dags.ui.views import StoredDiagnosis, TryRecord
from emr_dags_devkit.bench.leaky_logs import ACCESS_KEY_ID, LEAKY_LOGS, unredacted_diagnosis

RUN = "manual__2026-03-01T10:00:00+00:00"
TASK = "spark_job"
SOURCE = "s3://acme-logs/elasticmapreduce/j-1/steps/s-1/stderr.gz"
OUTPUTS = {
    "ui_page": ("/emr-dags/diagnosis", {}),
    "ui_page_json": ("/emr-dags/diagnosis", {"format": "json"}),
    "ui_api": ("/emr-dags/api/diagnosis", {}),
}


@pytest.fixture
def viewer(client, token):
    client.headers["Authorization"] = f"Bearer {token('viewer', 'viewer')}"
    return client


def store(backend, value):
    start = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    backend.diagnoses[("etl", RUN, TASK, -1)] = StoredDiagnosis(
        tries=(TryRecord(try_number=1, state="failed", start_date=start),), value=value
    )


def get(viewer, output):
    path, extra = OUTPUTS[output]
    resp = viewer.get(
        path, params={"dag_id": "etl", "run_id": RUN, "task_id": TASK, "try_number": "1", **extra}
    )
    assert resp.status_code == 200, resp.text
    return resp.text


@pytest.mark.parametrize("output", sorted(OUTPUTS))
@pytest.mark.parametrize("log", LEAKY_LOGS, ids=lambda log: log.kind)
def test_no_credential_reaches_the_page_or_the_api(viewer, backend, log, output):
    store(backend, unredacted_diagnosis(log, source=SOURCE))
    text = get(viewer, output)
    for secret in log.secrets:
        assert secret not in text
    assert "***" in text


def test_a_credential_in_the_source_does_not_reach_the_console_link(viewer, backend):
    value = unredacted_diagnosis(LEAKY_LOGS[0], source=f"s3://acme-logs/{ACCESS_KEY_ID}/stderr.gz")
    store(backend, value)
    for output in OUTPUTS:
        assert ACCESS_KEY_ID not in get(viewer, output)
