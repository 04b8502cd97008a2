"""A throwaway PostgreSQL 15 server for `emr-dags up --postgres`, from the machine's own binaries.

PostgreSQL refuses to run as root, so when we are root the data folder belongs to the ``postgres``
system user (Debian's package creates it) and every server command runs through ``runuser``.
Authentication is ``trust`` on 127.0.0.1 only: this is a local development database.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

from emr_dags.errors import EmrDagsError

if TYPE_CHECKING:
    from collections.abc import Callable

DB_USER = "airflow"


class PostgresError(EmrDagsError):
    """The local PostgreSQL server cannot be set up."""


def find_bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresError(
        "PostgreSQL server binaries (initdb, postgres) were not found; install them "
        "(Debian/Ubuntu: apt-get install postgresql-15) or run `emr-dags up` without --postgres (SQLite)"
    )


class LocalPostgres:
    def __init__(self, root: Path, *, port: int, echo: Callable[[str], None] = print) -> None:
        self.root = root
        self.data = root / "data"
        self.port = port
        self.echo = echo
        self.bin = find_bin_dir()
        self.as_root = os.geteuid() == 0

    def _cmd(self, *argv: str) -> list[str]:
        if self.as_root:
            return ["runuser", "-u", "postgres", "--", *argv]
        return list(argv)

    def init(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(self.root, user="postgres", group="postgres")
        self.echo(f"initialising PostgreSQL in {self.data}")
        result = subprocess.run(
            self._cmd(
                str(self.bin / "initdb"), "-D", str(self.data), "-U", DB_USER, "--auth=trust", "-E", "UTF8"
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise PostgresError(f"initdb failed:\n{result.stderr[-2000:]}")

    def start(self, *, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
        with open(log_path, "ab") as log:
            return subprocess.Popen(
                self._cmd(
                    str(self.bin / "postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-h",
                    "127.0.0.1",
                    "-k",
                    str(self.root if not self.as_root else self.data),
                ),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_ready(self, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.5)
        raise PostgresError(
            f"PostgreSQL did not accept connections on port {self.port} within {timeout:.0f}s"
        )

    def ensure_database(self, name: str) -> None:
        exists = subprocess.run(
            [
                str(self.bin / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                DB_USER,
                "-d",
                "postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname = '{name}'",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if exists.stdout.strip() == "1":
            return
        created = subprocess.run(
            [str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", DB_USER, name],
            capture_output=True,
            text=True,
            check=False,
        )
        if created.returncode != 0:
            raise PostgresError(f"createdb {name} failed: {created.stderr.strip()}")
