from __future__ import annotations

import pytest


@pytest.fixture
def viewer(client, token):
    client.headers["Authorization"] = f"Bearer {token('viewer', 'viewer')}"
    return client


def test_page_links_each_resource_to_its_dag_run_grid_and_console(viewer):
    html = viewer.get("/emr-dags/").text
    assert 'href="/dags/etl/runs/manual__done"' in html
    assert 'target="_top"' in html  # the page is framed by Airflow's UI
    assert (
        "https://us-east-1.console.aws.amazon.com/emr/home?region=us-east-1#/clusterDetails/j-ETLDONE" in html
    )
    assert "s3.console.aws.amazon.com/s3/buckets/logs" in html


def test_every_cost_is_labelled_an_estimate_with_the_price_date(viewer, backend):
    html = viewer.get("/emr-dags/").text
    assert "estimates" in html
    assert backend.prices().as_of in html
    data = viewer.get("/emr-dags/api/resources").json()
    assert data["estimate"] is True
    assert all(r["cost"]["estimate"] and r["cost"]["price_date"] for r in data["resources"])
    # 3 x m5.xlarge for 2 h at packaged prices
    t = backend.prices()
    expected = 3 * 2 * (t.ec2["m5.xlarge"] + t.emr_uplift["m5.xlarge"])
    assert data["resources"][0]["cost"]["amount"] == pytest.approx(expected, rel=1e-3)


def test_filters_by_dag_and_state(viewer):
    ids = lambda **p: {r["id"] for r in viewer.get("/emr-dags/api/resources", params=p).json()["resources"]}  # noqa: E731
    assert ids(dag_id="etl", state="active") == {"j-ETLDONE", "j-ETLLIVE"}
    assert ids(state="ended") == {"j-ETLOLD"}
    assert ids(state="TERMINATED") == {"j-ETLOLD"}


def test_orphans_are_active_resources_of_finished_runs(viewer):
    data = viewer.get("/emr-dags/api/orphans").json()
    assert {o["id"]: o["reason"] for o in data["orphans"]} == {
        "j-ETLDONE": "DAG run ended (success)",
        "j-SECRET": "DAG run ended (failed)",
    }
    html = viewer.get("/emr-dags/?view=orphans").text
    assert "j-ETLDONE" in html
    assert "j-ETLLIVE" not in html


def test_cost_summary_per_dag(viewer):
    data = viewer.get("/emr-dags/api/costs", params={"days": 3}).json()
    by_dag = {d["dag_id"]: d for d in data["dags"]}
    assert by_dag["etl"]["resources"] == 3
    assert by_dag["etl"]["runs"] == 2
    assert data["days"] == 3
    assert "estimate" in by_dag["etl"]["label"]
    assert "Cost by DAG" in viewer.get("/emr-dags/?view=costs").text


def test_page_is_read_only_by_default(viewer):
    assert "/orphans/terminate" not in viewer.get("/emr-dags/?view=orphans").text
    resp = viewer.post(
        "/emr-dags/orphans/terminate", data={"kind": "emr-cluster", "id": "j-ETLDONE", "confirm": "j-ETLDONE"}
    )
    assert resp.status_code == 403


def test_values_from_aws_are_html_escaped(viewer, backend):
    from ui_fakes import resource

    backend.resources.append(resource("j-<script>x</script>", "etl", "manual__done"))
    html = viewer.get("/emr-dags/").text
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;" in html


def test_resource_without_task_tag_shows_no_task_link(viewer, backend):
    from ui_fakes import resource

    from emr_dags import tags

    r = resource("j-NOTASK", "etl", "manual__done")
    backend.resources = [
        type(r)(
            **{
                **{f: getattr(r, f) for f in r.__slots__},
                "tags": {k: v for k, v in r.tags.items() if k != tags.TASK_ID},
            }
        )
    ]
    html = viewer.get("/emr-dags/").text
    assert "/tasks/" not in html
    assert 'href="/dags/etl/runs/manual__done"' in html


def test_cost_summary_breaks_runs_down_by_task_group(viewer, backend):
    from ui_fakes import resource

    from emr_dags import tags

    extra = resource("j-GROUPED", "etl", "manual__done")
    retagged = {**extra.tags, tags.TASK_ID: "nightly.create_cluster"}
    backend.resources.append(
        type(extra)(**{**{f: getattr(extra, f) for f in extra.__slots__}, "tags": retagged})
    )
    data = viewer.get("/emr-dags/api/costs").json()
    (etl,) = [d for d in data["dags"] if d["dag_id"] == "etl"]
    (done,) = [r for r in etl["per_run"] if r["run_id"] == "manual__done"]
    groups = {g["task_group"]: g["amount"] for g in done["task_groups"]}
    assert set(groups) == {"emr", "nightly"}
    assert sum(groups.values()) == pytest.approx(done["amount"])
    assert "task group <code>nightly</code>" in viewer.get("/emr-dags/?view=costs").text
