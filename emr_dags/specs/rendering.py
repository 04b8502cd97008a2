"""Render the Jinja templates inside a spec and validate the result again.

Airflow cannot render a frozen spec in place (its templater assigns attributes), so an operator
that holds a spec renders it with :func:`render_templates`: every templated string, however
deeply nested (steps in a cluster, conf values, tags), goes through the operator's own renderer,
and the spec is rebuilt, which runs every ``__post_init__`` check on the rendered values::

    rendered = render_templates(self.spec, lambda s: self.render_template(s, context))

A rendered ``release_label`` of ``'emr-6'`` then fails exactly as a literal one would.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from emr_dags.specs._common import RENDERED, has_template_marks

T = TypeVar("T")


def render_templates(spec: T, render: Callable[[str], Any]) -> T:
    """A copy of ``spec`` with each templated string replaced by ``render(string)``, re-validated.

    Values that are not templates are passed through untouched, so ``render`` is called only
    where there is something to render. Returns ``spec`` itself when nothing was templated.
    """
    if not dataclasses.is_dataclass(spec) or isinstance(spec, type):
        raise TypeError(f"render_templates expects a spec instance, got {type(spec).__name__}")
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(spec):
        if not f.init:
            continue
        value = getattr(spec, f.name)
        rendered = _render_value(value, render)
        if rendered is not value:
            changes[f.name] = rendered
    if not changes:
        return spec
    # Rendered values are final: a value that renders to text containing "{{" is data, and is
    # checked against the field's rules like a literal instead of being let through as a template.
    token = RENDERED.set(True)
    try:
        return dataclasses.replace(spec, **changes)
    finally:
        RENDERED.reset(token)


def _render_value(value: Any, render: Callable[[str], Any]) -> Any:
    """The rendered value, or ``value`` itself (same object) when it holds no template."""
    if isinstance(value, str):
        return render(value) if has_template_marks(value) else value
    if isinstance(value, enum.Enum) or value is None:
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return render_templates(value, render)
    if isinstance(value, tuple | list):
        items = [_render_value(v, render) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items)
    if isinstance(value, Mapping):
        pairs = [(_render_value(k, render), _render_value(v, render)) for k, v in value.items()]
        if all(k is k0 and v is v0 for (k, v), (k0, v0) in zip(pairs, value.items(), strict=True)):
            return value
        return dict(pairs)
    return value
