"""The EMR page in a real browser against a running stack, and the reaper against the same stack.

Headless Chromium (Debian's ``chromium`` + ``chromium-driver``) driven by selenium: log in through
Airflow's login form, open the EMR page from Airflow's nav (it is framed at ``/plugin/emr``), find the
demo DAG run's cluster with its estimated cost, follow the run link into Airflow's grid. Screenshots
land in ``test-artifacts/``.

Runs against the session ``stack`` fixture, or an already running stack when ``EMR_DAGS_API_URL``,
``EMR_DAGS_EMULATOR_URL`` and ``EMR_DAGS_ADMIN_PASSWORD`` are set.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from emr_dags import tags

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DEMO_DAG = "emr_transient_pipeline"
DEPLOYMENT = "emr-dags-local"  # docker-compose.yaml's AIRFLOW__EMR_DAGS__DEPLOYMENT_ID default
CHROMIUM = os.environ.get("EMR_DAGS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("EMR_DAGS_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1500,1000",
]


@dataclass
class Target:
    api_url: str
    emulator_url: str
    password: str

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.emulator_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture(scope="module")
def target(request: pytest.FixtureRequest) -> Target:
    if os.environ.get("EMR_DAGS_API_URL"):
        return Target(
            os.environ["EMR_DAGS_API_URL"].rstrip("/"),
            os.environ["EMR_DAGS_EMULATOR_URL"].rstrip("/"),
            os.environ["EMR_DAGS_ADMIN_PASSWORD"],
        )
    stack = request.getfixturevalue("stack")
    return Target(stack.api_url, stack.emulator_url, stack.stack.admin_password())


@pytest.fixture(scope="module")
def finished_demo_run(target: Target) -> str:
    """A successful run of the demo DAG (its cluster is terminated by the DAG's teardown)."""
    from emr_dags_devkit.stack.api import AirflowClient

    api = AirflowClient(target.api_url, "admin", target.password)
    api.wait_for_dags([DEMO_DAG], timeout=180)
    api.unpause(DEMO_DAG)
    # With a logical date, like a scheduled run: this test is about the EMR page, and the demo DAG's
    # templates may use logical-date macros (undefined for manual runs without one).
    from datetime import UTC, datetime

    run_id = f"browser_{int(time.time())}"
    api.trigger(DEMO_DAG, run_id=run_id, logical_date=datetime.now(UTC).isoformat())
    final = api.wait_for_run(DEMO_DAG, run_id, timeout=600)
    assert final["state"] == "success", final
    return str(run_id)


def _leak_cluster(target: Target, run_id: str, *, tagged: bool) -> str:
    """A WAITING cluster as a teardown that never ran would leave behind (or, untagged, someone else's)."""
    resource_tags = (
        tags.ownership_tags(DEMO_DAG, run_id, "create_cluster", deployment=DEPLOYMENT)
        if tagged
        else {"team": "not-emr-dags", tags.DAG_ID: DEMO_DAG, tags.RUN_ID: run_id}
    )
    resp = target.client("emr").run_job_flow(
        Name="leaked" if tagged else "foreign",
        ReleaseLabel="emr-7.5.0",
        Instances={
            "MasterInstanceType": "m5.xlarge",
            "SlaveInstanceType": "m5.xlarge",
            "InstanceCount": 2,
            "KeepJobFlowAliveWhenNoSteps": True,
        },
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
        Tags=[{"Key": k, "Value": v} for k, v in resource_tags.items()],
    )
    return str(resp["JobFlowId"])


@pytest.fixture(scope="module")
def browser() -> Any:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        missing = "needs Debian's chromium and chromium-driver (`make test` installs them; or apt-get install -y chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(missing)  # in CI the browser test must run, never silently skip
        pytest.skip(missing)
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="emr-dags-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait(predicate: Any, timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:  # element not there yet, stale frame, ...
            value = None
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _shot(driver: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path


def test_emr_page_in_the_airflow_ui_shows_the_demo_cluster_with_cost_and_links_to_the_grid(
    target: Target, finished_demo_run: str, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    run_id = finished_demo_run
    leaked = _leak_cluster(target, run_id, tagged=True)

    # Log in through Airflow's own login form.
    browser.get(f"{target.api_url}/")
    _wait(lambda: browser.find_element(By.NAME, "username"), what="the login form")
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys(target.password)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(lambda: "/auth/login" not in browser.current_url, what="login to complete")

    # The page as Airflow's UI shows it: framed under /plugin/emr.
    browser.get(f"{target.api_url}/plugin/emr")
    frame = _wait(
        lambda: browser.find_element(By.CSS_SELECTOR, "iframe[src*='emr-dags']"), what="the EMR iframe"
    )
    browser.switch_to.frame(frame)
    row = _wait(
        lambda: [
            r
            for r in browser.find_elements(By.CSS_SELECTOR, "#resources tr[data-resource-id]")
            if run_id in r.text and r.get_attribute("data-resource-id") != leaked
        ],
        what="the demo run's cluster row",
    )[0]
    cost = row.find_element(By.CSS_SELECTOR, "td.cost").text
    assert cost.startswith("~$"), cost
    assert "est." in cost
    assert "estimates" in browser.find_element(By.CSS_SELECTOR, "p.sub").text
    browser.switch_to.default_content()
    _shot(browser, "emr-page.png")

    # Orphans: the leaked cluster of the finished run is listed with the reason.
    browser.get(f"{target.api_url}/emr-dags/?view=orphans")
    orphan_rows = _wait(
        lambda: browser.find_elements(By.CSS_SELECTOR, f"#orphans tr[data-resource-id='{leaked}']")
    )
    assert "DAG run ended (success)" in orphan_rows[0].text
    _shot(browser, "emr-page-orphans.png")

    # Follow the run link into Airflow's grid.
    browser.get(f"{target.api_url}/plugin/emr")
    browser.switch_to.frame(_wait(lambda: browser.find_element(By.CSS_SELECTOR, "iframe[src*='emr-dags']")))
    link = _wait(
        lambda: [
            a for a in browser.find_elements(By.CSS_SELECTOR, "#resources td.run a") if a.text == run_id
        ],
        what="the run link",
    )[0]
    link.click()  # target=_top: leaves the frame
    browser.switch_to.default_content()
    _wait(lambda: f"/dags/{DEMO_DAG}/runs/" in browser.current_url, what="the grid URL")
    time.sleep(2)  # let the grid render for the screenshot
    _shot(browser, "emr-page-grid.png")
    assert run_id.split("+")[0] in browser.current_url.replace("%3A", ":").replace("%2B", "+")


def test_reap_cli_against_the_stack_stops_only_tagged_orphans(target: Target, finished_demo_run: str) -> None:
    run_id = finished_demo_run
    orphan = _leak_cluster(target, run_id, tagged=True)
    foreign = _leak_cluster(target, run_id, tagged=False)
    env = dict(
        os.environ,
        EMR_DAGS_AIRFLOW_USER="admin",
        EMR_DAGS_AIRFLOW_PASSWORD=target.password,
        AIRFLOW__EMR_DAGS__DEPLOYMENT_ID=DEPLOYMENT,  # the stack's (docker-compose.yaml)
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )
    base = [sys.executable, "-m", "emr_dags.cli", "reap", "--json", "--endpoint-url", target.emulator_url]
    base += ["--region", "us-east-1", "--airflow-url", target.api_url]

    dry = subprocess.run(base, env=env, capture_output=True, text=True, timeout=180, check=True)
    planned = {r["id"]: r["outcome"] for r in json.loads(dry.stdout)["results"]}
    assert planned.get(orphan) == "planned"
    assert foreign not in planned
    emr = target.client("emr")
    assert emr.describe_cluster(ClusterId=orphan)["Cluster"]["Status"]["State"] not in (
        "TERMINATING",
        "TERMINATED",
    )

    done = subprocess.run([*base, "--yes"], env=env, capture_output=True, text=True, timeout=180, check=True)
    outcomes = {r["id"]: r["outcome"] for r in json.loads(done.stdout)["results"]}
    assert outcomes.get(orphan) == "done"
    assert foreign not in outcomes
    assert emr.describe_cluster(ClusterId=orphan)["Cluster"]["Status"]["State"] in (
        "TERMINATING",
        "TERMINATED",
    )
    assert emr.describe_cluster(ClusterId=foreign)["Cluster"]["Status"]["State"] not in (
        "TERMINATING",
        "TERMINATED",
    )


def test_reaper_dag_stops_the_orphan_through_the_task_sdk(target: Target) -> None:
    """The maintenance DAG asks DAG-run states through the Task SDK and logs/returns what it did.

    Independent of the demo DAG: a first (dry) run of the reaper itself is the finished run the
    leaked cluster claims to belong to.
    """
    from emr_dags_devkit.stack.api import AirflowClient

    api = AirflowClient(target.api_url, "admin", target.password)
    api.wait_for_dags(["emr_dags_reaper"], timeout=180)
    api.unpause("emr_dags_reaper")
    first = api.trigger("emr_dags_reaper")["dag_run_id"]
    assert api.wait_for_run("emr_dags_reaper", first, timeout=300)["state"] == "success"

    emr = target.client("emr")
    orphan_tags = tags.ownership_tags("emr_dags_reaper", first, "x", deployment=DEPLOYMENT)
    orphan = emr.run_job_flow(
        Name="leaked-by-reaper-run",
        ReleaseLabel="emr-7.5.0",
        Instances={
            "MasterInstanceType": "m5.xlarge",
            "InstanceCount": 1,
            "KeepJobFlowAliveWhenNoSteps": True,
        },
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
        Tags=[{"Key": k, "Value": v} for k, v in orphan_tags.items()],
    )["JobFlowId"]
    foreign = emr.run_job_flow(
        Name="foreign",
        ReleaseLabel="emr-7.5.0",
        Instances={
            "MasterInstanceType": "m5.xlarge",
            "InstanceCount": 1,
            "KeepJobFlowAliveWhenNoSteps": True,
        },
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
        Tags=[{"Key": tags.DAG_ID, "Value": "emr_dags_reaper"}, {"Key": tags.RUN_ID, "Value": first}],
    )["JobFlowId"]

    second = api.trigger("emr_dags_reaper", conf={"dry_run": False})["dag_run_id"]
    assert api.wait_for_run("emr_dags_reaper", second, timeout=300)["state"] == "success"

    assert emr.describe_cluster(ClusterId=orphan)["Cluster"]["Status"]["State"] in (
        "TERMINATING",
        "TERMINATED",
    )
    assert emr.describe_cluster(ClusterId=foreign)["Cluster"]["Status"]["State"] not in (
        "TERMINATING",
        "TERMINATED",
    )
    xcom = api.get(
        f"/api/v2/dags/emr_dags_reaper/dagRuns/{second}/taskInstances/reap/xcomEntries/return_value"
    )
    value = xcom["value"]
    report = json.loads(value) if isinstance(value, str) else value
    assert report["dry_run"] is False
    assert {r["id"]: r["outcome"] for r in report["results"]}.get(orphan) == "done"
