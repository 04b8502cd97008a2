"""Extra links read a small payload the operator stored in XCom while it ran.

The payload is written once the resource id is known (so a link works while the task is still
deferred), and holds everything the URL needs: region, console domain, ids and the S3 log URI (may
be absent). Links never call AWS, so the UI never waits on an API call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator

CONSOLE = "https://console.{aws_domain}"

DOMAINS = {"aws": "aws.amazon.com", "aws-cn": "amazonaws.cn", "aws-us-gov": "amazonaws-us-gov.com"}


def link_payload(region_name: str, partition: str, **ids: Any) -> dict[str, Any]:
    return {"region_name": region_name, "aws_domain": DOMAINS.get(partition, DOMAINS["aws"]), **ids}


S3_SCHEMES = ("s3://", "s3n://", "s3a://")


def s3_console_url(uri: str, region: str | None = None, domain: str = DOMAINS["aws"]) -> str:
    """The S3 console listing of an ``s3://`` (or ``s3n://``/``s3a://``) object or prefix."""
    for scheme in S3_SCHEMES:
        uri = uri.removeprefix(scheme)
    bucket, _, prefix = uri.partition("/")
    region_part = f"region={region}&" if region else ""
    return (
        f"https://console.{domain}/s3/buckets/{quote(bucket)}?{region_part}"
        f"prefix={quote(prefix)}&showversions=false"
    )


class EmrDagsLink(BaseOperatorLink):
    """Base: ``key`` is the XCom key of the payload; ``url(payload)`` builds the link or returns "".

    A link that also needs the task instance (dag, run, task, map index, try) overrides
    ``url_for(payload, ti_key)`` instead.
    """

    name: ClassVar[str] = ""
    key: ClassVar[str] = ""

    def url(self, p: dict[str, Any]) -> str:
        raise NotImplementedError

    def url_for(self, p: dict[str, Any], ti_key: Any) -> str:
        return self.url(p)

    def get_link(self, operator: BaseOperator, *, ti_key: Any) -> str:
        try:
            from airflow.sdk.execution_time.xcom import XCom

            payload = XCom.get_value(key=self.key, ti_key=ti_key)
        except Exception:
            return ""
        if not isinstance(payload, dict):
            return ""
        try:
            return self.url_for(payload, ti_key)
        except (KeyError, TypeError, ValueError, AttributeError):
            return ""
