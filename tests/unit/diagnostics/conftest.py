from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from emr_dags.diagnostics import Diagnosis, diagnose_paths

from .corpus_tools import materialize_all

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="session")
def corpus_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every corpus case written out once per session, noise expanded, gzipped where asked."""
    return materialize_all(tmp_path_factory.mktemp("diagnostics") / "corpus")


@pytest.fixture(scope="session")
def corpus_diagnoses(corpus_paths: dict[str, Path]) -> dict[str, Diagnosis]:
    """Each corpus case diagnosed once per session (shared by the per-case and precision tests)."""
    return {case_id: diagnose_paths([path]) for case_id, path in corpus_paths.items()}
