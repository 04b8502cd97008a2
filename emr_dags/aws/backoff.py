"""Which AWS errors are worth waiting out, and how long to wait, for the long-poll loops only.

A single API call is retried by botocore itself (``standard`` retry mode, configured on every client
by :mod:`emr_dags.aws.clients`); nothing here retries a call again, so attempts never multiply. What
stays here is for the loops that wait for a step or job run to finish (hours of polling, see
:mod:`emr_dags.triggers._poller`): a throttling storm or a 5xx after botocore's retries makes the
loop back off and keep waiting, while a real client error (bad request, access denied, not found)
or an unreachable endpoint (:class:`~emr_dags.aws.clients.AwsEndpointUnreachable`) fails at once.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from emr_dags.errors import EmrDagsError

if TYPE_CHECKING:
    from collections.abc import Callable

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

DEFAULT_BASE_SECONDS = 0.5
DEFAULT_CAP_SECONDS = 30.0


def is_retryable(exc: BaseException) -> bool:
    """True for throttling, HTTP 5xx and connection-level errors; False for every other client error
    and for emr-dags' own errors (an unreachable endpoint has been retried by botocore already)."""
    if isinstance(exc, EmrDagsError):
        return False
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
