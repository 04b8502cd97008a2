"""Evidence ranking: which of the lines that look like failures is the cause, and why that one.

Every hit gets a *status* before its rule's priority is looked at:

* **recovered** (0): the run went on past it — a task attempt Spark retried, an application attempt
  followed by a successful one, anything before a later success marker in the same log;
* **symptom** (1): a consequence or a side effect — an executor or container that YARN/Kubernetes
  replaced, a line printed while the application was shutting down (exit 143, lost RPC endpoints),
  a line that says it will be retried, an earlier application attempt when a later one also failed;
* **live** (2): everything else.

Among live hits, a **fatal** one wins over a merely specific one: the application's uncaught
exception (``Exception in thread "main"``, ``User class threw exception``, the final line of a
Python traceback), the last attempt of a task that aborted the job, the service's own failure
statement (DescribeStep ``FailureDetails``, ``stateDetails``). Framework wrappers never count as
fatal: their chain's root does. Then the rule's priority decides (a named cause beats a bare
exception), then the driver's log beats an executor's, then the earlier line. A ``Caused by:``
chain competes through one link: its root, or its most specific link when the root is only a
generic exception. The reasons for the choice are kept, so the diagnosis can say *why*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from emr_dags.diagnostics.categories import FailureCategory
from emr_dags.diagnostics.clause import decisive_span
from emr_dags.diagnostics.rules import RULES, WRAPPER_PRIORITY, Kind
from emr_dags.diagnostics.scan import Hit
from emr_dags.diagnostics.structure import (
    CONSEQUENCE,
    EXECUTOR_LOSS,
    RETRYING,
    TASK_ABORT,
    TASK_FAILURE,
    UNCAUGHT,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from emr_dags.diagnostics.scan import SourceScan

RECOVERED, SYMPTOM, LIVE = 0, 1, 2
_FACT_SOURCES = ("DescribeStep ", "DescribeCluster ", "GetJobRun ", "DescribeJobRun ")
_SPECIFIC = 50  # rule priorities from here up name a cause; below are bare exceptions and wrappers
# Rules whose lines say that something failed, not why (the cause is in what failed before them).
_VAGUE_RULES = frozenset({"hive-execution-error", "failed-marker", "container-exit"})
# Python exceptions that only say the script or a command failed (sys.exit, check_call).
_SAYS_IT_FAILED = re.compile(r"\s*(?:SystemExit|(?:subprocess\.)?CalledProcessError)\b")
# A job that failed on lost shuffle data or lost executors failed because of that loss.
_LOST_RESOURCE = re.compile(
    r"FetchFailed|MetadataFetchFailedException|Missing an output location|ExecutorLostFailure"
)


@dataclass(slots=True)
class Ranked:
    """A hit with its status, whether it is fatal, and the reasons for both."""

    hit: Hit
    status: int = LIVE
    fatal: bool = False
    reasons: list[str] = field(default_factory=list)
    succeeded_later: bool = False  # recovered because the run (or a later attempt) succeeded
    consequence: bool = False  # shutdown noise or a consequence of something else failing first

    def key(self) -> tuple[int, bool, int, bool, int, bool, bool, int]:
        return (
            self.status,
            self.fatal,
            self.hit.priority,
            self.hit.file.split("/")[-1].startswith(("stderr", "stdout"))
            or "driver" in self.hit.file.lower(),
            -self.hit.source_index,
            len(self.hit.text) > 40,  # a message over a bare code ("Code: BOOTSTRAP_FAILURE")
            decisive_span(self.hit.text) is not None,  # a line that names the thing over its header
            -self.hit.line,
        )


@dataclass(slots=True)
class Ranking:
    """The outcome: the decisive hit (None when nothing competes), its chain, and what was passed over."""

    best: Ranked | None
    chain: list[Hit]
    context: Hit | None
    competitors: list[Ranked]
    failed: list[Hit]
    success: list[Hit]
    run_failed: bool
    why: list[str]


def _is_fact(hit: Hit) -> bool:
    return hit.file.startswith(_FACT_SOURCES) or hit.file.endswith(".json")


def _where(hit: Hit) -> str:
    return f"{hit.file.rsplit('/', 1)[-1]}:{hit.line}"


def _chain_pick(links: list[Hit]) -> Hit:
    """The link that stands for a chain: its root, or its deepest specific cause if the root is generic."""
    meaningful = [h for h in links if h.priority > WRAPPER_PRIORITY] or links
    root = max(meaningful, key=lambda h: (h.depth, h.line))
    if root.priority < _SPECIFIC:
        specific = [h for h in meaningful if h.priority >= _SPECIFIC and h.rule.kind is Kind.CAUSE]
        if specific:
            return max(specific, key=lambda h: (h.priority, h.depth))
    return root


def _aborted_tasks(hits: Sequence[Hit]) -> dict[tuple[int, str, str], int]:
    """(source, task, stage) -> how many times it failed, for tasks that aborted their job."""
    aborted: dict[tuple[int, str, str], int] = {}
    for hit in hits:
        for match in TASK_ABORT.finditer(hit.text):
            aborted[(hit.source_index, match.group("task"), match.group("stage"))] = int(match.group("times"))
    return aborted


def _scope(ranked: Ranked, head: Hit, aborted: dict[tuple[int, str, str], int], role: str) -> None:
    """Task attempts and executor losses are retried/replaced: recovered or symptoms unless fatal."""
    text = head.text
    task = TASK_FAILURE.search(text)
    if task and not ranked.fatal:
        number = task.group("task") or task.group("task2") or task.group("task3")
        stage = task.group("stage") or task.group("stage2") or task.group("stage3")
        attempt = task.group("attempt") or task.group("attempt2")
        times = next(
            (n for (src, t, s), n in aborted.items() if t == number and s == stage),
            None,
        )
        if times is not None and (attempt is None or int(attempt) >= times - 1):
            ranked.fatal = True
            ranked.reasons.append(
                f"the last attempt of task {number} in stage {stage}, which failed {times} times and aborted the job"
            )
            return
        ranked.status = RECOVERED if times is None else SYMPTOM
        if number is None:
            ranked.reasons.append("a failed task attempt, retried")
        elif times is None:
            ranked.reasons.append(f"a failed attempt of task {number} in stage {stage} that Spark retried")
        else:
            ranked.reasons.append(f"an earlier attempt of task {number} in stage {stage}")
        return
    if not ranked.fatal and EXECUTOR_LOSS.search(text):
        ranked.status = SYMPTOM
        ranked.reasons.append("an executor/container loss; Spark and YARN replace lost executors")
        return
    if not ranked.fatal and role == "executor" and head.rule.kind is Kind.EXCEPTION and not aborted:
        ranked.status = SYMPTOM
        ranked.reasons.append("an exception in an executor's log that the driver did not fail on")


def _judge(
    hit: Hit, links: list[Hit], scan: SourceScan | None, aborted: dict[tuple[int, str, str], int]
) -> Ranked:
    """One competitor's status, fatality and reasons (``links`` is its chain, or just itself)."""
    ranked = Ranked(hit)
    head = links[0]
    if hit is not head:
        ranked.reasons.append(
            f"the root of a Caused-by chain of {len(links)} exceptions starting at {_where(head)}"
            if hit.depth == max(h.depth for h in links)
            else f"the most specific link of a Caused-by chain of {len(links)} exceptions"
        )
    if hit.priority > WRAPPER_PRIORITY:
        _fatality(ranked, head, scan)
    _scope(ranked, head, aborted, scan.role if scan else "driver")
    if ranked.status == LIVE and not ranked.fatal:
        if CONSEQUENCE.search(hit.text):
            ranked.status, ranked.consequence = SYMPTOM, True
            ranked.reasons.append("a consequence of the application stopping (shutdown noise)")
        elif hit.after_shutdown:
            ranked.status, ranked.consequence = SYMPTOM, True
            ranked.reasons.append("printed after the application began shutting down")
        elif RETRYING.search(hit.text):
            ranked.status = SYMPTOM
            ranked.reasons.append("the line says the operation is retried")
    return ranked


