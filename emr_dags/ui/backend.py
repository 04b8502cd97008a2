"""Where the EMR page gets its data: AWS (through Airflow's AWS connection), the metadata DB, prices.

The FastAPI app only sees the :class:`Backend` protocol, so tests hand it a fake and the real one can
be swapped for one that talks to the emulator. Settings (all optional, section ``[emr_dags]``):

- ``aws_conn_id`` (default ``aws_default``), ``region`` (default: the connection's region),
- ``ui_cache_seconds`` (default 20): listing AWS on every page view would be slow and throttled,
- ``ui_allow_terminate`` (default False): the page is read-only unless this is set.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from emr_dags.cost.prices import PriceTable
    from emr_dags.ops.clients import AwsClients
    from emr_dags.ops.inventory import Inventory, ManagedResource
    from emr_dags.ops.reaper import Result
    from emr_dags.ops.run_state import RunStateSource


class Backend(Protocol):
    allow_terminate: bool

    def prices(self) -> PriceTable: ...

    def inventory(self, days: int) -> Inventory: ...

    def run_states(self) -> RunStateSource: ...

    def terminate(self, resource: ManagedResource, reason: str) -> Result: ...


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
        self._lock = threading.Lock()
        self._cache: dict[int, tuple[float, Inventory]] = {}
        self._table: PriceTable | None = None

    def _clients(self) -> AwsClients:
        from emr_dags.ops.clients import AwsClients

        return AwsClients(aws_conn_id=self.aws_conn_id, region=self.region)

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

        result = act_on(self._clients(), Decision(resource=resource, action=Action.REAP, reason=reason))
        with self._lock:
            self._cache.clear()
        return result
