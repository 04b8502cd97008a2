from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .corpus_tools import materialize_all

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="session")
def corpus_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every corpus case written out once per session, noise expanded, gzipped where asked."""
    return materialize_all(tmp_path_factory.mktemp("diagnostics") / "corpus")