def _fatality(ranked: Ranked, head: Hit, scan: SourceScan | None) -> None:
    """Whether the line (or its chain's head) ended the run; a logged-and-handled traceback did not."""
    hit = ranked.hit
    if head.shape == "traceback_logged" and scan is not None and scan.lines - head.line >= 5:
        ranked.status = SYMPTOM
        ranked.reasons.append("a traceback logged under a WARNING/INFO line, after which the script went on")
    elif head.shape in ("traceback_final", "traceback_logged") or hit.shape == "traceback_final":
        ranked.fatal = True
        ranked.reasons.append("the final line of a Python traceback: the exception that ended the script")
    elif UNCAUGHT.search(head.text) or UNCAUGHT.search(hit.text):
        ranked.fatal = True
        ranked.reasons.append("the application's uncaught/fatal error (it ended the job)")
    elif _is_fact(hit):
        ranked.fatal = True
        ranked.reasons.append("the service's own failure statement (describe API)")
    elif hit.priority >= 95:
        ranked.fatal = True
        ranked.reasons.append("a run-level outcome (cancelled, timed out, bootstrap failed)")


def rank(scans: Sequence[SourceScan], *, known_failed: bool = False) -> Ranking:
    """Rank every hit of every scan; see the module docstring for the order."""
    hits = sorted((h for s in scans for h in s.hits), key=lambda h: (h.source_index, h.line))
    by_index = {s.index: s for s in scans}
    causes = [h for h in hits if h.rule.kind in (Kind.CAUSE, Kind.EXCEPTION)]
    failed = [h for h in hits if h.rule.kind is Kind.FAILED]
    success = [h for h in hits if h.rule.kind is Kind.SUCCESS]
    aborted = _aborted_tasks(hits)

    # one competitor per chain
    chains: dict[tuple[int, int], list[Hit]] = {}
    for hit in causes:
        if hit.chain:
            chains.setdefault((hit.source_index, hit.chain), []).append(hit)
    competitors: list[Ranked] = []
    chain_of: dict[int, list[Hit]] = {}
    for hit in causes:
        links = chains.get((hit.source_index, hit.chain)) if hit.chain else None
        if links is not None and _chain_pick(links) is not hit:
            continue
        if links is not None and len(links) > 1:
            chain_of[id(hit)] = links
        competitors.append(_judge(hit, links or [hit], by_index.get(hit.source_index), aborted))

    _attempts(competitors, failed, success, by_index)
    _later_success(competitors, failed, success)
    service_says = _service_state(failed, success)
    run_failed = (
        known_failed
        or service_says == "failed"
        or (
            service_says is None
            and (
                any(r.status == LIVE and (r.fatal or r.hit.priority >= 95) for r in competitors)
                or bool(_unrecovered(failed, success, by_index))
            )
        )
    )
    if not competitors:
        return Ranking(None, [], None, [], failed, success, run_failed, [])
    best = max(competitors, key=Ranked.key)
    best = _explained_by_earlier(best, competitors)
    context = None
    if best.hit.category is FailureCategory.BOOTSTRAP_FAILURE:
        # the service's statement names the action and the instance; the action's controller only its code
        stated = [
            r
            for r in competitors
            if r.hit.category is FailureCategory.BOOTSTRAP_FAILURE
            and _is_fact(r.hit)
            and r.status == best.status
        ]
        best = max(stated, key=Ranked.key) if stated else best
        context = best.hit
        best = _bootstrap_cause(best, competitors, scans)
        if best.hit is context:
            context = None
    chain = chain_of.get(id(best.hit), [best.hit])
    why = _why(best, competitors, scans)
    return Ranking(best, chain, context, competitors, failed, success, run_failed, why)


