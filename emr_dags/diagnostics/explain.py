"""From the hits of several scanned logs to one :class:`Diagnosis` (the ranking is in ``rank.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emr_dags.diagnostics.categories import FailureCategory
from emr_dags.diagnostics.clause import shorten, strip_prefix
from emr_dags.diagnostics.model import Diagnosis, Evidence, clip
from emr_dags.diagnostics.rank import LIVE, rank
from emr_dags.diagnostics.rules import WRAPPER_PRIORITY

if TYPE_CHECKING:
    from collections.abc import Sequence

    from emr_dags.diagnostics.rank import Ranked
    from emr_dags.diagnostics.scan import Hit, SourceScan

MAX_EVIDENCE = 12


def _where(hit: Hit) -> str:
    return f"{hit.file.rsplit('/', 1)[-1]}:{hit.line}"


SUMMARY_CHARS = 240


def _evidence(hit: Hit) -> Evidence:
    return Evidence(file=hit.file, line=hit.line, text=hit.text)


def _summary(category: FailureCategory, hit: Hit) -> str:
    """``<title>: <decisive clause and its context> [<file>:<line>]``."""
    where = f"{hit.file.rsplit('/', 1)[-1]}:{hit.line}" if hit.line else hit.file
    return f"{category.label}: {shorten(strip_prefix(hit.text), SUMMARY_CHARS)} [{where}]"


def incomplete_reads(scans: Sequence[SourceScan]) -> list[str]:
    """One sentence per log that could not be read to its end."""
    return [
        f"{s.name}: truncated after {s.lines} lines ({s.truncated}); only that part was searched"
        for s in scans
        if s.truncated
    ]


def _recovered_why(competitors: Sequence[Ranked], marker: Hit) -> tuple[str, ...]:
    """For a successful run: what looked like failures, and why none of them failed the run."""
    said = (
        "the service's own state says the run succeeded"
        if marker.file.endswith(".json") or marker.file.startswith(("Describe", "GetJobRun"))
        else "the run reports success and no failure came after it"
    )
    if not competitors:
        return (said,)
    reasons = list(dict.fromkeys(r.reasons[-1] for r in competitors if r.reasons))[:3]
    return (said, f"{len(competitors)} failure-looking lines did not fail the run", *reasons)


def explain(
    scans: Sequence[SourceScan],
    *,
    known_failed: bool = False,
    searched: Sequence[str] = (),
    missing: Sequence[str] = (),
    incomplete: Sequence[str] = (),
) -> Diagnosis:
    """Pick the decisive line among every scan's hits and build the diagnosis.

    ``known_failed`` says the caller knows the run failed (e.g. the step is FAILED), so success
    markers in the logs (an earlier attempt, another step) do not turn it into ``no_failure_found``.
    ``incomplete`` lists inputs that could not be read at all; truncated logs are added from ``scans``.
    """
    ranking = rank(scans, known_failed=known_failed)
    searched_t = tuple(searched) or tuple(s.name for s in scans)
    partial = incomplete_reads(scans)
    missing_t = (*missing, *(p for p in partial if p not in missing))
    incomplete_t = (*incomplete, *partial)
    total_lines = sum(s.lines for s in scans)
    success, failed = ranking.success, ranking.failed

    if success and not ranking.run_failed:
        return Diagnosis(
            category=FailureCategory.NO_FAILURE_FOUND,
            summary=f"No failure found; the run reports success: {clip(success[-1].text.strip(), 200)}",
            decisive_line=None,
            evidence=(_evidence(success[-1]),),
            source=success[-1].file,
            searched=searched_t,
            missing=missing_t,
            rule=success[-1].rule.name,
            why=_recovered_why(ranking.competitors, success[-1]),
            incomplete=incomplete_t,
        )
    best = ranking.best
    if best is None or (best.hit.priority <= WRAPPER_PRIORITY and ranking.context is None and failed):
        # nothing names a cause; a framework wrapper ("Job aborted", "Yarn application has already
        # ended") only says that something failed, so the failure markers speak for the run
        wrappers = (best.hit,) if best is not None else ()
        return _without_cause(
            scans, failed, known_failed, searched_t, missing_t, total_lines, incomplete_t, wrappers
        )

    hit = best.hit
    picked: list[Hit] = [hit]
    picked += [h for h in ranking.chain if h.line != hit.line or h.source_index != hit.source_index][:5]
    seen = {hit.category}
    for ranked in sorted(ranking.competitors, key=lambda r: (-r.status, -r.hit.priority)):
        if len(picked) >= MAX_EVIDENCE - 2:
            break
        if ranked.hit.category not in seen and ranked.hit.priority > 10 and ranked.status == LIVE:
            seen.add(ranked.hit.category)
            picked.append(ranked.hit)
    picked += failed[:2]
    rest = sorted(dict.fromkeys(picked[1:]), key=lambda h: (h.source_index, h.line))
    summary = _summary(hit.category, hit)
    if ranking.context is not None:  # a bootstrap action: what failed, then why
        marker = shorten(strip_prefix(ranking.context.text), 140)
        summary = f"{hit.category.label}: {marker}; its log says: {summary.split(': ', 1)[1]}"
        picked.append(ranking.context)
    rest = sorted(dict.fromkeys(picked[1:]), key=lambda h: (h.source_index, h.line))
    return Diagnosis(
        category=hit.category,
        summary=summary,
        decisive_line=_evidence(hit),
        evidence=tuple(_evidence(h) for h in [hit, *rest]),
        source=hit.file,
        searched=searched_t,
        missing=missing_t,
        rule=hit.rule.name,
        why=tuple(ranking.why),
        incomplete=incomplete_t,
    )


def _best_marker(failed: Sequence[Hit]) -> Hit:
    """The failure marker that says most: a container's or application master's exit statement (which
    container, which status) over a bare "it failed"; the earliest of equals."""
    return max(failed, key=lambda h: (h.priority, -h.source_index, -h.line))


def _without_cause(
    scans: Sequence[SourceScan],
    failed: Sequence[Hit],
    known_failed: bool,
    searched: tuple[str, ...],
    missing: tuple[str, ...],
    total_lines: int,
    incomplete: tuple[str, ...],
    wrappers: Sequence[Hit] = (),
) -> Diagnosis:
    if failed:
        marker = _best_marker(failed)
        others = [h for h in (*wrappers, *failed) if h is not marker][: MAX_EVIDENCE - 1]
        why = ["a failure marker without a recognised cause"]
        if wrappers:
            why.append(
                f"{_where(wrappers[0])} only wraps the failure (a framework wrapper), it names no cause"
            )
        return Diagnosis(
            category=FailureCategory.UNKNOWN,
            summary=_summary(FailureCategory.UNKNOWN, marker) + "; no known cause in the logs",
            decisive_line=_evidence(marker),
            evidence=tuple(_evidence(h) for h in [marker, *others]),
            source=marker.file,
            searched=searched,
            missing=missing,
            rule=marker.rule.name,
            why=tuple(why),
            incomplete=incomplete,
        )
    if known_failed:
        tail = next((s for s in scans if s.tail), None)
        last = Evidence(file=tail.name, line=tail.lines, text=tail.tail[-1]) if tail else None
        quoted = f": last line {clip(last.text, 200)!r}" if last else ""
        return Diagnosis(
            category=FailureCategory.UNKNOWN,
            summary=f"{FailureCategory.UNKNOWN.label}: no known error in {total_lines} lines"
            f" of {len(scans)} logs{quoted}",
            decisive_line=last,
            evidence=(last,) if last else (),
            source=tail.name if tail else None,
            searched=searched,
            missing=missing,
            why=("the run failed (its state says so) but no line names a cause; the last line is quoted",),
            incomplete=incomplete,
        )
    truncated = " (some logs could not be read to their end: see Not found)" if incomplete else ""
    return Diagnosis(
        category=FailureCategory.NO_FAILURE_FOUND,
        summary=f"No failure found in {total_lines} lines of {len(scans)} logs{truncated}",
        searched=searched,
        missing=missing,
        incomplete=incomplete,
    )
