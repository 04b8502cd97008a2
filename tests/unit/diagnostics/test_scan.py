from __future__ import annotations

import gzip
import io
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emr_dags.diagnostics import FailureCategory, diagnose_paths, diagnose_text
from emr_dags.diagnostics import scan as scan_module
from emr_dags.diagnostics.scan import (
    FIRST_HITS,
    LAST_HITS,
    MAX_LINE_CHARS,
    open_maybe_gzip,
    scan_stream,
    source_role,
)

if TYPE_CHECKING:
    from pathlib import Path

NOISE = "25/11/25 03:10:05 INFO TaskSetManager: Finished task 1.0 in stage 3.0 (TID 45) in 80 ms\n"


def test_gzip_is_detected_by_magic_not_name(tmp_path: Path) -> None:
    path = tmp_path / "stderr"  # no .gz suffix
    path.write_bytes(gzip.compress(b"ModuleNotFoundError: No module named 'pandas'\n"))
    assert diagnose_paths([path]).category is FailureCategory.PYTHON_MODULE_MISSING


def test_line_numbers_count_newlines_across_chunks() -> None:
    body = NOISE * 30_000 + "java.io.IOException: No space left on device\n" + NOISE * 10
    scan = scan_stream(io.BytesIO(body.encode()), name="stderr")
    assert [h.line for h in scan.hits] == [30_001]
    assert scan.lines == 30_011


def test_progress_bars_joined_by_carriage_returns_do_not_hide_the_error() -> None:
    line = "[Stage 3:=====>   (12 + 4) / 200]\r[Stage 3:======>  (13 + 4) / 200]\rjava.lang.OutOfMemoryError: Java heap space"
    diagnosis = diagnose_text("stderr", [line])
    assert diagnosis.category is FailureCategory.DRIVER_OUT_OF_MEMORY
    assert diagnosis.decisive_line is not None
    assert diagnosis.decisive_line.text == "java.lang.OutOfMemoryError: Java heap space"


def test_a_huge_line_without_newline_is_cut_not_buffered_whole() -> None:
    blob = b"x" * (3 << 20) + b" Error: boom" + b"y" * (3 << 20)
    scan = scan_stream(io.BytesIO(blob), name="stderr")
    assert all(len(h.text) <= MAX_LINE_CHARS for h in scan.hits)


def test_kept_hits_are_bounded() -> None:
    lines = ["25/11/25 03:10:05 ERROR Foo: java.lang.IllegalStateException: bad"] * (
        FIRST_HITS + LAST_HITS + 500
    )
    diagnosis = diagnose_text("stderr", lines)
    assert diagnosis.category is FailureCategory.JVM_EXCEPTION
    from emr_dags.diagnostics.scan import scan_lines

    assert len(scan_lines(lines, name="x").hits) == FIRST_HITS + LAST_HITS


def test_quiet_levels_do_not_count_exceptions() -> None:
    diagnosis = diagnose_text(
        "stderr", ["25/11/25 03:10:05 INFO Foo: retrying after java.io.IOException: reset"]
    )
    assert diagnosis.category is FailureCategory.NO_FAILURE_FOUND


def test_root_of_caused_by_chain_beats_the_head() -> None:
    lines = [
        'Exception in thread "main" java.lang.RuntimeException: Failed to load batch',
        "\tat com.acme.Loader.run(Loader.java:10)",
        "Caused by: java.lang.IllegalArgumentException: bad header",
        "\tat com.acme.Header.parse(Header.java:3)",
        "Caused by: java.time.format.DateTimeParseException: Text '2025-13-01' could not be parsed",
    ]
    diagnosis = diagnose_text("stderr", lines)
    assert diagnosis.decisive_line is not None
    assert "DateTimeParseException" in diagnosis.decisive_line.text
    assert len(diagnosis.evidence) == 3


def test_user_exception_beats_framework_wrapper_on_the_same_line() -> None:
    line = (
        "25/11/25 03:10:05 ERROR ApplicationMaster: User class threw exception: org.apache.spark.SparkException: "
        "Job aborted due to stage failure: Lost task 0.3 in stage 1.0 (TID 4) (ip-10-0-1-2 executor 2): "
        "java.lang.ArithmeticException: / by zero"
    )
    diagnosis = diagnose_text(
        "stderr", ["py4j.protocol.Py4JJavaError: An error occurred while calling o1.save.", line]
    )
    assert diagnosis.category is FailureCategory.JVM_EXCEPTION
    assert diagnosis.decisive_line is not None
    assert diagnosis.decisive_line.line == 2


