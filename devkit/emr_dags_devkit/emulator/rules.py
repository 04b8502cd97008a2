"""Scripted outcomes: which emulated step or job run succeeds, fails, hangs or is interrupted.

A rule matches on the step name (EMR on EC2), the job name (EMR Serverless / EMR on EKS) and/or a
substring of the arguments, as shell-style globs by default or regular expressions with
``regex: true``. The first matching rule wins; with no matching rule a run succeeds after the
default duration. Rules come from ``--rules FILE`` (JSON or YAML), ``POST /emr-dags/rules`` or
Python (``start_emulator(rules=[...])``, ``EmulatorAdmin.add_rule``).

File/HTTP format::

    rules:
      - name: etl-fails-once        # optional label, shown in /emr-dags/state
        match:
          service: emr              # emr | serverless | eks | "*" (default)
          step_name: "etl-*"        # EMR step name; job_name for Serverless/EKS; name matches either
          arg: "*--date=2024-01-01*"  # glob on the space-joined arguments (or a regex with regex: true)
          regex: false
        outcome: fail               # succeed | fail | hang | interrupt
        duration_minutes: 3         # simulated minutes the run lasts before its outcome
        reason: "Container exited with a non-zero exit code 1"
        message: "Job aborted due to stage failure"
        stderr: "java.lang.OutOfMemoryError: Java heap space"
        stdout: ""
        container_stderr: "..."     # EMR on EC2: the driver container's stderr (default: stderr), written
                                    # under the application id stderr names ("Submitted application ...")
        times: 1                    # apply to the first N matching runs only (omit: always)
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Outcome(StrEnum):
    SUCCEED = "succeed"
    FAIL = "fail"
    HANG = "hang"
    INTERRUPT = "interrupt"


class Service(StrEnum):
    ANY = "*"
    EMR = "emr"
    SERVERLESS = "serverless"
    EKS = "eks"


# "matched" (how many runs the rule has decided) is reported by GET /emr-dags/rules and accepted back,
# so a read-modify-write of the rule list keeps the `times` accounting.
_RULE_KEYS = {
    "matched",
    "name",
    "match",
    "outcome",
    "duration_minutes",
    "reason",
    "message",
    "stderr",
    "stdout",
    "container_stderr",
    "times",
}
_MATCH_KEYS = {"service", "step_name", "job_name", "name", "arg", "regex"}


@dataclass(frozen=True, kw_only=True, slots=True)
class RunInfo:
    """What a rule sees of a run about to start."""

    service: Service
    name: str
    args: tuple[str, ...] = ()

    @property
    def arg_text(self) -> str:
        return " ".join(self.args)


@dataclass(kw_only=True, slots=True)
class Rule:
    name: str = ""
    service: Service = Service.ANY
    step_name: str | None = None
    job_name: str | None = None
    any_name: str | None = None
    arg: str | None = None
    regex: bool = False
    outcome: Outcome = Outcome.SUCCEED
    duration_minutes: float | None = None
    reason: str | None = None
    message: str | None = None
    stderr: str | None = None
    stdout: str | None = None
    container_stderr: str | None = None
    times: int | None = None
    matched: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        self.service = Service(self.service)
        self.outcome = Outcome(self.outcome)
        if self.duration_minutes is not None and float(self.duration_minutes) < 0:
            raise ValueError(f"Rule {self.name!r}: duration_minutes {self.duration_minutes!r} is negative")
        if self.times is not None and int(self.times) < 0:
            raise ValueError(f"Rule {self.name!r}: times {self.times!r} is negative")
        if self.regex:
            for pattern in (self.step_name, self.job_name, self.any_name, self.arg):
                if pattern is not None:
                    try:
                        re.compile(pattern)
                    except re.error as exc:
                        raise ValueError(f"Rule {self.name!r}: bad regex {pattern!r}: {exc}") from None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        if not isinstance(data, dict):
            raise ValueError(f"rule: expected a mapping, got {type(data).__name__}")
        unknown = set(data) - _RULE_KEYS
        if unknown:
            raise ValueError(f"rule: unknown keys {sorted(unknown)}; expected some of {sorted(_RULE_KEYS)}")
        match = data.get("match") or {}
        if not isinstance(match, dict):
            raise ValueError("rule.match: expected a mapping")
        unknown = set(match) - _MATCH_KEYS
        if unknown:
            raise ValueError(
                f"rule.match: unknown keys {sorted(unknown)}; expected some of {sorted(_MATCH_KEYS)}"
            )
        try:
            outcome = Outcome(str(data.get("outcome", "succeed")).lower())
        except ValueError:
            raise ValueError(
                f"rule.outcome: {data.get('outcome')!r}; expected one of {[o.value for o in Outcome]}"
            ) from None
        try:
            service = Service(str(match.get("service", "*")).lower())
        except ValueError:
            raise ValueError(
                f"rule.match.service: {match.get('service')!r}; expected one of {[s.value for s in Service]}"
            ) from None
        duration = data.get("duration_minutes")
        times = data.get("times")
        return cls(
            name=str(data.get("name", "")),
            service=service,
            step_name=match.get("step_name"),
            job_name=match.get("job_name"),
            any_name=match.get("name"),
            arg=match.get("arg"),
            regex=bool(match.get("regex", False)),
            outcome=outcome,
            duration_minutes=None if duration is None else float(duration),
            reason=data.get("reason"),
            message=data.get("message"),
            stderr=data.get("stderr"),
            stdout=data.get("stdout"),
            container_stderr=data.get("container_stderr"),
            times=None if times is None else int(times),
            matched=int(data.get("matched") or 0),
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        match = {
            "service": self.service.value,
            "step_name": out.pop("step_name"),
            "job_name": out.pop("job_name"),
            "name": out.pop("any_name"),
            "arg": out.pop("arg"),
            "regex": out.pop("regex"),
        }
        out.pop("service")
        out["match"] = {k: v for k, v in match.items() if v is not None}
        out["outcome"] = self.outcome.value
        return out

    def _hit(self, pattern: str | None, text: str, *, contains: bool = False) -> bool:
        if pattern is None:
            return True
        if self.regex:
            return re.search(pattern, text) is not None
        if contains and not any(ch in pattern for ch in "*?["):
            return pattern in text
        return fnmatch.fnmatchcase(text, pattern)

    def matches(self, run: RunInfo) -> bool:
        if self.times is not None and self.matched >= self.times:
            return False
        if self.service is not Service.ANY and self.service is not run.service:
            return False
        if self.step_name is not None and (
            run.service is not Service.EMR or not self._hit(self.step_name, run.name)
        ):
            return False
        if self.job_name is not None and (
            run.service is Service.EMR or not self._hit(self.job_name, run.name)
        ):
            return False
        if not self._hit(self.any_name, run.name):
            return False
        return self._hit(self.arg, run.arg_text, contains=True)


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    """The fate of one run, fixed when it starts."""

    outcome: Outcome
    duration_minutes: float
    reason: str | None = None
    message: str | None = None
    stderr: str | None = None
    stdout: str | None = None
    container_stderr: str | None = None
    rule: str | None = None


class RuleSet:
    """An ordered, thread-safe list of rules."""

    def __init__(self, rules: list[Rule] | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = list(rules or [])

    def set(self, rules: list[Rule]) -> None:
        with self._lock:
            self._rules = list(rules)

    def add(self, rule: Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        self.set([])

    def to_list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_dict() for r in self._rules]

    def decide(self, run: RunInfo, default_minutes: float) -> Decision:
        with self._lock:
            for rule in self._rules:
                if rule.matches(run):
                    rule.matched += 1
                    return Decision(
                        outcome=rule.outcome,
                        duration_minutes=default_minutes
                        if rule.duration_minutes is None
                        else float(rule.duration_minutes),
                        reason=rule.reason,
                        message=rule.message,
                        stderr=rule.stderr,
                        stdout=rule.stdout,
                        container_stderr=rule.container_stderr,
                        rule=rule.name or None,
                    )
        return Decision(outcome=Outcome.SUCCEED, duration_minutes=default_minutes)


def parse_rules(data: Any) -> list[Rule]:
    """Rules from a decoded JSON/YAML document: a list of rules or ``{"rules": [...]}``."""
    if isinstance(data, dict):
        if "rules" not in data:
            return [coerce_rule(data)]
        data = data["rules"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise ValueError(f"rules: expected a list, got {type(data).__name__}")
    return [coerce_rule(item) for item in data]


def coerce_rule(item: Rule | dict[str, Any]) -> Rule:
    return item if isinstance(item, Rule) else Rule.from_dict(item)


def load_rules_file(path: str | Path) -> list[Rule]:
    """Read rules from a ``.json`` or ``.yaml``/``.yml`` file."""
    text = Path(path).read_text()
    if str(path).endswith((".yaml", ".yml")):
        import yaml

        return parse_rules(yaml.safe_load(text))
    return parse_rules(json.loads(text))
