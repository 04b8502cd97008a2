from __future__ import annotations

from emr_dags.links.base import link_payload
from emr_dags.links.eks import EmrEksJobLink
from emr_dags.links.emr import EmrAppUiLink, EmrClusterLink, EmrClusterLogsLink, EmrStepLink, EmrStepLogsLink
from emr_dags.links.serverless import EmrServerlessJobLink, EmrServerlessLogsLink
from emr_dags.provider_info import EXTRA_LINKS, get_provider_info


def test_cluster_links_with_and_without_log_uri() -> None:
    p = link_payload("eu-west-1", "aws", cluster_id="j-1", log_uri="s3://logs/emr/")
    assert (
        EmrClusterLink().url(p)
        == "https://console.aws.amazon.com/emr/home?region=eu-west-1#/clusterDetails/j-1"
    )
    assert "s3/buckets/logs?region=eu-west-1&prefix=emr/j-1/" in EmrClusterLogsLink().url(p)
    no_logs = link_payload("eu-west-1", "aws", cluster_id="j-1", log_uri=None)
    assert EmrClusterLogsLink().url(no_logs).endswith("#/clusterDetails/j-1?tab=logs")
    assert EmrAppUiLink().url(no_logs).endswith("?tab=applications")


def test_step_links_and_partitions() -> None:
    p = link_payload("cn-north-1", "aws-cn", cluster_id="j-1", step_id="s-2", log_uri="s3://l")
    assert EmrStepLink().url(p).startswith("https://console.amazonaws.cn/")
    assert "prefix=j-1/steps/s-2/" in EmrStepLogsLink().url(p)


def test_serverless_and_eks_links() -> None:
    p = link_payload("us-east-1", "aws", application_id="app", job_run_id="run", log_uri=None)
    assert EmrServerlessJobLink().url(p).endswith("/serverless-applications/app/job-runs/run")
    assert EmrServerlessLogsLink().url(p) == EmrServerlessJobLink().url(p)
    e = link_payload("us-east-1", "aws", virtual_cluster_id="vc", job_id="j")
    assert EmrEksJobLink().url(e).endswith("/virtual-clusters/vc/job-runs/j")


def test_every_registered_link_imports() -> None:
    import importlib

    assert get_provider_info()["extra-links"] == EXTRA_LINKS
    for path in EXTRA_LINKS:
        module, _, name = path.rpartition(".")
        assert getattr(importlib.import_module(module), name)().name
