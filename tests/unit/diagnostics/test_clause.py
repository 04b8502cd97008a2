"""Summaries keep the decisive clause: the denied action, the missing thing, the exhausted resource."""

from __future__ import annotations

from emr_dags.diagnostics import diagnose_text
from emr_dags.diagnostics.clause import shorten


def test_the_denied_action_and_resource_survive_a_long_line() -> None:
    line = (
        "25/11/25 03:05:00 ERROR GlueCatalog: "
        + "com.amazonaws.services.glue.model.AccessDeniedException: "
        + "x" * 30
        + " " * 1
        + "context " * 40
        + "User: arn:aws:sts::123456789012:assumed-role/EMR_EC2_Role/i-0abc is not authorized to perform: "
        "glue:GetTable on resource: arn:aws:glue:eu-west-1:123456789012:table/sales/orders because no "
        "identity-based policy allows the glue:GetTable action (Service: AWSGlue; Status Code: 400)"
        + " trailer"
        * 40
    )
    summary = diagnose_text("stderr", [line]).summary
    assert "is not authorized to perform: glue:GetTable on resource: arn:aws:glue:eu-west-1" in summary
    assert "because no identity-based policy allows the glue:GetTable action" in summary
    assert len(summary) < 420


def test_shortening_cuts_on_boundaries_never_inside_a_word() -> None:
    text = "ValueError: " + " ".join(f"word{i}" for i in range(200))
    short = shorten(text, 120)
    assert len(short) <= 125
    body = short.rstrip("…").rstrip()
    assert body.split()[-1].startswith("word")
    assert body.split()[-1] in text.split()


def test_the_missing_module_is_kept() -> None:
    line = (
        "ModuleNotFoundError: No module named 'great_expectations'" + " (while importing plugin chain)" * 20
    )
    assert "No module named 'great_expectations'" in shorten(line, 100)


def test_a_short_line_is_quoted_whole_without_its_log_prefix() -> None:
    summary = diagnose_text(
        "stderr", ["25/11/25 03:05:00 ERROR Executor: java.io.IOException: No space left on device"]
    ).summary
    assert summary.startswith("Disk full: IOException: No space left on device")


def test_shorten_keeps_a_late_inner_exception_whose_message_runs_to_the_end_of_the_line():
    # No known clause; the innermost "Name: message" starts near the end, so start + limit passes the
    # end of the text (this raised IndexError).
    text = "x" * 230 + " WrapperException: failed: InnerError: bad row 7"
    out = shorten(text, 100)
    assert out == "… InnerError: bad row 7"
    assert not out.endswith("…")
