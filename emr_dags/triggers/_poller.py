"""One shared poller per watched AWS resource inside the triggerer process.

Twenty deferred step tasks on one cluster would otherwise make twenty DescribeStep calls (plus
DescribeCluster for the stock sensor) every interval. Here every trigger waiting on the same
``(connection, region, verify, botocore config, resource)`` subscribes to one asyncio task that makes a single listing
call per interval and fans the result out. The task ends when its last subscriber leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Any

from emr_dags.aws.backoff import backoff_delay, is_retryable

log = logging.getLogger(__name__)

Fetch = Callable[[set[str]], dict[str, dict[str, Any]]]
"""Blocking call: ids -> {id: latest description}. Runs in a worker thread."""


class Subscription:
    def __init__(self, ids: frozenset[str], interval: float) -> None:
        self.ids = ids
        self.interval = interval
        self.queue: asyncio.Queue[dict[str, dict[str, Any]] | BaseException] = asyncio.Queue()


class SharedPoller:
    def __init__(self, key: Hashable, make_fetch: Callable[[], Fetch]) -> None:
        self.key = key
        self._make_fetch = make_fetch
        self._fetch: Fetch | None = None
        self.subscribers: list[Subscription] = []
        self.task: asyncio.Task[None] | None = None
        self.polls = 0

    async def _poll_once(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        if self._fetch is None:
            # Building the client reads the Airflow connection: blocking, so off the event loop.
            self._fetch = await asyncio.to_thread(self._make_fetch)
        self.polls += 1
        return await asyncio.to_thread(self._fetch, ids)

    async def run(self) -> None:
        failures = 0
        while self.subscribers:
            ids = set().union(*(s.ids for s in self.subscribers))
            try:
                snapshot = await self._poll_once(ids)
            except Exception as exc:
                if is_retryable(exc):
                    # Throttling / 5xx: back off (bounded, jittered) and keep every waiter waiting.
                    failures += 1
                    await asyncio.sleep(backoff_delay(failures))
                    continue
                for sub in list(self.subscribers):
                    sub.queue.put_nowait(exc)
                await asyncio.sleep(self._interval())
                continue
            failures = 0
            for sub in list(self.subscribers):
                sub.queue.put_nowait({i: snapshot[i] for i in sub.ids if i in snapshot})
            # +-10% jitter so many pollers started together do not stay in lock-step.
            await asyncio.sleep(self._interval() * (0.9 + 0.2 * random.random()))

    def _interval(self) -> float:
        return min((s.interval for s in self.subscribers), default=1.0)


_POLLERS: dict[Hashable, SharedPoller] = {}


def active_pollers() -> dict[Hashable, SharedPoller]:
    """The live pollers of this process (for tests and the benchmark)."""
    return _POLLERS


@contextlib.asynccontextmanager
async def subscribe(
    key: Hashable, make_fetch: Callable[[], Fetch], ids: set[str] | frozenset[str], interval: float
) -> AsyncIterator[Subscription]:
    """Join (or start) the poller for ``key`` and receive snapshots of ``ids`` after every poll."""
    poller = _POLLERS.get(key)
    if poller is None or poller.task is None or poller.task.done():
        poller = SharedPoller(key, make_fetch)
        _POLLERS[key] = poller
    sub = Subscription(frozenset(ids), interval)
    poller.subscribers.append(sub)
    if poller.task is None or poller.task.done():
        poller.task = asyncio.get_running_loop().create_task(poller.run(), name=f"emr-dags-poller-{key}")
    try:
        yield sub
    finally:
        poller.subscribers.remove(sub)
        if not poller.subscribers:
            if poller.task is not None and not poller.task.done():
                poller.task.cancel()
            if _POLLERS.get(key) is poller:
                del _POLLERS[key]
