from __future__ import annotations

import pytest
from fake_emr import ClientError

from emr_dags.aws.backoff import backoff_delay, is_retryable


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


def test_our_own_errors_are_never_retryable() -> None:
    from emr_dags.aws.clients import AwsEndpointUnreachable

    assert not is_retryable(AwsEndpointUnreachable("AWS endpoint http://127.0.0.1:9 is unreachable"))


def test_no_call_level_retry_is_left_above_botocore() -> None:
    import emr_dags.aws.backoff as backoff

    assert not hasattr(backoff, "call_with_backoff")
    assert not hasattr(backoff, "acall_with_backoff")
