"""The EMR page inside Airflow's UI: FastAPI app logic (``emr_dags.ui.plugin`` only registers it).

Importing this package is cheap (constants only): the extra links build URLs into the page from here
at task time without importing FastAPI.
"""

from __future__ import annotations

# Where Airflow's api-server mounts the app (emr_dags.ui.plugin, registered by the ``airflow.plugins`` entry point).
URL_PREFIX = "/emr-dags"
# The diagnosis of one try of one task instance (HTML); the same under /api for JSON.
DIAGNOSIS_PATH = "/diagnosis"
