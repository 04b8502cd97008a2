"""What the example DAGs expect to exist before they run, created in the emulator by `emr-dags up`.

On AWS these are yours (an S3 bucket, an EKS virtual cluster registered with EMR on EKS); on the
local stack we create them once, idempotently, so every example runs on a fresh machine.
"""

from __future__ import annotations

from typing import Any

DEMO_BUCKET = "emr-dags-demo"
DEMO_VIRTUAL_CLUSTER = "emr-dags-demo"


def emulator_client(service: str, endpoint_url: str) -> Any:
    """A client for the local emulator from the product's one factory (fixed test credentials,
    us-east-1), so seeding gets the same retry mode, timeouts and errors as the DAGs' tasks."""
    import boto3

    from emr_dags.aws.clients import AwsTarget, client_for

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    target = AwsTarget(aws_conn_id=None, region_name="us-east-1", endpoint_url=endpoint_url)
    return client_for(service, target, session=session)


def seed_demo_fixtures(endpoint_url: str) -> list[str]:
    """Create the demo bucket and virtual cluster when missing; returns what was created."""
    created: list[str] = []
    s3 = emulator_client("s3", endpoint_url)
    if DEMO_BUCKET not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=DEMO_BUCKET)
        created.append(f"s3://{DEMO_BUCKET}")
    eks = emulator_client("emr-containers", endpoint_url)
    running = eks.list_virtual_clusters(states=["RUNNING"]).get("virtualClusters", [])
    if not any(vc["name"] == DEMO_VIRTUAL_CLUSTER for vc in running):
        vc = eks.create_virtual_cluster(
            name=DEMO_VIRTUAL_CLUSTER,
            containerProvider={
                "id": "emr-dags-demo-eks",
                "type": "EKS",
                "info": {"eksInfo": {"namespace": "emr"}},
            },
        )
        created.append(f"EMR on EKS virtual cluster {vc['id']} ({DEMO_VIRTUAL_CLUSTER})")
    return created
