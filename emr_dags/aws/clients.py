"""boto3 clients built from an Airflow AWS connection through the amazon provider's hooks.

Imported only inside ``execute`` / trigger ``run``: the provider hooks import boto3.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AwsTarget:
    """Where and how to talk to AWS, as the stock operators take it.

    ``aws_conn_id``: the Airflow connection; ``region_name``: a region override; ``verify``: TLS
    verification (False, or a CA bundle path); ``botocore_config``: keyword arguments of
    ``botocore.config.Config`` (kept a plain dict so triggers can serialise it).
    """

    aws_conn_id: str | None = "aws_default"
    region_name: str | None = None
    verify: bool | str | None = None
    botocore_config: dict[str, Any] | None = None

    def key(self) -> tuple[str | None, str | None, bool | str | None, str]:
        """A hashable identity: two targets with the same key build interchangeable clients."""
        config = json.dumps(self.botocore_config or {}, sort_keys=True, default=str)
        return (self.aws_conn_id, self.region_name, self.verify, config)


def _hook(kind: str, target: AwsTarget) -> Any:
    from airflow.providers.amazon.aws.hooks.emr import EmrContainerHook, EmrHook, EmrServerlessHook

    kwargs: dict[str, Any] = {
        "aws_conn_id": target.aws_conn_id,
        "region_name": target.region_name,
        "verify": target.verify,
    }
    if target.botocore_config:
        from botocore.config import Config

        kwargs["config"] = Config(**target.botocore_config)
    if kind == "emr":
        return EmrHook(**kwargs)
    if kind == "emr-serverless":
        return EmrServerlessHook(**kwargs)
    if kind == "emr-containers":
        return EmrContainerHook(**kwargs)
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    return AwsBaseHook(client_type=kind, **kwargs)


def client_for(kind: str, target: AwsTarget) -> Any:
    """A boto3 client for ``kind`` ("emr", "emr-serverless", "emr-containers", "s3")."""
    return _hook(kind, target).conn


def region_and_partition(kind: str, target: AwsTarget) -> tuple[str, str]:
    """The region the client actually uses and the AWS partition, for console links."""
    hook = _hook(kind, target)
    region = hook.conn_region_name or "us-east-1"
    try:
        partition = hook.conn_partition or "aws"
    except Exception:  # partition lookup needs botocore endpoint data; a link must never fail a task
        partition = "aws"
    return region, partition
