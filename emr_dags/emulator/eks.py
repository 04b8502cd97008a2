"""Placeholder: filled in below."""

from __future__ import annotations

import math
from typing import Any


class EksSim:
    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def before(self, action: str, body: dict[str, Any], account: str, region: str, path: str) -> Any:
        return None

    def after(self, action: str, body: dict[str, Any], result: dict[str, Any], account: str, region: str, path: str) -> None:
        return None

    def tick(self, now: float) -> None:
        return None

    def next_due(self) -> float:
        return math.inf

    def summary(self) -> list[dict[str, Any]]:
        return []

    def reset(self) -> None:
        return None
