"""How emr-dags marks the resources it creates so a later try can find them again.

Clusters, steps and job runs get a name suffix ``[emr-dags:<key>]`` (cheap to filter in a List call)
and, where the API has them, tags from :mod:`emr_dags.tags` (proof of ownership) and a
``clientToken`` (AWS-side idempotency).
"""

from __future__ import annotations

MAX_NAME = 256


def marker(key: str) -> str:
    return f"[emr-dags:{key}]"


def with_marker(name: str, key: str, *, max_len: int = MAX_NAME) -> str:
    """``name`` with the key marker appended, truncating the human part so the whole fits ``max_len``."""
    suffix = " " + marker(key)
    base = (name or "emr-dags").strip()
    if base.endswith(marker(key)):
        return base[:max_len]
    return base[: max_len - len(suffix)] + suffix


def has_marker(name: str | None, key: str) -> bool:
    return bool(name) and str(name).endswith(marker(key))


def client_token(key: str, earlier_failed_runs: int) -> str:
    """A clientToken that is the same for every retry that should re-attach, and new after a failure.

    AWS returns the original job run for a repeated token, including a failed one; counting the
    earlier failed runs of the same key gives the next try a fresh token deterministically.
    """
    return f"{key}-{earlier_failed_runs}"


def tag_list(tags: dict[str, str], existing: list[dict[str, str]] | None = None) -> list[dict[str, str]]:
    """EMR's ``[{"Key":..., "Value":...}]`` tag shape, ours overriding same-key user tags."""
    kept = [t for t in (existing or []) if t.get("Key") not in tags]
    return kept + [{"Key": k, "Value": v} for k, v in tags.items()]


def tag_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in (tags or [])}