def _attempts(
    competitors: list[Ranked], failed: list[Hit], success: list[Hit], by_index: dict[int, SourceScan]
) -> None:
    """Hits in an earlier application attempt: recovered if a later attempt succeeded, else symptoms."""
    final: dict[str, int] = {}
    for scan in by_index.values():
        if scan.attempt:
            final[scan.application] = max(final.get(scan.application, 0), scan.attempt)
    if not final:
        return
    succeeded = {
        (by_index[h.source_index].application, by_index[h.source_index].attempt)
        for h in success
        if h.source_index in by_index
    }
    for ranked in competitors:
        where = by_index.get(ranked.hit.source_index)
        if where is None or not where.attempt or where.attempt >= final.get(where.application, 0):
            continue
        last = final[where.application]
        if (where.application, last) in succeeded:
            ranked.status = RECOVERED
            ranked.succeeded_later = True
            ranked.reasons.append(
                f"attempt {where.attempt} failed but attempt {last} of the application succeeded"
            )
        else:
            ranked.status = min(ranked.status, SYMPTOM)
            ranked.reasons.append(f"in attempt {where.attempt}; attempt {last} is the final one")


def _later_success(competitors: list[Ranked], failed: list[Hit], success: list[Hit]) -> None:
    """Anything before a later success marker in the same log was recovered from."""
    last_success: dict[int, int] = {}
    for hit in success:
        last_success[hit.source_index] = max(last_success.get(hit.source_index, 0), hit.line)
    for ranked in competitors:
        line = last_success.get(ranked.hit.source_index)
        if line is not None and ranked.hit.line < line and not ranked.succeeded_later:
            ranked.status = RECOVERED
            ranked.succeeded_later = True
            ranked.reasons.append(f"the run went on and reported success at line {line}")


