"""`emr-dags up --docker`: what it decides without a Docker engine (tests/docker drives the engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from emr_dags_devkit.stack import docker
from emr_dags_devkit.stack.compose import load_compose

REPO = Path(__file__).resolve().parents[4]


def _stack(tmp_path: Path, **kwargs) -> docker.DockerStack:
    return docker.DockerStack(repo_root=REPO, state_dir=tmp_path, echo=lambda _m: None, **kwargs)


def test_the_compose_variables_name_every_image_and_the_project_folder(tmp_path):
    variables = _stack(tmp_path, api_port=9191).variables()
    compose = load_compose(REPO / "docker-compose.yaml", variables)
    images = {spec["image"] for spec in compose["services"].values()}
    assert images == {
        variables["AIRFLOW_IMAGE_NAME"],
        variables["EMR_DAGS_EMULATOR_IMAGE"],
        docker.LOCAL_POSTGRES_IMAGE,
        docker.LOCAL_REDIS_IMAGE,
    }
    assert f"{tmp_path}/docker/dags:/opt/airflow/dags" in compose["services"]["airflow-scheduler"]["volumes"]
    assert "127.0.0.1:9191:9191" in compose["services"]["airflow-apiserver"]["ports"]


def test_official_images_mode_uses_the_registry_images(tmp_path):
    images = _stack(tmp_path, local_base=False).images()
    assert images["POSTGRES_IMAGE"] == "postgres:16"
    assert images["REDIS_IMAGE"].startswith("redis:")


def test_root_runs_the_containers_as_the_official_airflow_uid(tmp_path, monkeypatch):
    monkeypatch.setattr(docker.os, "getuid", lambda: 0)
    assert _stack(tmp_path).variables()["AIRFLOW_UID"] == "50000"
    monkeypatch.setattr(docker.os, "getuid", lambda: 1234)
    assert _stack(tmp_path).variables()["AIRFLOW_UID"] == "1234"


def test_the_local_base_unpins_what_debian_python_cannot_install(tmp_path):
    local = docker._constraints(_stack(tmp_path))
    official = docker._constraints(_stack(tmp_path, local_base=False))
    assert "soupsieve==" in official
    assert "soupsieve==" not in local
    assert "apache-airflow==3.3.2" in local


@pytest.mark.parametrize(
    ("uid", "apt", "expected"),
    [
        (1000, True, "not root"),
        (0, False, "no apt-get"),
        (0, True, None),  # root with apt: it installs what is missing
    ],
)
def test_docker_cannot_run_only_where_it_cannot_be_installed(monkeypatch, uid, apt, expected):
    monkeypatch.setattr(docker, "missing_tools", lambda **_: ["docker.io", "docker-compose"])
    monkeypatch.setattr(docker, "_engine_running", lambda: False)
    monkeypatch.setattr(docker.os, "getuid", lambda: uid)
    real_which = docker.shutil.which
    monkeypatch.setattr(
        docker.shutil,
        "which",
        lambda name, **kw: (
            ("/usr/bin/apt-get" if apt else None) if name == "apt-get" else real_which(name, **kw)
        ),
    )
    reason = docker.why_docker_cannot_run()
    if expected is None:
        assert reason is None
    else:
        assert expected in reason
        assert "docker.io" in reason  # names what is missing


def test_a_non_root_user_without_docker_is_told_the_install_command(monkeypatch):
    monkeypatch.setattr(docker, "missing_tools", lambda **_: ["docker.io"])
    monkeypatch.setattr(docker.os, "getuid", lambda: 1000)
    with pytest.raises(docker.DockerStackError, match="sudo apt-get install -y docker.io"):
        docker.ensure_engine(lambda _m: None)
