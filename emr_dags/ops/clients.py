"""boto3 clients for on-call tooling: from Airflow's AWS connection, or from an explicit endpoint.

The UI page and the maintenance DAG use the connection (``aws_default`` unless configured), through
the amazon provider's ``AwsBaseHook`` so credentials, role assumption and ``endpoint_url`` extras
behave exactly as they do for operators. The CLI may instead pass ``--endpoint-url`` (the emulator).
Clients are created on first use; nothing here is imported at DAG-parse time.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

SERVICES = {"emr": "emr", "serverless": "emr-serverless", "containers": "emr-containers"}


class AwsClients:
    """The three EMR clients for one region, created lazily."""

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        aws_conn_id: str | None = None,
        factory: Any = None,
    ) -> None:
        self._endpoint_url = endpoint_url
        self._aws_conn_id = aws_conn_id
        self._factory = factory
        self._region = region

    @cached_property
    def region(self) -> str:
        if self._region:
            return self._region
        name = self.emr.meta.region_name
        return str(name or "us-east-1")

    def _client(self, service: str) -> Any:
        if self._factory is not None:
            return self._factory(service)
        if self._endpoint_url or self._aws_conn_id is None:
            import boto3

            return boto3.client(
                service, region_name=self._region or "us-east-1", endpoint_url=self._endpoint_url
            )
        from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

        hook = AwsBaseHook(aws_conn_id=self._aws_conn_id, client_type=service, region_name=self._region)
        return hook.get_conn()

    @cached_property
    def emr(self) -> Any:
        return self._client(SERVICES["emr"])

    @cached_property
    def serverless(self) -> Any:
        return self._client(SERVICES["serverless"])

    @cached_property
    def containers(self) -> Any:
        return self._client(SERVICES["containers"])
