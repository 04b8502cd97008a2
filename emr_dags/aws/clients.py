"""The one place boto3 clients are made: from an Airflow AWS connection, through the amazon provider.

Every client emr-dags uses (operators, sensors, triggers, the reaper/inventory/cost tools, the UI
page, ``emr-dags diagnose`` and the dev kit's seeding) comes from :func:`client_for`, so all of them
get the same connection handling (credentials, role assumption, ``endpoint_url`` and
``config_kwargs`` extras, ``verify``) and the same botocore configuration:

- botocore's own ``standard`` retry mode, :data:`DEFAULT_MAX_ATTEMPTS` attempts per API call
  (throttling, 5xx and connection errors, with botocore's jittered backoff and retry quota). Nothing
  above it retries a single call again: attempts do not multiply. Waiting for a step or job run to
  finish is a separate long-poll loop (the trigger poller, the operators' ``wait_sync``).
- connect/read timeouts (:data:`DEFAULT_CONNECT_TIMEOUT`, :data:`DEFAULT_READ_TIMEOUT`), so an
  unreachable endpoint fails in seconds with :class:`AwsEndpointUnreachable`, naming the endpoint and
  the connection, instead of botocore's 60 s timeouts times every layer of retries.

Precedence, lowest first: these defaults, the connection's ``config_kwargs`` extra, then the
``botocore_config`` given to the task (a dict, so it stays JSON-serialisable for triggers). A
``retries`` dict is merged key by key, so ``{"retries": {"max_attempts": 10}}`` keeps the standard mode.

Imported only inside ``execute`` / trigger ``run`` / a CLI command: the provider hooks import boto3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from emr_dags.errors import EmrDagsError

if TYPE_CHECKING:
    from collections.abc import Mapping

    import boto3
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
    from botocore.config import Config
    from mypy_boto3_emr import EMRClient
    from mypy_boto3_emr_containers import EMRContainersClient
    from mypy_boto3_emr_serverless import EMRServerlessClient
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_s3 import S3Client

DEFAULT_MAX_ATTEMPTS = 5
"""Attempts per API call, the first included (``total_max_attempts``; botocore's ``standard`` mode
default is 3). botocore's own ``max_attempts`` key counts retries only, the first call excluded."""
DEFAULT_CONNECT_TIMEOUT = 5.0
"""Seconds to open a connection; botocore's default is 60."""
DEFAULT_READ_TIMEOUT = 15.0
"""Seconds to wait for a reply; every EMR API call answers in well under this."""


class AwsEndpointUnreachable(EmrDagsError, ConnectionError):
    """The AWS endpoint could not be reached (refused, timed out, DNS) after botocore's retries.

    Not retried above botocore: a task fails with this message, and its Airflow retries (which
    re-attach to what an earlier try started) are the next line of defence.
    """


@dataclass(frozen=True)
class AwsTarget:
    """Where and how to talk to AWS. Every field is JSON-serialisable, so triggers can carry it.

    :param aws_conn_id: the Airflow AWS connection (None: boto3's default credential chain).
    :param region_name: overrides the connection's region.
    :param verify: TLS verification: False, or a CA bundle path (None: the connection's setting).
    :param botocore_config: ``botocore.config.Config`` keyword arguments, over the connection's
        ``config_kwargs`` extra and emr-dags' defaults (retries, timeouts).
    :param endpoint_url: an explicit endpoint for every service (the emulator, ``--endpoint-url``);
        None uses the connection's ``endpoint_url`` extras or AWS.
    """

    aws_conn_id: str | None = "aws_default"
    region_name: str | None = None
    verify: bool | str | None = None
    botocore_config: Mapping[str, Any] | None = field(default=None, hash=False)
    endpoint_url: str | None = None

    def describe(self) -> str:
        return f"connection {self.aws_conn_id!r}" if self.aws_conn_id else "boto3's default credentials"

    def key(self) -> tuple[str | None, str | None, bool | str | None, str, str | None]:
        """A hashable identity: two targets with the same key build interchangeable clients."""
        import json

        config = json.dumps(dict(self.botocore_config or {}), sort_keys=True, default=str)
        return (self.aws_conn_id, self.region_name, self.verify, config, self.endpoint_url)


def default_config() -> Config:
    """emr-dags' botocore defaults: standard retry mode and short connect/read timeouts."""
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "total_max_attempts": DEFAULT_MAX_ATTEMPTS},
        connect_timeout=DEFAULT_CONNECT_TIMEOUT,
        read_timeout=DEFAULT_READ_TIMEOUT,
    )


def merge_config(*layers: Config | Mapping[str, Any] | None) -> Config:
    """Merge botocore configs, later layers winning; ``retries`` dicts merge key by key."""
    from botocore.config import Config

    merged = default_config()
    retries: dict[str, Any] = dict(getattr(merged, "retries", None) or {})
    for layer in layers:
        if layer is None:
            continue
        cfg = Config(**dict(layer)) if not isinstance(layer, Config) else layer
        wanted = dict(getattr(cfg, "retries", None) or {})
        if {"max_attempts", "total_max_attempts"} & wanted.keys():
            retries.pop("max_attempts", None)  # one way of counting attempts at a time
            retries.pop("total_max_attempts", None)
        retries.update(wanted)
        merged = merged.merge(cfg)
    return merged.merge(Config(retries=cast("Any", retries)))


