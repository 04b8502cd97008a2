"""The EMR page under a real Airflow auth manager (SimpleAuthManager with per-DAG rules) and a fake backend."""

from __future__ import annotations

import pytest
from ui_fakes import FakeBackend

# username -> DAG ids readable; users not listed follow their SimpleAuthManager role.
DAG_ACL = {"alice": {"etl"}, "mallory": set()}


@pytest.fixture
def auth_manager(monkeypatch):
    monkeypatch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "emr-dags-ui-test-secret-" + "0123456789abcdef" * 4)
    from airflow.api_fastapi.app import _AuthManagerState
    from airflow.api_fastapi.auth.managers import base_auth_manager
    from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

    class PerDagAuthManager(SimpleAuthManager):
        def is_authorized_dag(self, *, method, user, access_entity=None, details=None):
            if user.username in DAG_ACL:
                return method == "GET" and details is not None and details.id in DAG_ACL[user.username]
            return super().is_authorized_dag(
                method=method, user=user, access_entity=access_entity, details=details
            )

    # Unit tests have no metadata DB; token revocation is Airflow's own check and stays Airflow's
    # (see test_revoked_token_is_rejected, which flips it).
    monkeypatch.setattr(base_auth_manager.RevokedToken, "is_revoked", classmethod(lambda cls, jti: False))
    am = PerDagAuthManager()
    monkeypatch.setattr(_AuthManagerState, "instance", am)
    return am


@pytest.fixture
def token(auth_manager):
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    def make(username, role):
        return auth_manager.generate_jwt(SimpleAuthManagerUser(username=username, role=role))

    return make


@pytest.fixture
def backend():
    return FakeBackend()


@pytest.fixture
def client(auth_manager, backend):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from emr_dags.ui.app import create_app

    root = FastAPI()
    root.mount("/emr-dags", create_app(backend=backend))
    return TestClient(root)
