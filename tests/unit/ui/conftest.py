"""The EMR page under a real Airflow auth manager (SimpleAuthManager with per-DAG rules) and a fake backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emr_dags import tags
from emr_dags.cost.model import InstanceGroupUsage, estimate_emr_on_ec2
from emr_dags.cost.prices import load_price_table
from emr_dags.ops.inventory import Inventory, Kind, ManagedResource
from emr_dags.ops.reaper import Outcome, Result
from emr_dags.ops.run_state import MappingRunStates

TABLE = load_price_table(use_airflow_conf=False)
NOW = datetime.now(UTC)


def resource(rid, dag_id, run_id, *, state="WAITING", active=True, kind=Kind.CLUSTER, hours=2.0):
    return ManagedResource(
        kind=kind,
        id=rid,
        name=f"{dag_id}-cluster",
        state=state,
        active=active,
        region="us-east-1",
        tags=tags.ownership_tags(dag_id, run_id, "emr.create_cluster"),
        created_at=NOW - timedelta(hours=hours),
        log_uri="s3://logs/emr/",
        cost=estimate_emr_on_ec2(
            TABLE,
            region="us-east-1",
            groups=[InstanceGroupUsage(instance_type="m5.xlarge", count=3)],
            runtime_hours=hours,
        ),
    )


class FakeBackend:
    def __init__(self, allow_terminate=False):
        self.allow_terminate = allow_terminate
        self.terminated = []
        self.resources = [
            resource("j-ETLDONE", "etl", "manual__done"),  # orphan: run finished
            resource("j-ETLLIVE", "etl", "manual__live"),
            resource("j-ETLOLD", "etl", "manual__done", state="TERMINATED", active=False),
            resource("j-SECRET", "secret_dag", "manual__s1"),  # orphan, but alice may not see it
        ]

    def prices(self):
        return TABLE

    def inventory(self, days):
        return Inventory(resources=tuple(self.resources))

    def run_states(self):
        return MappingRunStates(
            {
                ("etl", "manual__done"): "success",
                ("etl", "manual__live"): "running",
                ("secret_dag", "manual__s1"): "failed",
            }
        )

    def terminate(self, resource, reason):
        from emr_dags.ops.reaper import Action, Decision

        self.terminated.append((resource.id, reason))
        return Result(
            decision=Decision(resource=resource, action=Action.REAP, reason=reason), outcome=Outcome.DONE
        )


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
