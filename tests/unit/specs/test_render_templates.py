from __future__ import annotations

import jinja2.sandbox
import pytest

from emr_dags.errors import EmrConfigError
from emr_dags.specs import (
    ClusterSpec,
    Configuration,
    InstanceGroup,
    ServerlessSparkJob,
    SparkStep,
    render_templates,
    validate_request,
)

ENV = jinja2.sandbox.SandboxedEnvironment()


def _renderer(**context: object):  # type: ignore[no-untyped-def]
    return lambda s: ENV.from_string(s).render(**context)


GROUPS = (InstanceGroup(role="MASTER", instance_type="m5.xlarge"),)


def _templated_cluster() -> ClusterSpec:
    return ClusterSpec(
        name="etl-{{ ds_nodash }}",
        release_label="{{ params.release }}",
        log_uri="s3://acme-logs/{{ dag.dag_id }}/",
        instance_groups=GROUPS,
        configurations=(Configuration.spark_defaults({"spark.app.name": "{{ params.app }}"}),),
        tags={"run": "{{ run_id }}"},
        steps=(
            SparkStep(name="s", entry_point="s3://acme-code/a.py", args=["--x", "{{ dag_run.conf['x'] }}"]),
        ),
    )


def _context(**params: object) -> dict[str, object]:
    return {
        "ds_nodash": "20240601",
        "params": {"release": "emr-7.5.0", "app": "etl", **params},
        "dag": {"dag_id": "nightly"},
        "run_id": "manual__1",
        "dag_run": {"conf": {"x": "x; rm -rf /"}},
    }


def test_every_nested_template_is_rendered_and_the_result_validated() -> None:
    rendered = render_templates(_templated_cluster(), _renderer(**_context()))
    assert rendered.name == "etl-20240601"
    assert rendered.release_label == "emr-7.5.0"
    assert rendered.log_uri == "s3://acme-logs/nightly/"
    assert rendered.configurations[0].properties == {"spark.app.name": "etl"}
    assert rendered.tags == {"run": "manual__1"}
    assert rendered.steps[0].args == ("--x", "x; rm -rf /")
    validate_request("emr", "RunJobFlow", rendered.to_run_job_flow())


def test_a_bad_rendered_value_fails_like_a_literal_one() -> None:
    with pytest.raises(EmrConfigError) as exc:
        render_templates(_templated_cluster(), _renderer(**_context(release="emr-6")))
    assert exc.value.field == "release_label"


def test_nothing_templated_returns_the_same_object() -> None:
    job = ServerlessSparkJob(
        name="j", execution_role_arn="arn:aws:iam::123456789012:role/r", entry_point="s3://acme-code/a.py"
    )
    assert render_templates(job, lambda s: pytest.fail("nothing to render")) is job
