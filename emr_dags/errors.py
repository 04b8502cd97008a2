"""Typed exceptions shared by every layer of emr-dags."""

from __future__ import annotations


class EmrDagsError(Exception):
    """Base class of every error emr-dags raises on purpose."""


class EmrConfigError(EmrDagsError, ValueError):
    """A spec, parameter or configuration value is invalid.

    The message names the spec, the field, the bad value, what is allowed and the fix, e.g.
    ``ClusterSpec.release_label: 'emr-6' is not a release label; expected like 'emr-7.5.0'``.
    """

    def __init__(self, message: str, *, spec: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.spec = spec
        self.field = field
