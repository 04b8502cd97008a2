"""The emr-dags dev kit: emulator, local stack, bench and chaos, and the pytest kit for DAG authors.

Nothing here is imported by the product package ``emr_dags``; the ``emr-dags`` command finds the dev
kit's subcommands through the ``emr_dags.commands`` entry point group.
"""

from __future__ import annotations

__version__ = "0.2.0"
