"""The simulation engine: one lock, one simulated clock, and the per-service simulators.

Every AWS request runs under ``Engine.lock`` with the state advanced to "now" first, so a client
never sees a state that simulated time has already moved past. A background ticker advances state
between requests too (so logs land and clusters terminate even when nobody polls).
"""

from __future__ import annotations

import json
import math
import threading
from collections import deque
from typing import Any

from emr_dags_devkit.emulator.accounting import CallCounter
from emr_dags_devkit.emulator.clock import SimClock
from emr_dags_devkit.emulator.config import DEFAULT_TIME_SCALE, Timings
from emr_dags_devkit.emulator.errors import AwsError, Reply
from emr_dags_devkit.emulator.faults import FaultInjector
from emr_dags_devkit.emulator.rules import Rule, RuleSet


class Engine:
    def __init__(
        self,
        *,
        time_scale: float = DEFAULT_TIME_SCALE,
        rules: list[Rule] | None = None,
        local_exec: bool = False,
        timings: Timings | None = None,
        strict: bool = True,
    ) -> None:
        from emr_dags_devkit.emulator.eks import EksSim
        from emr_dags_devkit.emulator.emr_ec2 import EmrSim
        from emr_dags_devkit.emulator.local import LocalRunner
        from emr_dags_devkit.emulator.logs import LogWriter
        from emr_dags_devkit.emulator.serverless import ServerlessSim
        from emr_dags_devkit.emulator.validation import RequestValidator

        self.lock = threading.RLock()
        self.clock = SimClock(time_scale)
        self.timings = timings or Timings()
        self._initial = (time_scale, self.timings.to_dict())  # what reset() goes back to
        self.rules = RuleSet(rules)
        self.calls = CallCounter()
        self.validator = RequestValidator(strict=strict)
        self.faults = FaultInjector()
        self.logs = LogWriter(self)
        self.local = LocalRunner(self, enabled=local_exec)
        self.emr = EmrSim(self)
        self.serverless = ServerlessSim(self)
        self.eks = EksSim(self)
        self.sims: dict[str, Any] = {
            "emr": self.emr,
            "emr-serverless": self.serverless,
            "emr-containers": self.eks,
        }
        self.warnings: deque[str] = deque(maxlen=200)
        self._next_due = -math.inf
        self._access_keys: dict[str, str] = {}

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def dirty(self) -> None:
        """Something changed: the next tick must look at every active object again."""
        self._next_due = -math.inf

    def tick(self) -> None:
        with self.lock:
            now = self.clock.now()
            if now < self._next_due:
                return
            for sim in self.sims.values():
                sim.tick(now)
            self.logs.tick(now)
            self._next_due = min([sim.next_due() for sim in self.sims.values()] + [self.logs.next_due()])

    def account_for(self, access_key: str | None) -> str:
        from moto.core import DEFAULT_ACCOUNT_ID

        if not access_key:
            return DEFAULT_ACCOUNT_ID
        if access_key not in self._access_keys:
            from moto.iam.models import get_account_id_from

            account = get_account_id_from(access_key)
            if account == DEFAULT_ACCOUNT_ID and access_key.isdigit() and len(access_key) == 12:
                account = access_key  # moto's convention: a 12-digit access key names the account
            self._access_keys[access_key] = account
        return self._access_keys[access_key]

    # -- request hooks (called by the WSGI app under self.lock) -----------------------------
    def before(
        self, service: str, action: str, path: str, body: Any, account: str, region: str
    ) -> Reply | None:
        sim = self.sims.get(service)
        if sim is None:
            return None
        if not isinstance(body, dict):
            body = {}
        reply: Reply | None = (
            sim.before(action, body, account, region, path)
            if service != "emr"
            else sim.before(action, body, account, region)
        )
        if reply is None and service == "emr":
            self.emr.remember(action, body, account, region)
        return reply

    def after(
        self, service: str, action: str, path: str, body: Any, result: bytes, account: str, region: str
    ) -> None:
        sim = self.sims.get(service)
        if sim is None:
            return
        try:
            decoded = json.loads(result or b"{}")
        except ValueError:
            decoded = {}
        if not isinstance(body, dict):
            body = {}
        if service == "emr":
            sim.after(action, body, decoded, account, region)
        else:
            sim.after(action, body, decoded, account, region, path)
        self.dirty()

    # -- admin ----------------------------------------------------------------------------------
    def reset(self) -> None:
        from moto.core.base_backend import BackendDict

        with self.lock:
            BackendDict.reset()
            self.emr.reset()
            self.serverless.reset()
            self.eks.reset()
            self.logs._queue.clear()
            self.calls.reset()
            self.warnings.clear()
            self._access_keys.clear()
            self.clock.set_time_scale(self._initial[0])
            self.timings.update(self._initial[1])
            self.dirty()

    def state(self) -> dict[str, Any]:
        with self.lock:
            self.dirty()
            self.tick()
            return {
                "time_scale": self.clock.time_scale,
                "sim_minutes": round(self.clock.now() / 60.0, 4),
                "clusters": self.emr.summary(),
                "serverless": self.serverless.summary(),
                "eks": self.eks.summary(),
                "warnings": list(self.warnings),
                "logs_written": self.logs.written,
            }


__all__ = ["AwsError", "Engine"]
