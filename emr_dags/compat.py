"""Names that moved between Airflow 3.1 and 3.3, imported from wherever the running Airflow has them.

emr-dags supports apache-airflow >= 3.1.0 (the wheel-install tests run the oldest set); 3.2 moved the
configuration and some exceptions under ``airflow.sdk``.
"""

from __future__ import annotations

from typing import Any


def airflow_conf() -> Any:
    try:
        from airflow.sdk.configuration import conf  # Airflow >= 3.2
    except ImportError:  # Airflow 3.1
        from airflow.configuration import conf
    return conf


def sensor_exceptions() -> tuple[type[BaseException], type[BaseException]]:
    """(AirflowSensorTimeout, AirflowSkipException)."""
    try:
        from airflow.sdk.exceptions import AirflowSensorTimeout, AirflowSkipException  # Airflow >= 3.2
    except ImportError:  # Airflow 3.1
        from airflow.exceptions import AirflowSensorTimeout, AirflowSkipException  # type: ignore[no-redef]
    return AirflowSensorTimeout, AirflowSkipException
