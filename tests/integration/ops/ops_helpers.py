"""Builders for tagged and untagged EMR resources in ops tests."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from emr_dags import tags

if TYPE_CHECKING:
    from emr_dags.aws.clients import AwsClients

ROLE = "arn:aws:iam::123456789012:role/emr"


def make_cluster(
    c: AwsClients, *, name: str, tag_set: dict[str, str] | None, itype: str = "m5.xlarge", count: int = 3
) -> str:
    resp = c.emr.run_job_flow(
        Name=name,
        ReleaseLabel="emr-7.5.0",
        Instances={
            "InstanceGroups": [
                {"InstanceRole": "MASTER", "InstanceType": itype, "InstanceCount": 1, "Market": "ON_DEMAND"},
                {
                    "InstanceRole": "CORE",
                    "InstanceType": itype,
                    "InstanceCount": count - 1,
                    "Market": "ON_DEMAND",
                },
            ],
            "KeepJobFlowAliveWhenNoSteps": True,
        },
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
        LogUri="s3://logs-bucket/emr/",
        Tags=[{"Key": k, "Value": v} for k, v in (tag_set or {}).items()],
    )
    return resp["JobFlowId"]


def make_eks_run(c: AwsClients, *, tag_set: dict[str, str] | None) -> tuple[str, str]:
    vcs = c.containers.list_virtual_clusters(states=["RUNNING"], maxResults=50)["virtualClusters"]
    vc_id = (
        vcs[0]["id"]
        if vcs
        else c.containers.create_virtual_cluster(
            name="vc",
            containerProvider={"id": "eks1", "type": "EKS", "info": {"eksInfo": {"namespace": "ns"}}},
        )["id"]
    )
    run = c.containers.start_job_run(
        virtualClusterId=vc_id,
        clientToken=os.urandom(4).hex(),
        executionRoleArn=ROLE,
        releaseLabel="emr-7.5.0-latest",
        jobDriver={
            "sparkSubmitJobDriver": {
                "entryPoint": "s3://b/x.py",
                "sparkSubmitParameters": "--conf spark.executor.instances=2 --conf spark.executor.cores=4 "
                "--conf spark.executor.memory=16g",
            }
        },
        **({"tags": tag_set} if tag_set else {}),
    )
    return vc_id, run["id"]


def owned(
    dag_id: str = "etl", run_id: str = "manual__1", task_id: str = "cluster.create", **extra: str
) -> dict[str, str]:
    t = tags.ownership_tags(dag_id, run_id, task_id)
    t.update(extra)
    return t


def make_serverless_run(c: AwsClients, *, tag_set: dict[str, str] | None) -> tuple[str, str]:
    apps = c.serverless.list_applications(maxResults=50)["applications"]
    app_id = (
        apps[0]["id"]
        if apps
        else c.serverless.create_application(
            name="app", releaseLabel="emr-7.5.0", type="SPARK", clientToken=os.urandom(4).hex()
        )["applicationId"]
    )
    run = c.serverless.start_job_run(
        applicationId=app_id,
        clientToken=os.urandom(4).hex(),
        executionRoleArn=ROLE,
        jobDriver={"sparkSubmit": {"entryPoint": "s3://b/x.py"}},
        **({"tags": tag_set} if tag_set else {}),
    )
    return app_id, run["jobRunId"]
