"""The decisive clause of a log line, and a shortening that never cuts it.

A summary must keep the part of the line that names the missing thing, the denied action or the
exhausted resource (``is not authorized to perform: glue:GetTable on resource: ...``, ``No module
named 'pandas'``, ``Path does not exist: s3://...``). Long lines are shortened *around* that clause, at
word or punctuation boundaries, never at a fixed width.
"""

from __future__ import annotations

import re

_LOG_PREFIX = re.compile(
    r"^\S+(?: \S+)?\s+(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\s+(?:\[[^\]]*\]\s+)?[\w.$\-]+:\s+"
)
_PACKAGE = re.compile(r"\b(?:[a-z_][\w$]*\.){2,}(?=[A-Z][\w$]*(?:Exception|Error)\b)")

# Clauses that carry the cause, most telling first. Each ends where its object ends.
CLAUSES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"is not authorized to perform: [\w:*\-]+(?: on resource: \S+)?(?: because [^.;]+)?",
        r"not authorized to perform [\w:*\-]+",
        r"is not authorized to \w+ [^.;]+",
        r"No module named '[^']+'",
        r"cannot import name '[^']+'(?: from '[^']+')?",
        r"\[[A-Z_]+(?:\.[A-Z_]+)?\][^.]*(?:\.|$)",
        r"(?:Input )?[Pp]ath does not exist: \S+",
        r"(?:Table|View|Database|Schema) (?:or view )?(?:not found|'[^']+' does not exist)[^.;]*",
        r"The specified (?:key|bucket) does not exist",
        r"No such file or directory:? '?\S+",
        r"File \S+ does not exist",
        r"(?:ClassNotFoundException|NoClassDefFoundError): \S+",
        r"Failed to find data source: \S+",
        r"Could not find or load main class \S+",
        r"Access Denied \([^)]*\)",
        r"Forbidden \([^)]*\)",
        r"\(AccessDenied(?:Exception)?\) when calling the \w+ operation",
        r"Status Code: 40[34][^)]*",
        r"No space left on device",
        r"could only be (?:written|replicated) to \d+ nodes? instead of minReplication \(=\d+\)",
        r"(?:The DiskSpace|The NameSpace) quota of \S+ is exceeded[^.]*",
        r"is running beyond (?:physical|virtual) memory limits\. Current usage: [^.]+(?:\.[^.]+)?",
        r"(?:killed|Killed) by YARN for exceeding (?:physical |virtual )?memory limits\.?(?: [\d.]+ [KMGT]B of [\d.]+ [KMGT]B (?:physical|virtual) memory used)?",
        r"Total size of serialized results of \d+ tasks \([^)]*\) is bigger than spark\.driver\.maxResultSize \([^)]*\)",
        r"OutOfMemoryError: [\w ]+",
        r"GC overhead limit exceeded",
        r"OOMKilled",
        r"[Ee]xit (?:code|status)(?: is)?:? ?-?\d+",
        r"Query exceeded [^.;]+",
        r"timed out after [^.;]+",
        r"Insufficient Lake Formation permission\(s\)[^.;]*",
    )
)


def strip_prefix(text: str) -> str:
    """The line without its log4j prefix, ``Caused by:`` and Java package names."""
    text = _LOG_PREFIX.sub("", text.strip())
    text = re.sub(r"^Caused by:\s*", "", text)
    return _PACKAGE.sub("", text)


def decisive_span(text: str) -> tuple[int, int] | None:
    """Where the decisive clause of ``text`` is (the first pattern of :data:`CLAUSES` found)."""
    for pattern in CLAUSES:
        match = pattern.search(text)
        if match:
            return match.start(), match.end()
    return None


def _boundary_before(text: str, pos: int, floor: int) -> int:
    """The nearest word/punctuation boundary at or before ``pos`` (not before ``floor``)."""
    if pos >= len(text):
        return len(text)  # the rest fits: nothing to cut
    for i in range(pos, floor, -1):
        if text[i - 1] in " ;,(" or text[i - 1 : i + 1] == ": ":
            return i
    return floor


def _boundary_after(text: str, pos: int, ceiling: int) -> int:
    for i in range(pos, ceiling):
        if text[i] in " ;,)" or text[i] == ".":
            return i + (1 if text[i] in ").;" else 0)
    return ceiling


def shorten(text: str, limit: int = 240) -> str:
    """``text`` in at most about ``limit`` characters, keeping its decisive clause whole.

    The head (the exception's name and the start of its message) is kept; when the line is too long,
    the middle is replaced by ``…`` so that the decisive clause and a little context around it stay.
    Cuts fall on word or punctuation boundaries. A decisive clause longer than ``limit`` is kept whole.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    span = decisive_span(text)
    if span is None:
        # no known clause: the innermost exception (the last "Name: message" on the line) leads
        inner = list(re.finditer(r"(?<![\w.$])[A-Z][\w$]*(?:Exception|Error): ", text))
        start = inner[-1].start() if len(inner) > 1 else 0
        end = _boundary_before(text, start + limit, start + limit // 2)
        head = "… " if start else ""
        return head + text[start:end].rstrip(" ,;:") + ("…" if end < len(text) else "")
    start, end = span
    room = max(limit - (end - start), 0)
    head_end = _boundary_before(text, min(room // 2, start), 0) if start > room // 2 else start
    head = text[:head_end].rstrip() if head_end else ""
    left = _boundary_before(text, max(start - room // 4, head_end), head_end) if start > head_end else start
    right = _boundary_after(text, min(end + room // 4, len(text)), len(text)) if end < len(text) else end
    middle = text[left:right].strip()
    parts = [head] if head else []
    if left > head_end:
        parts.append("…")
    parts.append(middle)
    out = " ".join(parts)
    return out + (" …" if right < len(text) else "")