def hook_for(service: str, target: AwsTarget) -> AwsBaseHook:
    """The amazon provider's hook for ``service``: it reads the connection (once, cached)."""
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    return AwsBaseHook(
        aws_conn_id=target.aws_conn_id,
        client_type=service,
        region_name=target.region_name,
        verify=target.verify,
    )


def session_for(target: AwsTarget, hook: AwsBaseHook | None = None) -> boto3.session.Session:
    """The boto3 session the connection describes (credentials, assumed role, region)."""
    hook = hook or hook_for("sts", target)
    return hook.get_session(region_name=hook.region_name)


@overload
def client_for(
    service: Literal["emr"], target: AwsTarget, *, session: boto3.session.Session | None = ...
) -> EMRClient: ...
@overload
def client_for(
    service: Literal["emr-serverless"], target: AwsTarget, *, session: boto3.session.Session | None = ...
) -> EMRServerlessClient: ...
@overload
def client_for(
    service: Literal["emr-containers"], target: AwsTarget, *, session: boto3.session.Session | None = ...
) -> EMRContainersClient: ...
@overload
def client_for(
    service: Literal["s3"], target: AwsTarget, *, session: boto3.session.Session | None = ...
) -> S3Client: ...
@overload
def client_for(
    service: Literal["logs"], target: AwsTarget, *, session: boto3.session.Session | None = ...
) -> CloudWatchLogsClient: ...
@overload
def client_for(service: str, target: AwsTarget, *, session: boto3.session.Session | None = ...) -> Any: ...
def client_for(service: str, target: AwsTarget, *, session: boto3.session.Session | None = None) -> Any:
    """A boto3 client for ``service`` ("emr", "emr-serverless", "emr-containers", "s3", "logs", ...).

    ``session``: build the client from this boto3 session instead of the connection's (the dev kit
    passes one with the emulator's fixed test credentials); configuration and errors stay the same.
    """
    if target.aws_conn_id is None or session is not None:
        # No connection: boto3's own credential chain, without the hook (which logs to stdout and
        # would break the CLIs' --json output) and without importing Airflow.
        config = merge_config(target.botocore_config)
        if session is None:
            import boto3

            session = boto3.session.Session(region_name=target.region_name)
    else:
        hook = hook_for(service, target)
        config = merge_config(hook.conn_config.botocore_config, target.botocore_config)
        if target.endpoint_url is None:
            client = hook.get_client_type(region_name=hook.region_name, config=config)
            _name_unreachable_endpoint(client, target)
            return client
        session = session_for(target, hook)
    client = session.client(
        service,  # type: ignore[call-overload]
        region_name=target.region_name or session.region_name or "us-east-1",
        endpoint_url=target.endpoint_url,
        config=config,
        verify=target.verify,
    )
    _name_unreachable_endpoint(client, target)
    return client


def _name_unreachable_endpoint(client: Any, target: AwsTarget) -> None:
    """Turn botocore's connection errors (after its retries) into :class:`AwsEndpointUnreachable`."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

    endpoint = client.meta.endpoint_url

    def on_error(exception: BaseException | None = None, **_: Any) -> None:
        if isinstance(
            exception, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError | BotoConnectionError
        ):
            raise AwsEndpointUnreachable(
                f"AWS endpoint {endpoint} is unreachable ({type(exception).__name__}) via "
                f"{target.describe()}, region {client.meta.region_name}: {exception}. Check the "
                f"connection's endpoint_url extra / network, or that the emulator is running."
            ) from exception

    client.meta.events.register("after-call-error", on_error)


def region_and_partition(kind: str, target: AwsTarget) -> tuple[str, str]:
    """The region the client actually uses and the AWS partition, for console links."""
    hook = hook_for(kind, target)
    region = hook.conn_region_name or "us-east-1"
    try:
        partition = hook.conn_partition or "aws"
    except Exception:  # partition lookup needs botocore endpoint data; a link must never fail a task
        partition = "aws"
    return region, partition


class AwsClients:
    """The three EMR clients for one target, made on first use (the on-call tools' bundle)."""

    def __init__(self, target: AwsTarget) -> None:
        self.target = target

    @cached_property
    def region(self) -> str:
        return str(self.target.region_name or self.emr.meta.region_name or "us-east-1")

    @cached_property
    def emr(self) -> EMRClient:
        return client_for("emr", self.target)

    @cached_property
    def serverless(self) -> EMRServerlessClient:
        return client_for("emr-serverless", self.target)

    @cached_property
    def containers(self) -> EMRContainersClient:
        return client_for("emr-containers", self.target)
