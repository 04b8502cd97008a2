"""A fake page backend and resource builder for the EMR page tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
        self.deployment_id = tags.deployment_id()
        self.terminated = []
        # (dag_id, run_id, task_id, map_index) -> emr_dags.ui.views.StoredDiagnosis
        self.diagnoses = {}
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

    def diagnosis(self, dag_id, run_id, task_id, map_index):
        return self.diagnoses.get((dag_id, run_id, task_id, map_index))
