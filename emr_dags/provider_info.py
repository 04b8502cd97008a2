"""Airflow provider registration (the ``apache_airflow_provider`` entry point).

emr-dags reuses the stock ``aws`` connection type of the amazon provider; it declares no connection
type of its own.
"""

from __future__ import annotations

from typing import Any

from emr_dags import __version__

# Operator extra links, by class path. Airflow imports them lazily when it serialises operators.
EXTRA_LINKS: list[str] = [
    "emr_dags.links.emr.EmrClusterLink",
    "emr_dags.links.emr.EmrClusterLogsLink",
    "emr_dags.links.emr.EmrAppUiLink",
    "emr_dags.links.emr.EmrStepLink",
    "emr_dags.links.emr.EmrStepLogsLink",
    "emr_dags.links.emr.EmrStepClusterLink",
    "emr_dags.links.emr.EmrStepAppUiLink",
    "emr_dags.links.serverless.EmrServerlessJobLink",
    "emr_dags.links.serverless.EmrServerlessLogsLink",
    "emr_dags.links.eks.EmrEksJobLink",
    "emr_dags.links.diagnosis.ProbableCauseLink",
]


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "emr-dags",
        "name": "emr-dags",
        "description": "Typed, exactly-once Airflow building blocks for Amazon EMR, EMR Serverless and EMR on EKS.",
        "versions": [__version__],
        "extra-links": list(EXTRA_LINKS),
        # Reuse: emr-dags hooks take the stock `aws` connection (aws_default); no new connection type.
        "connection-types": [],
    }
