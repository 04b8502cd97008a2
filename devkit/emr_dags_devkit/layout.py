"""Where the local stack's files come from.

A stack needs a compose file (its topology) and a DAG folder. They come from, in order:

1. the current folder, when it holds a ``docker-compose.yaml`` (a user's own project);
2. the repository checkout this package runs from (an editable install: ``<repo>/docker-compose.yaml``
   and ``<repo>/dags``);
3. the installed wheel's package data (``emr_dags_devkit/project/``), so ``emr-dags up`` works in an
   empty folder.

Airflow's DAG folder is built per stack under the state folder (``<state>/dags``): links to every
entry of the project's ``dags/`` plus, for the bench and chaos stacks only, the dev kit's fixture DAGs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
FIXTURE_DAGS = PACKAGE_DIR / "fixture_dags"
COMPOSE = "docker-compose.yaml"


@dataclass(frozen=True, slots=True)
class Project:
    root: Path  # holds docker-compose.yaml and dags/
    kind: str  # "cwd" | "checkout" | "package"

    @property
    def compose_file(self) -> Path:
        return self.root / COMPOSE

    @property
    def dags(self) -> Path:
        return self.root / "dags"

    @property
    def default_state_dir(self) -> Path:
        # Never inside site-packages: a packaged project keeps its state in the current folder.
        return (Path.cwd() if self.kind == "package" else self.root) / ".state"


def project() -> Project:
    cwd = Path.cwd()
    if (cwd / COMPOSE).exists():
        return Project(cwd, "cwd")
    checkout = PACKAGE_DIR.parents[1]  # <repo>/devkit/emr_dags_devkit -> <repo>
    if (checkout / COMPOSE).exists() and (checkout / "dags").is_dir():
        return Project(checkout, "checkout")
    packaged = PACKAGE_DIR / "project"
    if (packaged / COMPOSE).exists():
        return Project(packaged, "package")
    raise FileNotFoundError(
        f"no {COMPOSE} in {cwd}, in a checkout, or in the installed emr-dags-devkit package "
        f"({packaged}); reinstall emr-dags-devkit or pass --compose-file"
    )


def build_dag_folder(target: Path, sources: list[Path]) -> Path:
    """(Re)make ``target`` as a folder of symlinks to every entry of each source folder.

    Later sources do not replace earlier entries of the same name (the examples win). Links, not
    copies: an edit to an example DAG shows up in the running stack, as with a mounted volume.
    """
    target.mkdir(parents=True, exist_ok=True)
    for entry in target.iterdir():
        if entry.is_symlink() or entry.is_file():
            entry.unlink()
    for source in sources:
        if not source.is_dir():
            continue
        for entry in sorted(source.iterdir()):
            if entry.name.startswith((".", "__pycache__")):
                continue
            link = target / entry.name
            if not link.exists() and not link.is_symlink():
                os.symlink(entry.resolve(), link)
    return target