def test_only_a_wrapper_still_gives_a_jvm_exception() -> None:
    diagnosis = diagnose_text("stderr", ["org.apache.spark.SparkException: Job aborted."])
    assert diagnosis.category is FailureCategory.JVM_EXCEPTION


def test_failure_marker_without_cause_is_unknown() -> None:
    diagnosis = diagnose_text(
        "controller", ["2025-11-25T03:16:54.306Z WARN Step failed with exitCode 3 and took 4 seconds"]
    )
    assert diagnosis.category is FailureCategory.UNKNOWN
    assert diagnosis.found_failure


def test_known_failure_with_silent_logs_quotes_the_last_line() -> None:
    diagnosis = diagnose_text("stderr", ["starting", "loading", "segfault at 0 ip 00007f"], known_failed=True)
    assert diagnosis.category is FailureCategory.UNKNOWN
    assert diagnosis.decisive_line is not None
    assert "segfault" in diagnosis.decisive_line.text


def test_executor_log_oom_is_an_executor_oom() -> None:
    assert (
        source_role(
            "s3://b/j-1/containers/application_1_0001/container_1732500000000_0001_01_000004/stderr.gz"
        )
        == "executor"
    )
    assert (
        source_role(
            "s3://b/j-1/containers/application_1_0001/container_1732500000000_0001_01_000001/stderr.gz"
        )
        == "driver"
    )
    name = "logs/containers/application_1732500000000_0001/container_1732500000000_0001_01_000004/stderr"
    diagnosis = diagnose_text(name, ["java.lang.OutOfMemoryError: Java heap space"])
    assert diagnosis.category is FailureCategory.EXECUTOR_OUT_OF_MEMORY


def test_am_container_killed_for_memory_is_a_driver_oom() -> None:
    line = (
        "Diagnostics: Container [pid=1,containerID=container_1732500000000_0001_01_000001] is running beyond "
        "physical memory limits. Current usage: 5.6 GB of 5.5 GB physical memory used"
    )
    assert diagnose_text("stderr", [line]).category is FailureCategory.DRIVER_OUT_OF_MEMORY


def test_open_maybe_gzip_passes_plain_bytes_through() -> None:
    assert open_maybe_gzip(io.BytesIO(b"hello\n")).read() == b"hello\n"
    assert open_maybe_gzip(io.BytesIO(gzip.compress(b"hi\n"))).read() == b"hi\n"


@settings(max_examples=60, deadline=None)
@given(
    before=st.lists(
        st.sampled_from([NOISE.rstrip("\n"), "", "[Stage 3:=>   (1 + 4) / 200]\r", "x" * 300]), max_size=40
    ),
    after=st.lists(st.sampled_from([NOISE.rstrip("\n"), ""]), max_size=10),
    chunk=st.integers(min_value=16, max_value=700),
    gz=st.booleans(),
)
def test_decisive_line_number_does_not_depend_on_chunking(
    before: list[str], after: list[str], chunk: int, gz: bool
) -> None:
    lines = [*before, "java.io.IOException: No space left on device", *after]
    body = ("\n".join(lines) + "\n").encode()
    if gz:
        body = gzip.compress(body)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan_module, "CHUNK_BYTES", chunk)
        patch.setattr(scan_module, "MAX_LINE_BYTES", max(chunk, 400))
        result = scan_stream(open_maybe_gzip(io.BytesIO(body)), name="stderr")
    assert [h.line for h in result.hits] == [len(before) + 1]
    assert result.lines == len(lines)


def test_a_corrupt_gzip_keeps_what_was_read_and_says_why() -> None:
    body = NOISE * 5000 + "java.io.IOException: No space left on device\n" + NOISE * 5000
    data = bytearray(gzip.compress(body.encode(), compresslevel=1))
    data[len(data) * 9 // 10] ^= 0xFF  # damage near the end
    result = scan_stream(open_maybe_gzip(io.BytesIO(bytes(data))), name="stderr.gz")
    assert result.truncated is not None
    assert [h.line for h in result.hits] == [5001]


def test_concatenated_gzip_members_are_read_to_the_end() -> None:
    data = gzip.compress(b"line one\n") + gzip.compress(b"java.io.IOException: No space left on device\n")
    result = scan_stream(open_maybe_gzip(io.BytesIO(data)), name="stderr.gz")
    assert result.truncated is None
    assert [h.line for h in result.hits] == [2]
