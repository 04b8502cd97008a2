"""Extra links read a small payload the operator stored in XCom while it ran.

The payload is written once the resource id is known (so a link works while the task is still
deferred), and holds everything the URL needs: region, console domain, ids and the S3 log URI (may
be absent). Links never call AWS, so the UI never waits on an API call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator

CONSOLE = "https://console.{aws_domain}"

DOMAINS = {"aws": "aws.amazon.com", "aws-cn": "amazonaws.cn", "aws-us-gov": "amazonaws-us-gov.com"}


def link_payload(region_name: str, partition: str, **ids: Any) -> dict[str, Any]:
    return {"region_name": region_name, "aws_domain": DOMAINS.get(partition, DOMAINS["aws"]), **ids}


class EmrDagsLink(BaseOperatorLink):
    """Base: ``key`` is the XCom key of the payload; ``url(payload)`` builds the link or returns ""."""

    name: ClassVar[str] = ""
    key: ClassVar[str] = ""

    def url(self, p: dict[str, Any]) -> str:
        raise NotImplementedError

    def get_link(self, operator: BaseOperator, *, ti_key: Any) -> str:
        try:
            from airflow.sdk.execution_time.xcom import XCom

            payload = XCom.get_value(key=self.key, ti_key=ti_key)
        except Exception:
            return ""
        if not isinstance(payload, dict):
            return ""
        try:
            return self.url(payload)
        except (KeyError, TypeError, ValueError):
            return ""