def _service_state(failed: list[Hit], success: list[Hit]) -> str | None:
    """What the service itself said about the run (describe-API state), if a saved describe says it."""
    if any(_is_fact(h) for h in failed):
        return "failed"
    if any(_is_fact(h) for h in success):
        return "succeeded"
    return None


def _unrecovered(failed: list[Hit], success: list[Hit], by_index: dict[int, SourceScan]) -> list[Hit]:
    """Failure markers not followed by a success marker in the same log or a later successful attempt."""
    last_success: dict[int, int] = {}
    succeeded_attempt: dict[str, int] = {}
    for hit in success:
        last_success[hit.source_index] = max(last_success.get(hit.source_index, 0), hit.line)
        scan = by_index.get(hit.source_index)
        if scan is not None and scan.attempt:
            succeeded_attempt[scan.application] = max(
                succeeded_attempt.get(scan.application, 0), scan.attempt
            )
    out = []
    for hit in failed:
        scan = by_index.get(hit.source_index)
        if scan is not None and scan.attempt and scan.attempt < succeeded_attempt.get(scan.application, 0):
            continue
        if hit.line > last_success.get(hit.source_index, 0):
            out.append(hit)
    return out


def _explained_by_earlier(best: Ranked, competitors: list[Ranked]) -> Ranked:
    """A winner that only says the job failed (a wrapper, Hive's "return code 2", a job aborted on lost
    shuffle data) is explained by the last specific failure before it that the run did not recover from:
    the task attempts that used up their retries, the executors whose loss lost the data."""
    hit = best.hit
    vague = (
        hit.priority <= WRAPPER_PRIORITY
        or (hit.shape.startswith("traceback_") and _SAYS_IT_FAILED.match(hit.text) is not None)
        or hit.rule.name in _VAGUE_RULES
        or (hit.priority < _SPECIFIC and _LOST_RESOURCE.search(hit.text) is not None)
    )
    if not vague:
        return best
    earlier = [
        r
        for r in competitors
        if r is not best
        and not r.succeeded_later
        and not r.consequence
        and r.hit.priority >= _SPECIFIC
        and (r.hit.source_index, r.hit.line) <= (hit.source_index, hit.line)
    ]
    if not earlier:
        return best
    cause = max(
        earlier, key=lambda r: (r.hit.priority, r.status, r.hit.source_index == hit.source_index, r.hit.line)
    )
    cause.reasons.insert(
        0,
        f"the job failed at {_where(hit)} without naming a cause; this is the specific failure that led to it",
    )
    return cause


