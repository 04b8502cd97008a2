"""How emr-dags marks the resources it creates so a later try can find them again.

Names stay as the user wrote them: clusters, applications and job runs are found again by their
``emr-dags:key`` tag (proof of ownership, see :mod:`emr_dags.tags`) and, where the API has one, a
``clientToken`` (AWS-side idempotency). Only EMR steps, which have neither tags nor a token, carry
the key in their name, as the suffix `` [emr-dags:<key>]`` (the step ``Name`` allows any character,
up to 256). A user's name is never shortened to make room: a step name too long for the suffix is
an :class:`EmrConfigError`.
"""

from __future__ import annotations

from emr_dags.errors import EmrConfigError

MAX_STEP_NAME = 256  # botocore emr XmlStringMaxLen256
KEY_LEN = 32  # emr_dags.tags.resource_key
MARKER_LEN = len(" [emr-dags:]") + KEY_LEN


def marker(key: str) -> str:
    return f"[emr-dags:{key}]"


def step_name_room(name: str) -> int:
    """How many characters a step name may still grow by (negative: too long for the key suffix)."""
    return MAX_STEP_NAME - MARKER_LEN - len(name)


def check_step_name(name: str, owner: str, field: str = "step.Name") -> None:
    """Parse-time check: a step name must leave room for the key suffix (no truncation)."""
    if "{{" in name or step_name_room(name) >= 0:
        return
    raise EmrConfigError(
        f"{owner}.{field}: {name[:60]!r}... is {len(name)} characters long; expected at most "
        f"{MAX_STEP_NAME - MARKER_LEN} (EMR allows {MAX_STEP_NAME}, emr-dags appends "
        f"' [emr-dags:<key>]', {MARKER_LEN} characters, to find the step again). Shorten the name.",
        spec=owner,
        field=field,
    )


def with_marker(name: str, key: str) -> str:
    """A step ``name`` with the key marker appended; :class:`EmrConfigError` when it would not fit."""
    base = (name or "step").strip()
    if base.endswith(marker(key)):
        return base
    check_step_name(base, "AddJobFlowSteps")
    return f"{base} {marker(key)}"


def has_marker(name: str | None, key: str) -> bool:
    return bool(name) and str(name).endswith(marker(key))


def client_token(key: str, earlier_failed_runs: int, deployment: str | None = None) -> str:
    """A clientToken that is the same for every retry that should re-attach, and new after a failure.

    AWS returns the original job run for a repeated token, including a failed one; counting the
    earlier failed runs of the same key gives the next try a fresh token deterministically. With
    ``deployment``, the key is hashed with it, so two deployments running the same DAG on the same
    schedule (same key) never get each other's job run back for "their" token.
    """
    return f"{scoped_key(key, deployment)}-{earlier_failed_runs}"


def scoped_key(key: str, deployment: str | None) -> str:
    """``key``, or with a deployment, a 32-hex hash of both (a valid ``clientToken`` either way)."""
    if not deployment:
        return key
    import hashlib

    return hashlib.sha256(f"{deployment}\x1f{key}".encode()).hexdigest()[:KEY_LEN]


def tag_list(tags: dict[str, str], existing: list[dict[str, str]] | None = None) -> list[dict[str, str]]:
    """EMR's ``[{"Key":..., "Value":...}]`` tag shape, ours overriding same-key user tags."""
    kept = [t for t in (existing or []) if t.get("Key") not in tags]
    return kept + [{"Key": k, "Value": v} for k, v in tags.items()]


def tag_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in (tags or [])}
