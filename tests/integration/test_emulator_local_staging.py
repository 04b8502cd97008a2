"""A local step run by a root emulator: as nobody, with the system's python3, its script staged.

The demo's word count lives in the checkout (or in site-packages under a root-only folder); the step
still runs, because the emulator copies the script into the step's own folder, as EMR copies a step's
script to the node.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import boto3
import pytest

from emr_dags_devkit.emulator import start_emulator

pytestmark = pytest.mark.integration
WORDCOUNT = Path(__file__).resolve().parents[2] / "dags" / "scripts" / "wordcount.py"


@pytest.mark.skipif(os.geteuid() != 0, reason="privileges are dropped only when the emulator runs as root")
def test_the_demo_word_count_runs_as_nobody_from_a_root_only_folder(tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    script = private / "wordcount.py"
    shutil.copyfile(WORDCOUNT, script)
    with start_emulator(time_scale=0.05, local_exec=True) as emu:
        kw = {
            "endpoint_url": emu.endpoint_url,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        s3, emr = boto3.client("s3", **kw), boto3.client("emr", **kw)
        s3.create_bucket(Bucket="wc-demo")
        s3.put_object(Bucket="wc-demo", Key="in.txt", Body=b"the cat the dog the end")
        args = ["python3", str(script), "s3://wc-demo/in.txt", "s3://wc-demo/out.tsv"]
        cluster_id = emr.run_job_flow(
            Name="wc",
            ReleaseLabel="emr-7.5.0",
            Instances={
                "MasterInstanceType": "m5.xlarge",
                "InstanceCount": 1,
                "KeepJobFlowAliveWhenNoSteps": True,
            },
            JobFlowRole="EMR_EC2_DefaultRole",
            ServiceRole="EMR_DefaultRole",
            Steps=[
                {
                    "Name": "wc",
                    "ActionOnFailure": "CONTINUE",
                    "HadoopJarStep": {"Jar": "command-runner.jar", "Args": args},
                }
            ],
        )["JobFlowId"]
        deadline = time.monotonic() + 120
        while (state := emr.list_steps(ClusterId=cluster_id)["Steps"][0]["Status"]["State"]) not in (
            "COMPLETED", "FAILED", "CANCELLED",
        ):  # fmt: skip
            assert time.monotonic() < deadline, state
            time.sleep(0.3)
        assert state == "COMPLETED"
        assert (
            s3.get_object(Bucket="wc-demo", Key="out.tsv")["Body"].read()
            == b"the\t3\ncat\t1\ndog\t1\nend\t1\n"
        )
