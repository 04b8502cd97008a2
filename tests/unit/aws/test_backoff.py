from __future__ import annotations

import asyncio

import pytest
from fake_emr import ClientError

from emr_dags.aws.backoff import acall_with_backoff, backoff_delay, call_with_backoff, is_retryable


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ThrottlingException", 400, True),
        ("Throttling", 400, True),
        ("InternalFailure", 500, True),
        ("ServiceUnavailable", 503, True),
        ("ValidationException", 400, False),
        ("AccessDeniedException", 403, False),
        ("ResourceNotFoundException", 404, False),
    ],
)
def test_only_throttling_and_server_errors_are_retryable(code: str, status: int, expected: bool) -> None:
    assert is_retryable(ClientError(code, status)) is expected


def test_connection_errors_are_retryable_by_class_name() -> None:
    EndpointConnectionError = type("EndpointConnectionError", (Exception,), {})
    assert is_retryable(EndpointConnectionError())
    assert not is_retryable(KeyError("x"))


def test_delay_is_jittered_and_capped() -> None:
    assert backoff_delay(1, base=0.5, cap=30, rng=lambda: 1.0) == 0.5
    assert backoff_delay(4, base=0.5, cap=30, rng=lambda: 1.0) == 4.0
    assert backoff_delay(50, base=0.5, cap=30, rng=lambda: 1.0) == 30
    assert backoff_delay(3, rng=lambda: 0.0) == 0.0


def test_retries_throttling_then_returns_the_result() -> None:
    errors = [ClientError("ThrottlingException", 400), ClientError("InternalFailure", 500)]
    slept: list[float] = []

    def flaky() -> str:
        if errors:
            raise errors.pop(0)
        return "ok"

    assert call_with_backoff(flaky, sleep=slept.append) == "ok"
    assert len(slept) == 2


def test_gives_up_after_max_attempts() -> None:
    calls = []

    def always() -> None:
        calls.append(1)
        raise ClientError("ThrottlingException", 400)

    with pytest.raises(ClientError):
        call_with_backoff(always, max_attempts=3, sleep=lambda _: None)
    assert len(calls) == 3


def test_client_errors_fail_immediately() -> None:
    calls = []

    def bad() -> None:
        calls.append(1)
        raise ClientError("ValidationException", 400)

    with pytest.raises(ClientError):
        call_with_backoff(bad, sleep=lambda _: None)
    assert calls == [1]


def test_async_variant_retries_too() -> None:
    errors = [ClientError("ThrottlingException", 400)]

    def flaky() -> int:
        if errors:
            raise errors.pop(0)
        return 7

    async def no_sleep(_: float) -> None:
        return None

    assert asyncio.run(acall_with_backoff(flaky, sleep=no_sleep)) == 7
