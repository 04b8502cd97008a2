"""Bounded exponential backoff with full jitter for throttling and server-side errors.

botocore's own retry handler already retries a few times; this layer sits above it so that a long
wait (hours of polling) survives a throttling storm or a flaky endpoint without failing the task,
while a real client error (bad request, access denied, not found) still fails immediately.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

T = TypeVar("T")

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
TRANSIENT_CODES = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServerException",
        "ServiceUnavailable",
    }
)

DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_BASE_SECONDS = 0.5
DEFAULT_CAP_SECONDS = 30.0


def is_retryable(exc: BaseException) -> bool:
    """True for throttling, HTTP 5xx and connection-level errors; False for every other client error."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
        status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return code in THROTTLING_CODES or code in TRANSIENT_CODES or status >= 500 or status == 429
    # botocore connection errors (EndpointConnectionError, ConnectionClosedError, ReadTimeoutError ...)
    # all derive from botocore.exceptions.HTTPClientError / ConnectionError; match by name so this
    # module never imports botocore.
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(
        names
        & {
            "EndpointConnectionError",
            "ConnectionClosedError",
            "ReadTimeoutError",
            "ConnectTimeoutError",
            "HTTPClientError",
            "ConnectionError",
        }
    )


def backoff_delay(
    attempt: int,
    *,
    base: float = DEFAULT_BASE_SECONDS,
    cap: float = DEFAULT_CAP_SECONDS,
    rng: Callable[[], float] = random.random,
) -> float:
    """Full-jitter delay before retry number ``attempt`` (1-based): uniform in [0, min(cap, base*2**attempt)]."""
    return float(rng() * min(cap, base * (2 ** max(0, attempt - 1))))


def call_with_backoff(
    fn: Callable[..., T],
    *args: object,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    base: float = DEFAULT_BASE_SECONDS,
    cap: float = DEFAULT_CAP_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: object,
) -> T:
    """Call ``fn``; retry retryable errors up to ``max_attempts`` times with jittered backoff."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if attempt >= max_attempts or not is_retryable(exc):
                raise
            delay = backoff_delay(attempt, base=base, cap=cap)
            log.debug("Retryable AWS error (%s); retry %d in %.2fs", exc, attempt, delay)
            sleep(delay)


async def acall_with_backoff(
    fn: Callable[..., T],
    *args: object,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    base: float = DEFAULT_BASE_SECONDS,
    cap: float = DEFAULT_CAP_SECONDS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    **kwargs: object,
) -> T:
    """Async twin of :func:`call_with_backoff`: runs the blocking boto3 call in a worker thread."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except Exception as exc:
            if attempt >= max_attempts or not is_retryable(exc):
                raise
            delay = backoff_delay(attempt, base=base, cap=cap)
            log.debug("Retryable AWS error (%s); retry %d in %.2fs", exc, attempt, delay)
            await sleep(delay)
