"""Rendered values are data, never shell.

Airflow renders an operator's template fields with its own Templater (recursively through
dicts and lists) before ``execute``. Here the step dicts go through that same code, with a
``dag_run.conf`` an attacker controls, and must come out with each hostile value as ONE
literal argv element, and still pass the botocore check.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from emr_dags.errors import EmrConfigError
from emr_dags.specs import (
    CommandStep,
    EksJobSpec,
    HiveStep,
    ServerlessSparkJob,
    ShellScriptStep,
    SparkStep,
    add_job_flow_steps_request,
    validate_request,
)

templater = pytest.importorskip("airflow.sdk.definitions._internal.templater")

HOSTILE = [
    "x; rm -rf /",
    "$(curl evil)",
    "`id` && echo pwned | sh",
    "a b\tc\nd",
    "' OR 1=1; --",
    "--conf spark.driver.extraJavaOptions=-Devil",
]


class _Renderer(templater.Templater):
    template_fields = ()
    template_ext = ()


def _render(content: Any, conf: dict[str, Any], *, native: bool = False) -> Any:
    env = (
        templater.NativeEnvironment(cache_size=0) if native else templater.SandboxedEnvironment(cache_size=0)
    )
    context = {"ds": "2024-06-01", "params": {"x": conf.get("x")}, "dag_run": SimpleNamespace(conf=conf)}
    renderer = _Renderer()
    renderer.render_template_as_native_obj = native  # what an operator with native rendering sets
    return renderer.render_template(content, context, jinja_env=env)


X = "{{ dag_run.conf['x'] }}"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_conf_arrives_as_one_literal_argument_of_every_step(hostile: str) -> None:
    steps = [
        SparkStep(
            name="spark", entry_point="s3://acme-code/etl.py", args=["--input", X, "--date", "{{ ds }}"]
        ),
        CommandStep(name="cmd", argv=["echo", X]),
        ShellScriptStep(name="sh", script="s3://acme-code/run.sh", args=[X], region="eu-west-1"),
        HiveStep(name="hive", script="s3://acme-code/q.hql", variables={"X": X}),
        SparkStep(name="params", entry_point="s3://acme-code/etl.py", args=["{{ params.x }}"]),
    ]
    request = add_job_flow_steps_request("j-2AXXXXXXGAPLF", steps)
    before = [s["HadoopJarStep"]["Args"] for s in request["Steps"]]

    rendered = _render(request, {"x": hostile})
    validate_request("emr", "AddJobFlowSteps", rendered)

    after = [s["HadoopJarStep"]["Args"] for s in rendered["Steps"]]
    for args_before, args_after in zip(before, after, strict=True):
        assert len(args_after) == len(args_before)  # nothing split, nothing joined
    assert after[0] == [*before[0][:-4], "--input", hostile, "--date", "2024-06-01"]
    assert after[1] == ["echo", hostile]
    assert after[2] == ["s3://acme-code/run.sh", hostile]
    assert after[3][-2:] == ["-d", f"X={hostile}"]
    assert after[4][-1] == hostile


def test_rendered_values_are_not_rendered_twice() -> None:
    request = add_job_flow_steps_request("j-1", [CommandStep(name="cmd", argv=["echo", X])])
    rendered = _render(request, {"x": "{{ 7 * 7 }}"})
    assert rendered["Steps"][0]["HadoopJarStep"]["Args"] == ["echo", "{{ 7 * 7 }}"]
    # The check after rendering treats a leftover "{{" conservatively, as an unrendered template.
    with pytest.raises(EmrConfigError, match="Unrendered template"):
        validate_request("emr", "AddJobFlowSteps", rendered)
    validate_request("emr", "AddJobFlowSteps", rendered, reject_unrendered=False)


def test_native_rendering_that_turns_an_argument_into_a_list_is_caught() -> None:
    request = add_job_flow_steps_request("j-1", [CommandStep(name="cmd", argv=["echo", X])])
    rendered = _render(request, {"x": [1, 2]}, native=True)
    with pytest.raises(EmrConfigError, match="Invalid type"):
        validate_request("emr", "AddJobFlowSteps", rendered)


@pytest.mark.parametrize("hostile", HOSTILE[:2])
def test_serverless_and_eks_arguments_stay_literal(hostile: str) -> None:
    role = "arn:aws:iam::123456789012:role/job"
    serverless = ServerlessSparkJob(
        name="j", execution_role_arn=role, entry_point="s3://acme-code/a.py", entry_point_args=[X]
    )
    rendered = _render(serverless.to_start_job_run("00f1"), {"x": hostile})
    validate_request("emr-serverless", "StartJobRun", rendered)
    assert rendered["jobDriver"]["sparkSubmit"]["entryPointArguments"] == [hostile]

    eks = EksJobSpec(
        virtual_cluster_id="abc123",
        name="j",
        release_label="emr-7.5.0-latest",
        execution_role_arn=role,
        entry_point="s3://acme-code/a.py",
        entry_point_args=[X],
    )
    rendered = _render(eks.to_start_job_run(), {"x": hostile})
    validate_request("emr-containers", "StartJobRun", rendered)
    assert rendered["jobDriver"]["sparkSubmitJobDriver"]["entryPointArguments"] == [hostile]