_NAMES_THE_THING = re.compile(
    r"Depends: |No matching distribution|Could not find|No such file|not found|[Dd]enied|Forbidden|\b40[34]\b|"
    r"Unable to locate package|Error downloading|does not exist|Permission denied"
)
_ERRORISH = re.compile(r"(?i)\berror\b|^E: |\bfailed\b|\bfatal\b|cannot|could not")


def _bootstrap_tail(scans: Sequence[SourceScan]) -> Hit | None:
    """The line of a bootstrap action's stderr/stdout that best names what went wrong, from its tail."""
    best: tuple[int, int, Hit] | None = None
    for scan in scans:
        base = scan.name.rsplit("/", 1)[-1]
        if "bootstrap-action" not in scan.name or not base.startswith(("stderr", "stdout")):
            continue
        for number, text in scan.tail_lines:
            score = 2 if _NAMES_THE_THING.search(text) else 1 if _ERRORISH.search(text) else 0
            if score and (best is None or score >= best[0]):
                rule = next(r for r in RULES if r.name == "bootstrap-action-failed")
                hit = Hit(
                    source_index=scan.index,
                    file=scan.name,
                    line=number,
                    text=text,
                    rule=rule,
                    category=FailureCategory.BOOTSTRAP_FAILURE,
                    priority=rule.priority,
                    caused_by=False,
                )
                best = (score, number, hit)
    return best[2] if best else None


def _bootstrap_cause(best: Ranked, competitors: list[Ranked], scans: Sequence[SourceScan]) -> Ranked:
    """A failed bootstrap action: quote the cause from the action's own log, keep the category."""
    own = [
        r
        for r in competitors
        if "bootstrap-action" in r.hit.file and r.hit.category is not FailureCategory.BOOTSTRAP_FAILURE
    ]
    if not own:
        line = _bootstrap_tail(scans)
        if line is None:
            return best
        own = [Ranked(line, reasons=["the last line of the action's log that names what went wrong"])]
    cause = max(own, key=lambda r: (r.status, r.hit.priority, r.fatal, -r.hit.line))
    cause.reasons.insert(
        0, f"a bootstrap action failed ({_where(best.hit)}); this is the error in its own log"
    )
    cause.reasons.append("category: bootstrap_failure (the cluster never ran the job)")
    cause.fatal = True
    cause.hit = replace(cause.hit, category=FailureCategory.BOOTSTRAP_FAILURE)
    return cause


def _why(best: Ranked, competitors: list[Ranked], scans: Sequence[SourceScan]) -> list[str]:
    """Short sentences: why this line, and why not the lines that would have won on priority alone."""
    why = list(dict.fromkeys(best.reasons))
    if best.hit.priority >= _SPECIFIC and not any("specific" in r for r in why):
        why.append(f"names a specific cause (rule {best.hit.rule.name})")
    passed = [
        r
        for r in sorted(competitors, key=lambda r: -r.hit.priority)
        if r is not best and r.status < LIVE and r.hit.priority > best.hit.priority and r.reasons
    ]
    seen: set[str] = set()
    for ranked in passed:
        reason = ranked.reasons[-1]
        if reason in seen:
            continue
        seen.add(reason)
        why.append(f"not {_where(ranked.hit)} ({ranked.hit.category.value}): {reason}")
        if len(seen) >= 3:
            break
    ignored = sum(s.ignored for s in scans)
    if ignored:
        why.append(f"{ignored} lines ignored as JVM command lines, echoed settings or known noise")
    return why
