"""Streaming, structural scan of one log: bounded memory and time whatever the log's size.

A log is read in 1 MiB chunks (gunzipping on the fly). Candidate lines are found with a few C-speed
byte searches in the lower-cased chunk (:data:`~emr_dags.diagnostics.rules.NEEDLES`; the rarer
:data:`~emr_dags.diagnostics.rules.NEEDLES_NEAR` only in the first and last chunk and in chunks that
hold evidence), so that only those lines are ever decoded. Each candidate is then read for its shape
before its words (:mod:`emr_dags.diagnostics.structure`):

* JVM command lines, echoed configuration and describe-API settings are recognised and ignored;
  the evidence fields of saved JSON (``Message``, ``stateDetails``, ``reason``) are read as lines;
* a Python traceback is followed to its final exception line (whatever that exception is called);
* a JVM exception and its ``Caused by:`` lines form one chain (frames between them are skipped,
  a new log line ends the chain), so the ranking can pick the chain's root;
* lines after the application started shutting down are marked, so that exit 143 and lost RPC
  endpoints are read as the consequences they are.

What is kept per log is bounded: the first and last few hundred hits, the last 64 KiB (the tail), and
the YARN application/container ids it mentions. A log that cannot be read to its end (a truncated or
corrupt gzip, a dropped connection) keeps what was read and says so in :attr:`SourceScan.truncated`.
"""

from __future__ import annotations

import io
import re
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from emr_dags.diagnostics.categories import FailureCategory
from emr_dags.diagnostics.rules import (
    _EXC,
    BENIGN_RX,
    BOOTSTRAP_LOG,
    BOOTSTRAP_ONLY,
    LEVEL_RX,
    NEEDLES,
    NEEDLES_NEAR,
    NEEDLES_NEAR_CASED,
    RULES,
    WRAPPER_PRIORITY,
    WRAPPER_RX,
    Kind,
    Rule,
)
from emr_dags.diagnostics.structure import SHUTDOWN, ignored_shape, json_evidence, path_attempt

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

CHUNK_BYTES = 1 << 20
MAX_LINE_BYTES = 1 << 20  # a "line" longer than this (binary junk, no newline) is cut
MAX_LINE_CHARS = 4000  # what is kept of a matching line
TAIL_BYTES = 64 << 10
FIRST_HITS = 200
LAST_HITS = 800
MAX_IDS = 50
TRACEBACK_REACH = 500  # lines after "Traceback (most recent call last):" that count as Python
CHAIN_REACH = 5000  # a "Caused by:" further than this below its exception starts a new chain
_GZIP_IN = 256 << 10
NEAR_WINDOW = 128 << 10  # bytes around a needle line where the rarer needles are searched
_SALVAGE_MAX = 8 << 20

_PREFILTER = re.compile(  # every needle, for tests
    b"|".join(
        [b"(?i:" + b"|".join(re.escape(n) for n in (*NEEDLES, *NEEDLES_NEAR)) + b")"]
        + [re.escape(n) for n in NEEDLES_NEAR_CASED]
    )
)
_FRAME = b"\tat "
_APP_ID = re.compile(rb"application_\d{10,}_\d{4,}")
_CONTAINER_ID = re.compile(r"container_(?:e\d+_)?\d{10,}_\d{4,}_\d{2}_(\d{6,})")
_EXC_CLASS = re.compile(_EXC + r"\b")
_DRIVER_NAMED = re.compile(r"spark\.driver\.memory|[Dd]river (?:pod|container|process)|-driver\b")
# Needle lines that are known noise, rejected on bytes before any decoding: a zero exit status, and
# warnings every healthy cluster prints. They never make a chunk "hold evidence".
_BYTE_NOISE = re.compile(rb"HiveConf of name|NativeCodeLoader|SLF4J: |errors?=0\b|error_?count[=:] ?0\b")
# "exit status: 0" ends every YARN container that finished well: dropped during the sweep itself.
_ZERO_EXIT = (b"exit status: 0", b"exit code: 0", b"exit code 0", b"exit code is 0", b"exit status 0")
# A new log line (timestamp or level first): it ends a JVM stack trace and its Caused-by chain.
_LOG_LINE = re.compile(rb"\n(?:\d{2,4}[-/]\d\d[-/]\d\d[ T]|\d\d:\d\d:\d\d|\[\d|(?:INFO|WARN|ERROR|DEBUG) )")
_NOT_INDENTED = re.compile(rb"\n(?=[^\s])")
_TRACEBACK = "Traceback (most recent call last)"
_PY_FINAL = re.compile(r"^(?P<name>[A-Za-z_][\w.]*)(?::\s?(?P<msg>.*))?$")
# Packages whose dotted exception names are Python even outside a traceback.
PYTHON_PACKAGES = frozenset(
    {
        "botocore",
        "boto3",
        "pyspark",
        "py4j",
        "pandas",
        "numpy",
        "pyarrow",
        "requests",
        "urllib3",
        "s3fs",
        "sqlalchemy",
        "awswrangler",
        "great_expectations",
    }
)
_QUIET_LEVELS = frozenset({"TRACE", "DEBUG", "INFO"})
_RULE_BY_NAME = {r.name: r for r in RULES}


