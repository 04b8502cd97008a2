"""Paged List/Describe calls through botocore's own paginators (they know each API's token names)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

PAGE_SIZE = 50
"""Items per page where the API takes a page size (EMR's ListClusters/ListSteps do not)."""


def pages(
    client: Any, operation: str, items: str, *, page_size: int | None = None, **params: Any
) -> Iterator[Any]:
    """Every item under ``items`` of every page of ``operation`` (snake_case), lazily: a caller that
    stops early (it found what it looked for) makes no further calls."""
    config = {"PageSize": page_size} if page_size else {}
    for page in client.get_paginator(operation).paginate(**params, PaginationConfig=config):
        yield from page.get(items, [])
