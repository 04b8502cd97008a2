"""From the hits of several scanned logs to one :class:`Diagnosis`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from emr_dags.diagnostics.categories import FailureCategory
from emr_dags.diagnostics.model import Diagnosis, Evidence, clip
from emr_dags.diagnostics.rules import Kind

if TYPE_CHECKING:
    from collections.abc import Sequence

    from emr_dags.diagnostics.scan import Hit, SourceScan

CHAIN_GAP_LINES = 2000  # a "Caused by:" this close below an exception belongs to its chain
MAX_EVIDENCE = 12


def _chains(hits: Sequence[Hit]) -> tuple[dict[int, int], set[int]]:
    """Group hits into ``Caused by:`` chains: hit id -> chain id, and the ids of chain roots."""
    chain_of: dict[int, int] = {}
    last_in_chain: dict[int, int] = {}
    previous: Hit | None = None
    for hit in hits:
        if (
            previous is not None
            and hit.caused_by
            and previous.source_index == hit.source_index
            and 0 < hit.line - previous.line <= CHAIN_GAP_LINES
        ):
            chain = chain_of[id(previous)]
        else:
            chain = id(hit)
        chain_of[id(hit)] = chain
        last_in_chain[chain] = id(hit)
        previous = hit
    return chain_of, set(last_in_chain.values())


def _evidence(hit: Hit) -> Evidence:
    return Evidence(file=hit.file, line=hit.line, text=hit.text)


_LOG_PREFIX = re.compile(
    r"^\S+(?: \S+)?\s+(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\s+(?:\[[^\]]*\]\s+)?[\w.$]+:\s+"
)


def _summary(category: FailureCategory, hit: Hit) -> str:
    """``<title>: <decisive line without its log4j prefix> [<file>:<line>]``."""
    where = f"{hit.file.rsplit('/', 1)[-1]}:{hit.line}" if hit.line else hit.file
    quoted = _LOG_PREFIX.sub("", hit.text.strip())
    return f"{category.label}: {clip(quoted, 240)} [{where}]"


def explain(
    scans: Sequence[SourceScan],
    *,
    known_failed: bool = False,
    searched: Sequence[str] = (),
    missing: Sequence[str] = (),
) -> Diagnosis:
    """Pick the decisive line among every scan's hits and build the diagnosis.

    ``known_failed`` says the caller knows the run failed (e.g. the step is FAILED), so success
    markers in the logs (an earlier attempt, another step) do not turn it into ``no_failure_found``.
    """
    hits = sorted((h for s in scans for h in s.hits), key=lambda h: (h.source_index, h.line))
    causes = [h for h in hits if h.rule.kind in (Kind.CAUSE, Kind.EXCEPTION)]
    failed = [h for h in hits if h.rule.kind is Kind.FAILED]
    success = [h for h in hits if h.rule.kind is Kind.SUCCESS]
    searched_t = tuple(searched) or tuple(s.name for s in scans)
    missing_t = tuple(missing)
    total_lines = sum(s.lines for s in scans)

    if not known_failed and success and not failed and not any(h.priority >= 95 for h in causes):
        return Diagnosis(
            category=FailureCategory.NO_FAILURE_FOUND,
            summary=f"No failure found; the run reports success: {clip(success[-1].text.strip(), 200)}",
            decisive_line=None,
            evidence=(_evidence(success[-1]),),
            source=success[-1].file,
            searched=searched_t,
            missing=missing_t,
            rule=success[-1].rule.name,
        )
    if not causes:
        return _without_cause(scans, failed, known_failed, searched_t, missing_t, total_lines)

    chain_of, roots = _chains(causes)
    best = max(
        causes,
        key=lambda h: (h.priority, id(h) in roots, -h.source_index, -h.line),
    )
    chain = chain_of[id(best)]
    picked: list[Hit] = [best]
    picked += [h for h in causes if chain_of[id(h)] == chain and h is not best][:5]
    seen = {best.category}
    for hit in sorted(causes, key=lambda h: -h.priority):
        if len(picked) >= MAX_EVIDENCE - 2:
            break
        if hit.category not in seen and hit.priority > 10:
            seen.add(hit.category)
            picked.append(hit)
    picked += failed[:2]
    rest = sorted(picked[1:], key=lambda h: (h.source_index, h.line))
    return Diagnosis(
        category=best.category,
        summary=_summary(best.category, best),
        decisive_line=_evidence(best),
        evidence=tuple(_evidence(h) for h in [best, *rest]),
        source=best.file,
        searched=searched_t,
        missing=missing_t,
        rule=best.rule.name,
    )


def _without_cause(
    scans: Sequence[SourceScan],
    failed: Sequence[Hit],
    known_failed: bool,
    searched: tuple[str, ...],
    missing: tuple[str, ...],
    total_lines: int,
) -> Diagnosis:
    if failed:
        marker = failed[0]
        return Diagnosis(
            category=FailureCategory.UNKNOWN,
            summary=_summary(FailureCategory.UNKNOWN, marker) + "; no known cause in the logs",
            decisive_line=_evidence(marker),
            evidence=tuple(_evidence(h) for h in failed[:MAX_EVIDENCE]),
            source=marker.file,
            searched=searched,
            missing=missing,
            rule=marker.rule.name,
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
        )
    return Diagnosis(
        category=FailureCategory.NO_FAILURE_FOUND,
        summary=f"No failure found in {total_lines} lines of {len(scans)} logs",
        searched=searched,
        missing=missing,
    )
