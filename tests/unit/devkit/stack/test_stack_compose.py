"""docker-compose.yaml is the stack's single source of topology: check it, and check its translation."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from emr_dags_devkit.stack.compose import (
    DOCKER_ONLY_ENV,
    ComposeError,
    Translation,
    interpolate,
    load_compose,
    translate,
)

REPO = Path(__file__).resolve().parents[4]
COMPOSE = REPO / "docker-compose.yaml"
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}
WORKERS = {"airflow-worker-1", "airflow-worker-2"}
DOCKER_ONLY = {"redis", *WORKERS}


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose(COMPOSE, {})


def _where(tmp: Path = Path("/state/airflow")) -> Translation:
    return Translation(
        repo_root=REPO, airflow_home=tmp, airflow_bin=Path("/venv/bin/airflow"), python="/venv/bin/python"
    )


def test_interpolate_defaults_values_and_escapes():
    assert interpolate("${A:-x}-${B}-$${HOSTNAME}", {"B": "b"}) == "x-b-${HOSTNAME}"
    assert interpolate("${A:-x}", {"A": "set"}) == "set"
    assert interpolate("${A:-x}", {"A": ""}) == "x"


def test_compose_uses_the_emr_dags_images_built_on_the_official_one_of_the_installed_airflow(compose):
    tag = version("emr-dags")
    for name in (*AIRFLOW_SERVICES, *WORKERS, "airflow-init"):
        assert compose["services"][name]["image"] == f"emr-dags-airflow:{tag}"
    assert compose["services"]["emulator"]["image"] == f"emr-dags-emulator:{tag}"
    dockerfile = (REPO / "docker" / "airflow" / "Dockerfile").read_text()
    assert f"ARG AIRFLOW_BASE=apache/airflow:{version('apache-airflow')}-python3.11" in dockerfile
    assert "_PIP_ADDITIONAL_REQUIREMENTS" not in COMPOSE.read_text()


def test_every_image_name_comes_from_a_variable():
    compose = load_compose(
        COMPOSE,
        {
            "AIRFLOW_IMAGE_NAME": "a:1",
            "EMR_DAGS_EMULATOR_IMAGE": "e:1",
            "POSTGRES_IMAGE": "p:1",
            "REDIS_IMAGE": "r:1",
        },
    )
    images = {name: spec["image"] for name, spec in compose["services"].items()}
    assert set(images.values()) == {"a:1", "e:1", "p:1", "r:1"}


def test_compose_declares_every_component_with_a_healthcheck(compose):
    services = compose["services"]
    assert {"postgres", "emulator", "airflow-init", *AIRFLOW_SERVICES, *DOCKER_ONLY} <= set(services)
    for name in ("postgres", "emulator", *AIRFLOW_SERVICES, *DOCKER_ONLY):
        assert services[name].get("healthcheck", {}).get("test"), name
        assert services[name]["healthcheck"].get("start_period"), name


def test_compose_runs_celery_with_redis_and_two_workers(compose):
    services = compose["services"]
    for name in (*AIRFLOW_SERVICES, *WORKERS, "airflow-init"):
        assert services[name]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert services[name]["environment"]["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")
    for name in WORKERS:
        assert services[name]["command"] == ["celery", "worker"]
        assert services[name]["hostname"] == name  # the api-server fetches task logs by this name


def test_published_ports_are_bound_to_loopback(compose):
    published = [p for spec in compose["services"].values() for p in spec.get("ports", [])]
    assert published
    assert all(str(p).startswith("127.0.0.1:") for p in published), published


def test_the_jwt_secret_and_admin_password_are_generated_at_init_not_shipped(compose):
    env = compose["services"]["airflow-scheduler"]["environment"]
    assert "AIRFLOW__API_AUTH__JWT_SECRET" not in env
    assert env["AIRFLOW__API_AUTH__JWT_SECRET_CMD"] == "cat /opt/airflow/secrets/jwt_secret"
    init = compose["services"]["airflow-init"]
    script = init["command"][-1]
    assert "secrets.token_urlsafe" in script
    assert "/opt/airflow/secrets/jwt_secret" in script
    assert "airflow db migrate" in script
    assert "chown -R" in script
    for name in (*AIRFLOW_SERVICES, *WORKERS, "airflow-init"):
        assert "airflow-secrets:/opt/airflow/secrets" in compose["services"][name]["volumes"], name


def test_compose_mounts_dags_and_plugins_into_every_airflow_service(compose):
    for name in AIRFLOW_SERVICES:
        volumes = compose["services"][name]["volumes"]
        assert "./dags:/opt/airflow/dags" in volumes
        assert "./plugins:/opt/airflow/plugins" in volumes
        assert compose["services"][name]["environment"]["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/airflow/dags"


def test_every_service_but_the_docker_only_ones_translates_to_a_native_process(compose):
    natives = {svc.name: svc for svc in translate(compose, _where(), with_postgres=False)}
    assert set(natives) == {"emulator", "airflow-init", *AIRFLOW_SERVICES}
    assert not DOCKER_ONLY & set(natives)
    assert natives["airflow-init"].one_shot
    # airflow-init's Docker script (folders, chown, secrets) is replaced by its labelled command.
    assert natives["airflow-init"].argv == ("/venv/bin/airflow", "db", "migrate")
    assert natives["airflow-scheduler"].argv == ("/venv/bin/airflow", "scheduler")
    assert natives["emulator"].argv[:3] == ("/venv/bin/python", "-m", "emr_dags_devkit.emulator")
    assert "0.0.0.0" not in natives["emulator"].argv  # bound to loopback natively


def test_native_start_order_puts_init_and_emulator_before_airflow(compose):
    order = [svc.name for svc in translate(compose, _where(), with_postgres=False)]
    for name in AIRFLOW_SERVICES:
        assert order.index("airflow-init") < order.index(name)
        assert order.index("emulator") < order.index(name)


def test_native_environment_matches_compose_with_hosts_and_paths_mapped(compose):
    natives = {svc.name: svc for svc in translate(compose, _where(Path("/state/af")), with_postgres=False)}
    env = natives["airflow-scheduler"].env
    docker_env = compose["services"]["airflow-scheduler"]["environment"]
    # Same settings as Docker users get, except what the mapping must change.
    for key, value in docker_env.items():
        if key.startswith("AIRFLOW__CELERY__") or key in DOCKER_ONLY_ENV:
            assert key not in env
        elif key == "AIRFLOW__CORE__EXECUTOR":
            assert env[key] == "LocalExecutor"
        elif any(
            m in value
            for m in ("emulator", "airflow-apiserver", "/opt/airflow", "postgres", "localhost", "0.0.0.0")
        ):
            assert env[key] != value
        else:
            assert env[key] == value, key
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(REPO / "dags")
    assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == str(REPO / "plugins")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == "sqlite:////state/af/airflow.db?timeout=30"
    assert '"endpoint_url": "http://127.0.0.1:5055"' in env["AIRFLOW_CONN_AWS_DEFAULT"]
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8080/execution/"
    assert env["AIRFLOW__API_AUTH__JWT_SECRET_CMD"] == "cat /state/af/secrets/jwt_secret"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] == (
        "/state/af/secrets/simple_auth_manager_passwords.json"
    )


def test_every_native_service_runs_the_local_executor(compose):
    for svc in translate(compose, _where(), with_postgres=False):
        if "AIRFLOW__CORE__EXECUTOR" in svc.env or svc.name.startswith("airflow"):
            assert svc.env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", svc.name
        assert not any(k.startswith("AIRFLOW__CELERY__") for k in svc.env), svc.name


def _translate_edited(tmp_path: Path, edit) -> dict:
    doc = yaml.safe_load(COMPOSE.read_text())
    edit(doc["services"])
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(doc))
    return {svc.name: svc for svc in translate(load_compose(path, {}), _where(), with_postgres=False)}


def test_a_celery_service_is_docker_only_even_without_the_label(tmp_path):
    def add_flower(services):
        services["flower"] = {"image": "x", "command": ["celery", "flower"], "ports": ["127.0.0.1:5555:5555"]}
        for name in WORKERS:
            services[name].pop("labels", None)

    natives = _translate_edited(tmp_path, add_flower)
    assert not {"flower", *WORKERS} & set(natives)


def test_a_service_labelled_native_skip_is_not_run(tmp_path):
    def label(services):
        services["emulator"]["labels"] = ["dev.emr-dags.native=skip"]

    assert "emulator" not in _translate_edited(tmp_path, label)


def test_published_ports_on_loopback_translate_to_their_host_port(compose):
    natives = {svc.name: svc for svc in translate(compose, _where(), with_postgres=False)}
    assert natives["airflow-apiserver"].ports == (8080,)
    assert natives["emulator"].ports == (5055,)


def test_postgres_mode_keeps_the_compose_database_url_on_loopback(compose):
    natives = {svc.name: svc for svc in translate(compose, _where(), with_postgres=True)}
    url = natives["airflow-scheduler"].env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert url == "postgresql+psycopg2://airflow:airflow@127.0.0.1:5432/airflow"
    assert natives["airflow-init"].depends_on == {"postgres": "service_healthy"}


def test_ports_follow_the_variables(tmp_path):
    compose = load_compose(COMPOSE, {"EMR_DAGS_API_PORT": "9191", "EMR_DAGS_EMULATOR_PORT": "6066"})
    natives = {svc.name: svc for svc in translate(compose, _where(), with_postgres=False)}
    assert natives["airflow-apiserver"].healthcheck.target == "http://127.0.0.1:9191/api/v2/monitor/health"
    assert natives["emulator"].healthcheck.target == "http://127.0.0.1:6066/emr-dags/health"
    assert "http://127.0.0.1:6066" in natives["airflow-triggerer"].env["AIRFLOW_CONN_AWS_DEFAULT"]
    assert natives["airflow-triggerer"].healthcheck.target == "triggerer"


def test_a_healthcheck_without_native_equivalent_is_refused(tmp_path):
    doc = yaml.safe_load(COMPOSE.read_text())
    doc["services"]["airflow-triggerer"]["healthcheck"]["test"] = ["CMD", "nc", "-z", "localhost", "1"]
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ComposeError, match="airflow-triggerer: healthcheck"):
        translate(load_compose(path, {}), _where(), with_postgres=False)


def test_a_missing_compose_file_names_the_fix(tmp_path):
    with pytest.raises(ComposeError, match="--compose-file"):
        load_compose(tmp_path / "nope.yaml", {})


@pytest.mark.parametrize(("time_scale", "factor"), [(1.0, "60"), (0.5, "120"), (2.0, "30")])
def test_the_stack_makes_emulator_idle_timeouts_count_real_time(tmp_path, time_scale, factor):
    from emr_dags_devkit.stack.runner import StackConfig

    config = StackConfig(
        repo_root=str(REPO), state_dir=str(tmp_path), compose_file=str(COMPOSE), time_scale=time_scale
    )
    compose = load_compose(COMPOSE, config.variables())
    argv = {svc.name: svc for svc in translate(compose, _where(), with_postgres=False)}["emulator"].argv
    assert argv[argv.index("--time-scale") + 1] == str(time_scale)
    assert argv[argv.index("--idle-timeout-factor") + 1] == factor


@pytest.mark.parametrize("local_exec", [False, True])
def test_local_execution_is_off_unless_the_stack_asks_for_it(tmp_path, local_exec):
    from emr_dags_devkit.stack.runner import StackConfig

    config = StackConfig(
        repo_root=str(REPO), state_dir=str(tmp_path), compose_file=str(COMPOSE), local_exec=local_exec
    )
    emulator = {
        svc.name: svc
        for svc in translate(load_compose(COMPOSE, config.variables()), _where(), with_postgres=False)
    }["emulator"]
    assert "--local-exec" not in emulator.argv
    assert emulator.env["EMR_DAGS_LOCAL_EXEC"] == ("true" if local_exec else "false")
    docker = load_compose(COMPOSE, {})["services"]["emulator"]
    assert docker["environment"]["EMR_DAGS_LOCAL_EXEC"] == "false"  # `docker compose up` too


def test_the_stack_hands_the_emulator_its_admin_token_and_token_file(tmp_path):
    from emr_dags_devkit.stack.runner import StackConfig

    config = StackConfig(repo_root=str(REPO), state_dir=str(tmp_path), compose_file=str(COMPOSE))
    emulator = {
        svc.name: svc
        for svc in translate(load_compose(COMPOSE, config.variables()), _where(), with_postgres=False)
    }["emulator"]
    token_file = tmp_path / "emulator_token"
    assert emulator.env["EMR_DAGS_EMULATOR_TOKEN"] == token_file.read_text() == config.emulator_token()
    assert emulator.env["EMR_DAGS_EMULATOR_TOKEN_FILE"] == str(token_file)
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert config.emulator_admin().token == config.emulator_token()
    assert not any(config.emulator_token() in arg for arg in emulator.argv)  # not visible in `ps`


def test_up_leaves_local_execution_off_and_demo_turns_it_on():
    import argparse

    from emr_dags_devkit.stack.commands import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    assert parser.parse_args(["up"]).local_exec is False
    assert parser.parse_args(["up", "--local-exec"]).local_exec is True
    assert parser.parse_args(["demo"]).local_exec is True
    assert parser.parse_args(["demo", "--no-local-exec"]).local_exec is False


def test_the_docker_heartbeat_timeout_is_not_applied_to_the_native_sqlite_stack(tmp_path):
    from emr_dags_devkit.stack.runner import Stack, StackConfig

    config = StackConfig(repo_root=str(REPO), state_dir=str(tmp_path), compose_file=str(COMPOSE))
    assert "TASK_INSTANCE_HEARTBEAT_TIMEOUT" in COMPOSE.read_text()  # Docker still sets it
    for service in Stack(config).services():
        assert "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT" not in service.env, service.name
