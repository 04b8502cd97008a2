"""Where the EMR page gets its data: AWS (through Airflow's AWS connection), the metadata DB, prices.

Diagnoses of failed tries come from the metadata DB only (the ``diagnosis`` XCom the operators push,
and the task's tries), never from AWS.

The FastAPI app only sees the :class:`Backend` protocol, so tests hand it a fake and the real one can
be swapped for one that talks to the emulator. Settings (all optional, section ``[emr_dags]``):

- ``aws_conn_id`` (default ``aws_default``), ``region`` (default: the connection's region),
- ``ui_cache_seconds`` (default 20): listing AWS on every page view would be slow and throttled,
- ``ui_allow_terminate`` (default False): the page is read-only unless this is set,
- ``deployment_id`` (default: derived from the metadata DB URL, see :func:`emr_dags.tags.deployment_id`).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from emr_dags.aws.clients import AwsClients
    from emr_dags.cost.prices import PriceTable
    from emr_dags.ops.inventory import Inventory, ManagedResource
    from emr_dags.ops.reaper import Result
    from emr_dags.ops.run_state import RunStateSource
    from emr_dags.ui.views import StoredDiagnosis


class Backend(Protocol):
    allow_terminate: bool
    deployment_id: str  # only this deployment's resources (emr-dags:deployment tag) may be terminated

    def prices(self) -> PriceTable: ...

    def inventory(self, days: int) -> Inventory: ...

    def run_states(self) -> RunStateSource: ...

    def terminate(self, resource: ManagedResource, reason: str) -> Result: ...

    def diagnosis(self, dag_id: str, run_id: str, task_id: str, map_index: int) -> StoredDiagnosis | None:
        """The task instance's tries and its ``diagnosis`` XCom; None when Airflow has no such task instance."""
        ...


def _conf(key: str, fallback: str | None = None) -> str | None:
    try:
        from airflow.configuration import conf
    except ImportError:  # pragma: no cover - the page only runs inside Airflow
        return fallback
    value = conf.get("emr_dags", key, fallback=fallback)
    return value if value not in (None, "") else fallback


class AirflowBackend:
    """The real thing, running inside Airflow's api-server."""

    def __init__(self) -> None:
        self.aws_conn_id = _conf("aws_conn_id", "aws_default") or "aws_default"
        self.region = _conf("region")
        self.cache_seconds = float(_conf("ui_cache_seconds", "20") or 20)
        self.allow_terminate = (_conf("ui_allow_terminate", "False") or "").lower() in ("true", "1", "yes")
        from emr_dags.tags import deployment_id

        self.deployment_id = deployment_id()
        self._lock = threading.Lock()
        self._cache: dict[int, tuple[float, Inventory]] = {}
        self._table: PriceTable | None = None

    def _clients(self) -> AwsClients:
        from emr_dags.aws.clients import AwsClients, AwsTarget

        return AwsClients(AwsTarget(aws_conn_id=self.aws_conn_id, region_name=self.region))

    def prices(self) -> PriceTable:
        if self._table is None:
            from emr_dags.cost.prices import load_price_table

            self._table = load_price_table()
        return self._table

    def inventory(self, days: int) -> Inventory:
        from emr_dags.ops.inventory import collect

        with self._lock:
            hit = self._cache.get(days)
            if hit and time.monotonic() - hit[0] < self.cache_seconds:
                return hit[1]
        inv = collect(self._clients(), table=self.prices(), days=days, now=datetime.now(UTC))
        with self._lock:
            self._cache[days] = (time.monotonic(), inv)
        return inv

    def run_states(self) -> RunStateSource:
        from emr_dags.ops.run_state import CachedRunStates, MetadataDbRunStates

        return CachedRunStates(MetadataDbRunStates())

    def terminate(self, resource: ManagedResource, reason: str) -> Result:
        from emr_dags.ops.reaper import Action, Decision, act_on

        result = act_on(
            self._clients(),
            Decision(resource=resource, action=Action.REAP, reason=reason),
            deployment=self.deployment_id,
        )
        with self._lock:
            self._cache.clear()
        return result

    def diagnosis(self, dag_id: str, run_id: str, task_id: str, map_index: int) -> StoredDiagnosis | None:
        return read_stored_diagnosis(dag_id, run_id, task_id, map_index)


def _xcom_value(raw: object) -> object:
    """An XCom value as the metadata DB holds it: JSON text or already decoded (like Airflow's own
    REST API reads it; a custom XCom backend's reference stays a reference)."""
    if isinstance(raw, str | bytes):
        import json

        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def read_stored_diagnosis(dag_id: str, run_id: str, task_id: str, map_index: int) -> StoredDiagnosis | None:
    """Read one task instance's tries and ``diagnosis`` XCom from the metadata DB (api-server side)."""
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.models.taskinstancehistory import TaskInstanceHistory as TIH
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from emr_dags.links.diagnosis import DIAGNOSIS_KEY
    from emr_dags.links.eks import EKS_KEY
    from emr_dags.links.emr import CLUSTER_KEY, STEP_KEY
    from emr_dags.links.serverless import SERVERLESS_KEY
    from emr_dags.ops.run_state import normalize
    from emr_dags.ui.views import StoredDiagnosis, TryRecord

    payload_keys = (STEP_KEY, SERVERLESS_KEY, EKS_KEY, CLUSTER_KEY)
    with create_session() as session:
        live = session.execute(
            select(TI.try_number, TI.state, TI.start_date).where(
                TI.dag_id == dag_id, TI.run_id == run_id, TI.task_id == task_id, TI.map_index == map_index
            )
        ).first()
        if live is None:
            return None
        history = session.execute(
            select(TIH.try_number, TIH.state, TIH.start_date).where(
                TIH.dag_id == dag_id, TIH.run_id == run_id, TIH.task_id == task_id, TIH.map_index == map_index
            )
        ).all()
        xcoms = session.execute(
            select(XComModel.key, XComModel.value, XComModel.timestamp).where(
                XComModel.dag_id == dag_id,
                XComModel.run_id == run_id,
                XComModel.task_id == task_id,
                XComModel.map_index == map_index,
                XComModel.key.in_((DIAGNOSIS_KEY, *payload_keys)),
            )
        ).all()
    tries = {
        h.try_number: TryRecord(try_number=h.try_number, state=normalize(h.state), start_date=h.start_date)
        for h in history
    }
    # The live row repeats the last history row while the task waits for its retry.
    tries.setdefault(
        live.try_number,
        TryRecord(try_number=live.try_number, state=normalize(live.state), start_date=live.start_date),
    )
    by_key = {x.key: x for x in xcoms}
    region = domain = None
    for key in payload_keys:
        payload = _xcom_value(by_key[key].value) if key in by_key else None
        if isinstance(payload, dict):
            region, domain = payload.get("region_name"), payload.get("aws_domain")
            break
    found = by_key.get(DIAGNOSIS_KEY)
    return StoredDiagnosis(
        tries=tuple(sorted(tries.values(), key=lambda t: t.try_number)),
        value=_xcom_value(found.value) if found is not None else None,
        pushed_at=found.timestamp if found is not None else None,
        region_name=region,
        aws_domain=domain,
    )
