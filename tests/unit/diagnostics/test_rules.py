from __future__ import annotations

import pytest

from emr_dags.diagnostics import FailureCategory
from emr_dags.diagnostics.rules import RULES, WRAPPER_RX, Kind, Rule
from emr_dags.diagnostics.scan import _PREFILTER

STABLE_VALUES = [
    "python_exception",
    "python_module_missing",
    "jvm_exception",
    "spark_analysis_error",
    "s3_path_not_found",
    "s3_access_denied",
    "iam_permission_denied",
    "driver_out_of_memory",
    "executor_out_of_memory",
    "class_not_found",
    "hive_query_error",
    "trino_query_error",
    "node_lost_or_spot_interrupted",
    "bootstrap_failure",
    "disk_full",
    "timeout_or_cancelled",
    "unknown",
    "no_failure_found",
]


def test_category_values_are_stable() -> None:
    assert [c.value for c in FailureCategory] == STABLE_VALUES
    assert FailureCategory("disk_full") is FailureCategory.DISK_FULL
    assert str(FailureCategory.DISK_FULL) == "disk_full"
    assert all(c.label for c in FailureCategory)


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_rule_matches_its_example_and_the_prefilter_lets_it_through(rule: Rule) -> None:
    assert rule.regex.search(rule.example)
    assert any(k in rule.example for k in rule.keywords), f"{rule.name}: example has none of its keywords"
    assert _PREFILTER.search(rule.example.encode()), f"{rule.name}: add a needle to rules.NEEDLES"


def test_rule_names_are_unique_and_table_is_sorted_by_priority() -> None:
    assert len({r.name for r in RULES}) == len(RULES)
    priorities = [r.priority for r in RULES]
    assert priorities == sorted(priorities, reverse=True)


@pytest.mark.parametrize(
    "text",
    [
        "py4j.protocol.Py4JJavaError: An error occurred while calling o123.save.",
        "org.apache.spark.SparkException: Job aborted due to stage failure: Task 1 in stage 2.0 failed 4 times",
        "org.apache.spark.SparkException: Application application_1732500000000_0012 finished with failed status",
        "org.apache.spark.SparkException: Yarn application has already ended! It might have been killed or unable "
        "to launch application master.",
        "org.apache.spark.SparkException: Application application_1_0007 failed 2 times due to AM Container for "
        "appattempt_1_0007_000002 exited with  exitCode: 13",
    ],
)
def test_framework_wrappers_are_recognised(text: str) -> None:
    assert WRAPPER_RX.search(text)


def test_every_kind_is_used() -> None:
    assert {r.kind for r in RULES} == set(Kind)
