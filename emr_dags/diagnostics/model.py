"""The result of a diagnosis: :class:`Evidence` lines and the :class:`Diagnosis` itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emr_dags.diagnostics.categories import FailureCategory
from emr_dags.diagnostics.clause import shorten
from emr_dags.diagnostics.redact import redact

BLOCK_START = "===== emr-dags: Probable cause ====="
BLOCK_END = "===== end of probable cause ====="
_MAX_QUOTE = 300


def clip(text: str, limit: int = _MAX_QUOTE) -> str:
    """One line, at most ``limit`` characters (long lines end with an ellipsis)."""
    text = text.replace("\t", "    ").rstrip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, kw_only=True, slots=True)
class Evidence:
    """One log line that supports a diagnosis: where it is and what it says.

    ``line`` is 1-based and counts ``\\n``-separated lines of the decompressed file; 0 means the
    text did not come from a file (e.g. a DescribeStep ``FailureDetails`` message). ``file`` and
    ``text`` are redacted here (:mod:`emr_dags.diagnostics.redact`): no credential gets past this point.
    """

    file: str
    line: int
    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "file", redact(self.file))
        object.__setattr__(self, "text", redact(self.text))

    def __str__(self) -> str:
        """``file:line: text``, a long text shortened around its decisive clause (about 300 characters)."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = self.text.replace("\t", "    ").rstrip()
        return f"{where}: {text if len(text) <= _MAX_QUOTE else shorten(text, _MAX_QUOTE - 2)}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "text": self.text}


@dataclass(frozen=True, kw_only=True, slots=True)
class Diagnosis:
    """The probable cause of a failed step or job run.

    ``found_failure`` is False (and ``category`` is ``no_failure_found``) when nothing in the logs
    looks like a failure, e.g. the logs of a successful run, or logs that are not there yet.
    Every text field is redacted here, as :class:`Evidence` is, so every output of a diagnosis
    (task log, XCom, CLI, plugin page) starts from credential-free text.
    ``why`` says why the decisive line was chosen over the others (and which were passed over);
    ``incomplete`` names the logs that could not be read to their end (a truncated or corrupt gzip,
    an unreadable file): the diagnosis used what was read, and may have missed the cause.
    """

    category: FailureCategory
    summary: str
    decisive_line: Evidence | None = None
    evidence: tuple[Evidence, ...] = ()
    source: str | None = None
    searched: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    rule: str | None = None
    why: tuple[str, ...] = ()
    incomplete: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "summary", redact(self.summary))
        object.__setattr__(self, "source", redact(self.source) if self.source else self.source)
        object.__setattr__(self, "searched", tuple(redact(s) for s in self.searched))
        object.__setattr__(self, "missing", tuple(redact(m) for m in self.missing))
        object.__setattr__(self, "why", tuple(redact(w) for w in self.why))
        object.__setattr__(self, "incomplete", tuple(redact(i) for i in self.incomplete))

    @property
    def found_failure(self) -> bool:
        return self.category is not FailureCategory.NO_FAILURE_FOUND

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``evidence`` is a list of ``file:line: text`` strings."""
        return {
            "category": self.category.value,
            "found_failure": self.found_failure,
            "summary": self.summary,
            "decisive_line": self.decisive_line.to_dict() if self.decisive_line else None,
            "evidence": [str(e) for e in self.evidence],
            "source": self.source,
            "searched": list(self.searched),
            "missing": list(self.missing),
            "rule": self.rule,
            "why": list(self.why),
            "incomplete": list(self.incomplete),
        }

    def format_block(self) -> str:
        """A clearly marked multi-line block to print at the end of a task log."""
        lines = [BLOCK_START, f"Category: {self.category.value} ({self.category.label})", self.summary]
        if self.source:
            lines.append(f"Full log: {self.source}")
        if self.why:
            lines.append("Why:")
            lines.extend(f"  {w}" for w in self.why)
        if self.evidence:
            lines.append("Evidence:")
            lines.extend(f"  {e}" for e in self.evidence)
        if self.searched:
            lines.append(f"Searched ({len(self.searched)}):")
            lines.extend(f"  {s}" for s in self.searched[:20])
            if len(self.searched) > 20:
                lines.append(f"  ... and {len(self.searched) - 20} more")
        if self.missing:
            lines.append("Not found:")
            lines.extend(f"  {m}" for m in self.missing)
        lines.append(BLOCK_END)
        return "\n".join(lines)
