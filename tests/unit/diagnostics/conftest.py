from __future__ import annotations

from pathlib import Path

import pytest

from .corpus_tools import materialize_all


@pytest.fixture(scope="session")
def corpus_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every corpus case written out once per session, noise expanded, gzipped where asked."""
    return materialize_all(tmp_path_factory.mktemp("diagnostics") / "corpus")