@dataclass(frozen=True, slots=True)
class Hit:
    """A log line that matched a rule, with where it sits in the log's structure.

    ``shape`` is ``line`` (a plain log line), ``traceback_final`` (the last line of a Python
    traceback), ``chain`` (a JVM exception line that starts a ``Caused by:`` chain) or ``caused_by``
    (a later link of that chain, ``depth`` 1, 2, ...); ``chain`` is the line number of the chain's
    first line (0 when the line is in no chain). ``after_shutdown`` says the application had begun
    shutting down (``Invoking stop() from shutdown hook``, ``Final app status``) above this line.
    """

    source_index: int
    file: str
    line: int
    text: str
    rule: Rule
    category: FailureCategory
    priority: int
    caused_by: bool
    level: str | None = None
    shape: str = "line"
    chain: int = 0
    depth: int = 0
    after_shutdown: bool = False


@dataclass(slots=True)
class SourceScan:
    """What one log yielded."""

    index: int
    name: str
    role: str
    lines: int = 0
    bytes: int = 0
    hits: list[Hit] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)
    tail_lines: list[tuple[int, str]] = field(default_factory=list)  # (line number, text) of the tail
    application_ids: list[str] = field(default_factory=list)
    container_ids: list[str] = field(default_factory=list)
    error: str | None = None
    truncated: str | None = None  # why the log could not be read to its end (what was read is kept)
    ignored: int = 0  # needle lines recognised as command lines, settings or noise
    application: str = ""  # the YARN application (from the path), "" if none
    attempt: int = 0  # the application attempt (from the path), 0 if none


def _sweep(
    hay: bytes, needles: Iterable[bytes], found: list[int], start: int = 0, end: int | None = None
) -> None:
    """Append every offset of every needle in ``hay[start:end]`` (one ``bytes.find`` sweep each: faster
    than one regex alternation)."""
    end = len(hay) if end is None else end
    for needle in needles:
        pos = hay.find(needle, start, end)
        if needle == b"exit":
            while pos != -1:
                if not hay.startswith(_ZERO_EXIT, pos):
                    found.append(pos)
                pos = hay.find(needle, pos + 4, end)
            continue
        while pos != -1:
            found.append(pos)
            pos = hay.find(needle, pos + len(needle), end)


def source_role(name: str) -> str:
    """``driver`` or ``executor``, guessed from a log's path (container 000001 is the driver/AM)."""
    match = _CONTAINER_ID.search(name)
    if match:
        return "driver" if int(match.group(1)) == 1 else "executor"
    lowered = name.lower()
    if "executor" in lowered or "-exec-" in lowered:
        return "executor"
    return "driver"


class _Prefixed(io.RawIOBase):
    """A reader that yields ``head`` and then the rest of ``raw`` (to sniff the gzip magic)."""

    def __init__(self, head: bytes, raw: IO[bytes]) -> None:
        self._head = head
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class TruncatedLog(EOFError):
    """A compressed log ended early or is corrupt; everything before that point was returned."""


