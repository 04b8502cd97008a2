"""``python -m emr_dags`` is the ``emr-dags`` command (the compose file's emulator service uses it)."""

from __future__ import annotations

import sys

from emr_dags.cli import main

sys.exit(main())
