from __future__ import annotations

import json
import re

import pytest

from emr_dags_devkit.emulator.rules import (
    Outcome,
    Rule,
    RuleSet,
    RunInfo,
    Service,
    load_rules_file,
    parse_rules,
)


def emr(name: str, *args: str) -> RunInfo:
    return RunInfo(service=Service.EMR, name=name, args=args)


def test_no_rules_means_every_run_succeeds_after_the_default_duration():
    decision = RuleSet().decide(emr("anything"), 2.0)
    assert decision.outcome is Outcome.SUCCEED
    assert decision.duration_minutes == 2.0


def test_first_matching_rule_wins():
    rules = RuleSet(parse_rules([
        {"name": "a", "match": {"step_name": "etl-*"}, "outcome": "fail"},
        {"name": "b", "match": {"step_name": "*"}, "outcome": "hang"},
    ]))  # fmt: skip
    assert rules.decide(emr("etl-daily"), 2).rule == "a"
    assert rules.decide(emr("other"), 2).rule == "b"


def test_arg_without_wildcards_matches_a_substring():
    rule = Rule.from_dict({"match": {"arg": "--date=2024-01-01"}, "outcome": "fail"})
    assert rule.matches(emr("x", "spark-submit", "--date=2024-01-01"))
    assert not rule.matches(emr("x", "spark-submit", "--date=2024-01-02"))


def test_regex_rules_search_the_text():
    rule = Rule.from_dict({"match": {"name": r"^load_\d+$", "regex": True}})
    assert rule.matches(emr("load_12"))
    assert not rule.matches(emr("load_x"))


def test_step_name_rules_do_not_match_serverless_jobs():
    rule = Rule.from_dict({"match": {"step_name": "*"}})
    assert not rule.matches(RunInfo(service=Service.SERVERLESS, name="job"))
    assert Rule.from_dict({"match": {"job_name": "*"}}).matches(RunInfo(service=Service.EKS, name="job"))


def test_times_limits_how_often_a_rule_applies():
    rules = RuleSet([Rule.from_dict({"match": {"name": "flaky"}, "outcome": "fail", "times": 2})])
    outcomes = [rules.decide(emr("flaky"), 1).outcome for _ in range(3)]
    assert outcomes == [Outcome.FAIL, Outcome.FAIL, Outcome.SUCCEED]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"outcome": "explode"}, "rule.outcome"),
        ({"match": {"colour": "red"}}, "unknown keys"),
        ({"match": {"service": "glue"}}, "rule.match.service"),
        ({"match": {"name": "(", "regex": True}}, "bad regex"),
        ({"duration_minutes": -1}, "negative"),
    ],
)
def test_bad_rules_name_the_field(data, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        Rule.from_dict(data)


def test_rules_load_from_json_and_yaml(tmp_path):
    spec = {
        "rules": [{"name": "r", "match": {"step_name": "a"}, "outcome": "interrupt", "duration_minutes": 3}]
    }
    (tmp_path / "r.json").write_text(json.dumps(spec))
    (tmp_path / "r.yaml").write_text(
        "rules:\n  - name: r\n    match: {step_name: a}\n    outcome: interrupt\n    duration_minutes: 3\n"
    )
    for name in ("r.json", "r.yaml"):
        [rule] = load_rules_file(tmp_path / name)
        assert (rule.name, rule.outcome, rule.duration_minutes) == ("r", Outcome.INTERRUPT, 3.0)


def test_rule_round_trips_through_its_dict_form():
    rule = Rule.from_dict(
        {"name": "x", "match": {"service": "eks", "job_name": "j"}, "outcome": "fail", "reason": "USER_ERROR"}
    )
    RuleSet([rule]).decide(RunInfo(service=Service.EKS, name="j"), 1)
    again = Rule.from_dict(json.loads(json.dumps(rule.to_dict())))
    assert again.to_dict() == rule.to_dict()
    assert again.matched == 1
