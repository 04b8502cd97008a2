"""Airflow provider registration (the ``apache_airflow_provider`` entry point).

emr-dags reuses the stock ``aws`` connection type of the amazon provider; it declares no connection
type of its own. The ``config`` section declares every ``[emr_dags]`` option the code reads, so
``airflow config list --section emr_dags`` shows them with their defaults.
"""

from __future__ import annotations

from typing import Any

from emr_dags import __version__

EMR, SERVERLESS, EKS = "Amazon EMR", "Amazon EMR Serverless", "Amazon EMR on EKS"

INTEGRATIONS: list[dict[str, Any]] = [
    {"integration-name": EMR, "external-doc-url": "https://aws.amazon.com/emr/", "tags": ["aws"]},
    {
        "integration-name": SERVERLESS,
        "external-doc-url": "https://docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/emr-serverless.html",
        "tags": ["aws"],
    },
    {
        "integration-name": EKS,
        "external-doc-url": "https://docs.aws.amazon.com/emr/latest/EMR-on-EKS-DevelopmentGuide/emr-eks.html",
        "tags": ["aws"],
    },
]

# Module lists per integration, in Airflow's provider-info shape; the flavour's module name is the key.
_MODULES = {EMR: "emr", SERVERLESS: "serverless", EKS: "eks"}


def _modules(package: str) -> list[dict[str, Any]]:
    return [
        {"integration-name": name, "python-modules": [f"emr_dags.{package}.{module}"]}
        for name, module in _MODULES.items()
    ]


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


def _option(description: str, type_: str, example: str | None, default: str | None) -> dict[str, Any]:
    return {
        "description": description,
        "version_added": "0.2.0",
        "type": type_,
        "example": example,
        "default": default,
    }


#: Every ``[emr_dags]`` option (env ``AIRFLOW__EMR_DAGS__<KEY>``) the code reads, with the default
#: the code falls back to. Operators take their AWS connection per task; these serve the on-call
#: page, the cost estimates and the resources' identity.
CONFIG_OPTIONS: dict[str, dict[str, Any]] = {
    "aws_conn_id": _option(
        "The Airflow AWS connection the EMR page in the UI (Browse -> EMR) lists resources with.",
        "string",
        "aws_prod",
        "aws_default",
    ),
    "region": _option(
        "The region the EMR page lists; empty: the connection's region.", "string", "eu-west-1", None
    ),
    "ui_cache_seconds": _option(
        "How long (seconds) the EMR page reuses an AWS listing, so page views do not hammer the EMR APIs.",
        "float",
        "60",
        "20",
    ),
    "ui_allow_terminate": _option(
        "Enables the EMR page's one write action: terminating an orphaned cluster or job run that "
        "emr-dags created (still subject to the Airflow permissions in docs/operations.md).",
        "boolean",
        "True",
        "False",
    ),
    "price_file": _option(
        "A JSON file of prices merged over the packaged price table (shaped like "
        "emr_dags/cost/prices.json); empty: the packaged prices.",
        "string",
        "/opt/airflow/emr_prices.json",
        None,
    ),
    "spot_factor": _option(
        "The share of the on-demand EC2 price paid for Spot capacity, in cost estimates; empty: the "
        "price table's own (0.35 in the packaged table, or the price_file's).",
        "float",
        "0.3",
        None,
    ),
    "deployment_id": _option(
        "A stable identity stamped on every resource; default derived from the deployment.",
        "string",
        "analytics-prod",
        None,
    ),
}


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "emr-dags",
        "name": "emr-dags",
        "description": "Typed, exactly-once Airflow building blocks for Amazon EMR, EMR Serverless and EMR on EKS.",
        "versions": [__version__],
        "integrations": [dict(i) for i in INTEGRATIONS],
        "operators": _modules("operators"),
        "sensors": _modules("sensors"),
        "triggers": _modules("triggers"),
        "extra-links": list(EXTRA_LINKS),
        # Reuse: emr-dags hooks take the stock `aws` connection (aws_default); no new connection type.
        "connection-types": [],
        "config": {
            "emr_dags": {
                "description": "emr-dags: the EMR page in the Airflow UI, cost estimates and resource identity.",
                "options": {name: dict(option) for name, option in CONFIG_OPTIONS.items()},
            }
        },
    }
