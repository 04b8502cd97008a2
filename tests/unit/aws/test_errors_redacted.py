from __future__ import annotations

import pytest

from emr_dags.aws.errors import EmrClusterFailed, EmrJobRunFailed, EmrStepFailed

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize("cls", [EmrClusterFailed, EmrStepFailed, EmrJobRunFailed])
def test_aws_reason_text_quoting_a_credential_is_redacted_in_message_and_reason(cls):
    reason = f"Job failed: aws_secret_access_key={SECRET} rejected"
    exc = cls(f"Step s-1 FAILED: {reason}", resource_id="s-1", state="FAILED", reason=reason)
    assert SECRET not in str(exc)
    assert SECRET not in exc.reason
    assert "aws_secret_access_key=***" in exc.reason
    assert exc.resource_id == "s-1"