class _Gunzip(io.RawIOBase):
    """Streaming gunzip that returns every byte it could decompress before reporting a problem.

    ``gzip.GzipFile`` behind a buffered reader drops the last partly read block when the stream is
    cut short; here the decompressed bytes are returned first and :class:`TruncatedLog` is raised by
    the *next* read. Concatenated gzip members are read one after another.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._z = zlib.decompressobj(31)
        self._input = b""
        self._done = False
        self._problem: str | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(CHUNK_BYTES), b""))
        if self._problem is not None:
            problem, self._problem = self._problem, None
            self._done = True
            raise TruncatedLog(problem)
        out: list[bytes] = []
        wanted = size
        while wanted > 0 and not self._done and self._refill():
            data = self._inflate(wanted)
            out.append(data)
            wanted -= len(data)
        if not out and self._problem is not None:
            return self.read(size)
        return b"".join(out)

    def _refill(self) -> bool:
        """Make sure there is input for the decompressor; False at the end (noting a truncation)."""
        if not self._input:
            self._input = self._raw.read(_GZIP_IN)
            if not self._input:
                if not self._z.eof:
                    self._problem = "the gzip stream ends before its end-of-stream marker"
                self._done = True
                return False
        if self._z.eof:  # a finished member: another one follows, or trailing padding
            if not self._input.startswith(b"\x1f\x8b"):
                self._done = True
                return False
            self._z = zlib.decompressobj(31)
        return True

    def _inflate(self, wanted: int) -> bytes:
        backup = self._z.copy()
        try:
            data = self._z.decompress(self._input, wanted)
        except zlib.error as exc:
            # salvage what precedes the damage: replay the input in small slices from the backup
            self._z, data = backup, b""
            for at in range(0, len(self._input), 1024):
                try:
                    data += self._z.decompress(self._input[at : at + 1024])
                except zlib.error:
                    break
                if len(data) > _SALVAGE_MAX:  # bounded, even for a pathological compression ratio
                    break
            self._problem = f"corrupt gzip data ({exc})"
            self._done = True
            return data
        self._input = self._z.unused_data if self._z.eof else self._z.unconsumed_tail
        return data


def open_maybe_gzip(raw: IO[bytes]) -> IO[bytes]:
    """Wrap ``raw`` in a streaming gunzip if it starts with the gzip magic; never reads it all."""
    head = raw.read(2)
    stream: IO[bytes] = io.BufferedReader(_Prefixed(head, raw), CHUNK_BYTES)
    if head == b"\x1f\x8b":
        return _Gunzip(stream)  # type: ignore[return-value]
    return stream


@dataclass(slots=True)
class _Cursor:
    """Where the scan of one chunk is: lines counted so far, and the end of the last line read."""

    counted: int
    counted_pos: int = 0
    done_until: int = -1
    prev_end: int = 0


def _positions(found: list[int], forced: list[int]) -> Iterator[tuple[int, bool]]:
    """Candidate offsets in order, merged with forced ones (which may be added while iterating)."""
    i = 0
    while i < len(found) or forced:
        if forced and (i >= len(found) or forced[0] <= found[i]):
            yield forced.pop(0), True
        else:
            i += 1
            yield found[i - 1], False


def _segment(buf: bytes, pos: int) -> tuple[int, int, int, int]:
    """The ``\\r``-separated segment around ``pos`` (progress bars) and its line: start, end of each."""
    line_start = buf.rfind(b"\n", 0, pos) + 1
    line_end = buf.find(b"\n", pos)
    if line_end == -1:
        line_end = len(buf)
    seg_start = max(buf.rfind(b"\r", line_start, pos) + 1, line_start)
    seg_end = buf.find(b"\r", pos, line_end)
    return seg_start, line_end if seg_end == -1 else seg_end, line_start, line_end


class _Scanner:
    def __init__(self, scan: SourceScan) -> None:
        self.scan = scan
        self.first: list[Hit] = []
        self.last: deque[Hit] = deque(maxlen=LAST_HITS)
        self.traceback_line = -(10**9)
        self.tail = b""
        self.app_ids: dict[str, None] = {}
        self.container_ids: dict[str, None] = {}
        self.await_final = False  # a Python traceback's final line lies in the next chunk
        self.chain_open = False  # the last candidate belongs to a JVM stack trace that may continue
        self.chain_head = 0
        self.chain_depth = 0
        self.last_line = 0
        self.shutdown_line = 0
        self.logged_traceback = False  # the last traceback came right under a WARNING/INFO log line
        self.went_on = False  # and a log line (not shutdown) came right after its final line

    # --- bytes ------------------------------------------------------------------------------------

    def feed(self, buf: bytes, base_line: int, *, edge: bool = False) -> int:
        """Scan the complete lines ``buf``; ``base_line`` lines precede it. Return its line count.

        ``edge`` marks the first and last chunk of a log, where the rarer needles are always searched.
        """
        found = self._candidates(buf, edge=edge)
        forced = self._pending_final(buf)
        cursor = _Cursor(counted=base_line)
        for pos, is_forced in _positions(found, forced):
            seg_start, seg_end, line_start, line_end = _segment(buf, pos)
            if pos < cursor.done_until:
                continue
            cursor.done_until = seg_end
            if not is_forced and (buf.startswith(_FRAME, seg_start) or buf.startswith(_FRAME[1:], seg_start)):
                continue  # a stack frame: never a cause, and there are thousands
            if not is_forced and _BYTE_NOISE.search(buf, seg_start, seg_end):
                self.scan.ignored += 1
                continue
            cursor.counted += buf.count(b"\n", cursor.counted_pos, line_start)
            cursor.counted_pos = line_start
            if self.chain_open and _LOG_LINE.search(buf, max(cursor.prev_end - 1, 0), line_start):
                self.chain_open = False  # a new log line ends a stack trace
            cursor.prev_end = line_end
            text = (
                buf[seg_start : min(seg_end, seg_start + MAX_LINE_CHARS)].decode("utf-8", "replace").rstrip()
            )
            if _TRACEBACK in text:
                self._traceback_header(buf, line_start, line_end, forced)
            if is_forced:  # a traceback's final line: did the script go on logging after it?
                self.went_on = _LOG_LINE.match(buf, line_end) is not None and not SHUTDOWN.search(
                    buf[line_end : line_end + 300].decode("utf-8", "replace").split("\n", 2)[1]
                )
            self.line(text, cursor.counted + 1, forced=is_forced)
        self._end_of_chunk(buf, cursor.prev_end)
        return buf.count(b"\n")

    def _candidates(self, buf: bytes, *, edge: bool) -> list[int]:
        """Offsets of needles in ``buf``: NEEDLES everywhere, the rarer ones near evidence only."""
        low = buf.lower()
        found: list[int] = []
        _sweep(low, NEEDLES, found)
        windows = [(0, len(buf))] if edge else self._evidence_windows(buf, found)
        for start, end in windows:
            _sweep(low, NEEDLES_NEAR, found, start, end)
            _sweep(buf, NEEDLES_NEAR_CASED, found, start, end)
        found.sort()
        return found

    def _pending_final(self, buf: bytes) -> list[int]:
        """The final line of a traceback whose frames ran past the previous chunk, if it is in this one."""
        if not self.await_final:
            return []
        self.await_final = False
        final = 0 if buf[:1] not in (b" ", b"\t", b"\n", b"\r") else self._final_after(buf, 0)
        return [] if final is None else [final]

    def _traceback_header(self, buf: bytes, line_start: int, line_end: int, forced: list[int]) -> None:
        final = self._final_after(buf, line_end)
        # a header inside an exception line (PythonException: Traceback ...) is the JVM quoting it
        self.logged_traceback = buf.startswith(b"Traceback", line_start) and _logged_before(buf, line_start)
        if final is not None:
            forced.append(final)
            forced.sort()

    def _end_of_chunk(self, buf: bytes, prev_end: int) -> None:
        if self.chain_open and _LOG_LINE.search(buf, max(prev_end - 1, 0)):
            self.chain_open = False
        if len(self.app_ids) < MAX_IDS and b"application_" in buf:
            for app in _APP_ID.findall(buf):
                self.app_ids.setdefault(app.decode(), None)
        self.tail = (self.tail + buf[-TAIL_BYTES:])[-TAIL_BYTES:]

    def _evidence_windows(self, buf: bytes, found: list[int]) -> list[tuple[int, int]]:
        """Merged byte ranges of +-NEAR_WINDOW around every needle line that is more than known noise."""
        windows: list[tuple[int, int]] = []
        for pos in sorted(found):
            if windows and pos < windows[-1][1]:
                continue  # already inside a window
            start = buf.rfind(b"\n", 0, pos) + 1
            end = buf.find(b"\n", pos)
            end = len(buf) if end == -1 else end
            if buf.startswith(_FRAME, start) or _BYTE_NOISE.search(buf, start, end):
                continue
            low, high = max(pos - NEAR_WINDOW, 0), min(pos + NEAR_WINDOW, len(buf))
            if windows and low <= windows[-1][1]:
                windows[-1] = (windows[-1][0], high)
            else:
                windows.append((low, high))
        return windows

    def _final_after(self, buf: bytes, line_end: int) -> int | None:
        """Offset of the first non-indented line after a traceback header, or None if past ``buf``."""
        match = _NOT_INDENTED.search(buf, max(line_end, 0))
        if match is None:
            self.await_final = True
            return None
        return match.end()

    # --- text -------------------------------------------------------------------------------------

    def line(self, text: str, line_no: int, *, forced: bool = False) -> None:
        scan = self.scan
        if _TRACEBACK in text:
            self.traceback_line = line_no
        if "container_" in text and len(self.container_ids) < MAX_IDS:
            # containers named in a failure-looking line: their logs are read first
            level = LEVEL_RX.match(text)
            if level is None or level.group(1) not in _QUIET_LEVELS:
                for cid in _CONTAINER_ID.finditer(text):
                    self.container_ids.setdefault(cid.group(0), None)
        if not self.shutdown_line and SHUTDOWN.search(text):
            self.shutdown_line = line_no
        entries = json_evidence(text)
        if entries is None:
            if ignored_shape(text):
                scan.ignored += 1
                return
            entries = [text]
        # one field of pretty-printed JSON is quoted as the file has it; a whole document by its fields
        display = text.strip() if len(entries) == 1 and not text.lstrip().startswith("{") else None
        for entry in entries:
            self._classify(entry, line_no, forced=forced, display=display)

    def _classify(self, text: str, line_no: int, *, forced: bool, display: str | None = None) -> None:
        stripped = text.lstrip()
        caused_by = stripped.startswith(("Caused by:", ": ")) and not forced
        shape = "line"
        chain = depth = 0
        if forced and _PY_FINAL.match(stripped):
            shape = "traceback_logged" if self.logged_traceback and self.went_on else "traceback_final"
        elif caused_by and self.chain_open and 0 < line_no - self.last_line <= CHAIN_REACH:
            shape, chain = "caused_by", self.chain_head
            self.chain_depth += 1
            depth = self.chain_depth
        hit = classify(text, line_no=line_no, scan=self.scan, traceback_line=self.traceback_line)
        if hit is None and shape.startswith("traceback_"):
            hit = _traceback_hit(text, line_no, self.scan)
        if hit is None:
            if shape == "caused_by":
                self.last_line = line_no
            return
        if shape.startswith("traceback_") or (shape == "line" and _EXC_CLASS.search(text)):
            # a JVM exception (or py4j's Python wrapper of one) may be followed by its Caused-by chain
            shape = "chain" if shape == "line" else shape
            chain = line_no
            self.chain_head, self.chain_depth, self.chain_open = line_no, 0, True
        elif shape == "caused_by":
            self.chain_open = True
        self.last_line = line_no
        hit = Hit(
            source_index=hit.source_index,
            file=hit.file,
            line=hit.line,
            text=display or hit.text,
            rule=hit.rule,
            category=hit.category,
            priority=hit.priority,
            caused_by=hit.caused_by,
            level=hit.level,
            shape=shape,
            chain=chain,
            depth=depth,
            after_shutdown=bool(self.shutdown_line) and line_no > self.shutdown_line,
        )
        if len(self.first) < FIRST_HITS:
            self.first.append(hit)
        else:
            self.last.append(hit)

    def finish(self, total_lines: int) -> SourceScan:
        scan = self.scan
        scan.lines = total_lines
        scan.hits = [*self.first, *self.last]
        pieces = self.tail.split(b"\n")
        ends_with_newline = self.tail.endswith(b"\n")
        numbered = [
            (total_lines - (len(pieces) - 1 - k) + (0 if ends_with_newline else 1), piece)
            for k, piece in enumerate(pieces)
        ][-51:]
        scan.tail_lines = [
            (number, piece.decode("utf-8", "replace").rstrip("\r"))
            for number, piece in numbered
            if piece.strip()
        ][-50:]
        scan.tail = [text for _, text in scan.tail_lines]
        scan.application_ids = list(self.app_ids)
        scan.container_ids = list(self.container_ids)
        return scan


_QUIET_LOG_LINE = re.compile(rb"^\S.*\b(?:WARN|WARNING|INFO)\b")


def _logged_before(buf: bytes, line_start: int) -> bool:
    """Whether the line above a traceback header is a WARNING/INFO log line (``log.warning(..., exc_info=True)``)."""
    if line_start <= 0:
        return False
    previous = buf[buf.rfind(b"\n", 0, line_start - 1) + 1 : line_start - 1]
    return _QUIET_LOG_LINE.match(previous[:200]) is not None


def _traceback_hit(text: str, line_no: int, scan: SourceScan) -> Hit:
    """The final line of a Python traceback is the exception that ended the script, whatever its name."""
    rule = _RULE_BY_NAME["python-exception"]
    return Hit(
        source_index=scan.index,
        file=scan.name,
        line=line_no,
        text=text.rstrip(),
        rule=rule,
        category=FailureCategory.PYTHON_EXCEPTION,
        priority=rule.priority,
        caused_by=False,
    )


def classify(text: str, *, line_no: int, scan: SourceScan, traceback_line: int) -> Hit | None:
    """The best rule matching one line, or None (see :mod:`emr_dags.diagnostics.rules`)."""
    if BENIGN_RX.search(text):
        return None
    level_match = LEVEL_RX.match(text)
    level = level_match.group(1) if level_match else None
    stripped = text.lstrip()
    best: tuple[int, Rule, FailureCategory] | None = None
    in_bootstrap_log = BOOTSTRAP_LOG in scan.name
    for rule in RULES:
        if best is not None and rule.priority <= best[0]:
            continue  # RULES is sorted by priority: nothing below can win
        if rule.name in BOOTSTRAP_ONLY and not in_bootstrap_log:
            continue
        scored = _score(rule, text, stripped, level, line_no - traceback_line)
        if scored is not None and (best is None or scored[0] > best[0]):
            best = (scored[0], rule, scored[1])
    if best is None:
        return None
    priority, rule, category = best
    return Hit(
        source_index=scan.index,
        file=scan.name,
        line=line_no,
        text=text.rstrip(),
        rule=rule,
        category=_refine(category, text, scan.role),
        priority=priority,
        caused_by=stripped.startswith("Caused by:"),
        level=level,
    )


def _score(
    rule: Rule, text: str, stripped: str, level: str | None, since_traceback: int
) -> tuple[int, FailureCategory] | None:
    """Priority and category if ``rule`` matches the line, else None."""
    if not any(k in text for k in rule.keywords) or rule.regex.search(text) is None:
        return None
    if rule.kind is Kind.EXCEPTION:
        return _exception(rule, text, stripped, level, since_traceback)
    if rule.kind is Kind.CAUSE and level in _QUIET_LEVELS:
        return rule.priority - 3, rule.category  # an INFO line quoting a cause is rarely the cause itself
    return rule.priority, rule.category


def _exception(
    rule: Rule, text: str, stripped: str, level: str | None, since_traceback: int
) -> tuple[int, FailureCategory] | None:
    """Priority and category of an "any exception" line, or None when it does not count."""
    if level in _QUIET_LEVELS or stripped.startswith("at "):
        return None
    if rule.category is FailureCategory.PYTHON_EXCEPTION:
        name = text.split(":", 1)[0]
        if (
            "." in name
            and name.split(".", 1)[0] not in PYTHON_PACKAGES
            and not 0 <= since_traceback <= TRACEBACK_REACH
        ):
            return None  # a dotted name outside a traceback is a JVM class
        decisive = text
    else:
        classes = list(_EXC_CLASS.finditer(text))
        if not classes:
            return None
        decisive = text[classes[-1].start() :]  # the innermost exception quoted on the line
    priority = rule.priority - (5 if level in ("WARN", "WARNING") else 0)
    if WRAPPER_RX.search(decisive[:300]) or (decisive is text and WRAPPER_RX.search(text[:300])):
        return WRAPPER_PRIORITY, FailureCategory.JVM_EXCEPTION
    return priority, rule.category


_OTHER_SERVICE_DENIED = re.compile(
    r"is not authorized to perform: (?!s3:)[a-z0-9-]+:|\(Service: (?!(?:Amazon ?)?S3\b|AmazonS3\b)\w+[;)]|"
    r"The ciphertext refers to a customer master key|KMS\w*Exception|AWSKMS"
)


def _refine(category: FailureCategory, text: str, role: str) -> FailureCategory:
    """Driver or executor out of memory, from where the line was and what container it names; an S3
    refusal that names another service's action (``kms:Decrypt``) is that service's permission."""
    if category is FailureCategory.S3_ACCESS_DENIED and _OTHER_SERVICE_DENIED.search(text):
        return FailureCategory.IAM_PERMISSION_DENIED
    if category is FailureCategory.DRIVER_OUT_OF_MEMORY and role == "executor":
        return FailureCategory.EXECUTOR_OUT_OF_MEMORY
    if category is FailureCategory.EXECUTOR_OUT_OF_MEMORY:
        container = _CONTAINER_ID.search(text)
        if (container and int(container.group(1)) == 1) or _DRIVER_NAMED.search(text):
            return FailureCategory.DRIVER_OUT_OF_MEMORY
    return category


def _new_scanner(name: str, index: int, role: str | None) -> _Scanner:
    application, attempt = path_attempt(name)
    return _Scanner(
        SourceScan(
            index=index,
            name=name,
            role=role or source_role(name),
            application=application,
            attempt=attempt,
        )
    )


def scan_stream(stream: IO[bytes], *, name: str, index: int = 0, role: str | None = None) -> SourceScan:
    """Scan a (decompressed) binary stream chunk by chunk.

    A chunk is scanned once the next one is read, so that the last chunk is known as the last. A read
    that fails part-way (a truncated gzip, a dropped connection) ends the scan with what was read;
    :attr:`SourceScan.truncated` says why.
    """
    scanner = _new_scanner(name, index, role)
    carry = b""
    lines = 0
    total = 0
    pending: bytes | None = None
    first = True
    while True:
        try:
            data = stream.read(CHUNK_BYTES)
        except Exception as exc:  # noqa: BLE001 - keep what was read; say why the rest is missing
            scanner.scan.truncated = str(exc) or type(exc).__name__
            break
        if not data:
            break
        total += len(data)
        buf = carry + data
        cut = buf.rfind(b"\n")
        if cut == -1:
            if len(buf) < MAX_LINE_BYTES:
                carry = buf
                continue
            cut = len(buf) - 1
        carry = buf[cut + 1 :]
        if pending is not None:
            lines += scanner.feed(pending, lines, edge=first)
            first = False
        pending = buf[: cut + 1]
    block = (pending or b"") + carry
    if block:
        lines += scanner.feed(block, lines, edge=True)
        if carry:
            lines += 1
    scanner.scan.bytes = total
    return scanner.finish(lines)


def scan_lines(lines: Iterable[str], *, name: str, index: int = 0, role: str | None = None) -> SourceScan:
    """Scan in-memory text lines (bounded: lines are fed in batches of about 1 MiB, all needles)."""
    scanner = _new_scanner(name, index, role)
    batch: list[bytes] = []
    size = 0
    done = 0
    total = 0
    for line in lines:
        data = line.rstrip("\n").encode("utf-8", "replace") + b"\n"
        batch.append(data)
        size += len(data)
        if size >= CHUNK_BYTES:
            scanner.feed(b"".join(batch), done, edge=True)
            done += len(batch)
            total += size
            batch, size = [], 0
    if batch:
        scanner.feed(b"".join(batch), done, edge=True)
        done += len(batch)
        total += size
    scanner.scan.bytes = total
    return scanner.finish(done)
