"""What every emr-dags operator shares: the AWS target, the ownership key, the wait budget, deferral.

Parameters documented once here and accepted by every operator:

:param aws_conn_id: Airflow AWS connection (the stock ``aws`` type). Default ``aws_default``.
:param region_name: region override; default from the connection.
:param deferrable: wait in the triggerer (default) instead of holding a worker slot.
:param poll_interval: seconds between status checks. With deferral, every task waiting on the same
    cluster/application shares one check per interval.
:param wait_timeout: the wait budget. Default: the task's ``execution_timeout``; if neither is set,
    the wait is unbounded (EMR jobs can legitimately run for days; emr-dags adds no hidden cap).
:param generation: part of the ownership key. Bump it (e.g. ``"{{ dag_run.conf.get('emr_generation', 0) }}"``)
    to force a fresh resource instead of re-attaching to the one an earlier try created.
:param cancel_on_kill: cancel the AWS work when the task is killed, marked or cleared by a user.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.sdk import BaseOperator

from emr_dags import tags as tagmod
from emr_dags.aws.requests import render as render_request
from emr_dags.errors import EmrConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from airflow.sdk import Context

    from emr_dags.triggers.base import EmrWaitTrigger

log = logging.getLogger(__name__)

T = TypeVar("T")

# Extra time the Airflow-side defer timeout allows beyond our own deadline: the trigger fires a
# "timeout" event at the deadline so the operator can cancel the AWS work; Airflow's own timeout
# is only a backstop for a triggerer that is down, and must not pre-empt that event.
DEFER_GRACE = dt.timedelta(minutes=5)


def _as_timedelta(value: dt.timedelta | float | int | None, owner: str) -> dt.timedelta | None:
    if value is None or isinstance(value, dt.timedelta):
        return value
    if isinstance(value, int | float) and value > 0:
        return dt.timedelta(seconds=value)
    raise EmrConfigError(
        f"{owner}.wait_timeout: {value!r} is not a duration; expected a timedelta or seconds > 0",
        spec=owner,
        field="wait_timeout",
    )


class EmrBaseOperator(BaseOperator):
    """Base for emr-dags operators. See the module docstring for the shared parameters."""

    ui_color = "#f9c915"

    def __init__(
        self,
        *,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        deferrable: bool = True,
        poll_interval: float = 30.0,
        wait_timeout: dt.timedelta | float | None = None,
        generation: int | str = 0,
        cancel_on_kill: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not (isinstance(poll_interval, int | float) and poll_interval > 0):
            raise EmrConfigError(
                f"{type(self).__name__}.poll_interval: {poll_interval!r} is not a positive number of seconds",
                spec=type(self).__name__,
                field="poll_interval",
            )
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.deferrable = deferrable
        self.poll_interval = float(poll_interval)
        self.wait_timeout = _as_timedelta(wait_timeout, type(self).__name__)
        self.generation = generation
        self.cancel_on_kill = cancel_on_kill

    # -- requests and templates -----------------------------------------------------------
    # (template field, spec, render method, its args) when the request came from a spec.
    _spec_source: tuple[str, Any, str, tuple[Any, ...]] | None = None

    def request_from(self, field: str, spec: Any, method: str, *args: Any) -> dict[str, Any]:
        """The AWS request for template field ``field``: ``spec.<method>(*args)``, or a copy of a dict.

        A spec is remembered, so that :meth:`render_template_fields` rebuilds ``field`` from the
        rendered spec: every spec rule (whitespace in ``sparkSubmitParameters`` values, bucket
        names, ...) then holds for what ``dag_run.conf`` put into the templates, not only for the
        literal values the DAG file was parsed with.
        """
        request = render_request(spec, method, *args, owner=f"{type(self).__name__}.{field}")
        request.pop("clientToken", None)  # the operator adds a deterministic one
        if not isinstance(spec, Mapping):
            self._spec_source = (field, spec, method, args)
        return request

    def render_template_fields(self, context: Context, jinja_env: Any = None) -> None:
        fill_date_macros(context)
        super().render_template_fields(context, jinja_env)
        if self._spec_source is not None:
            field, spec, method, args = self._spec_source
            rendered = render_spec(self, spec, lambda text: self.render_template(text, context, jinja_env))
            setattr(self, field, self.request_from(field, rendered, method, *args))

    # -- identity -------------------------------------------------------------------------
    def _generation(self) -> int:
        try:
            return int(self.generation or 0)
        except (TypeError, ValueError):
            raise EmrConfigError(
                f"{type(self).__name__}.generation: {self.generation!r} is not an integer",
                spec=type(self).__name__,
                field="generation",
            ) from None

    def ownership(self, context: Context, task_id: str | None = None) -> tuple[str, dict[str, str]]:
        """(key, tags) for the resource this task instance owns; same across retries and restarts."""
        ti = context["ti"]
        args = (ti.dag_id, ti.run_id, task_id or ti.task_id, self.map_index(context), self._generation())
        return tagmod.resource_key(*args), tagmod.ownership_tags(*args, group_id=self.group_id())

    @staticmethod
    def map_index(context: Context) -> int:
        map_index = getattr(context["ti"], "map_index", -1)
        return -1 if map_index is None else int(map_index)

    def group_id(self) -> str:
        """The task group this task belongs to ("" at the DAG's top level); part of the owner."""
        group = getattr(getattr(self, "task_group", None), "group_id", None)
        if group is None:  # built outside a DAG (tests, scripts): the "group." prefix of the task id
            group = self.task_id.rpartition(".")[0]
        return str(group or "")

    def reject_reserved_tags(self, request: dict[str, Any], member: str, field: str) -> None:
        """Refuse user tags in the reserved ``emr-dags:`` prefix in a request dict (specs check their own)."""
        raw = request.get(member)
        keys = [t.get("Key") for t in raw if isinstance(t, dict)] if isinstance(raw, list) else raw
        if isinstance(keys, dict | list):
            tagmod.reject_reserved(keys, type(self).__name__, f"{field}.{member}")

    def target(self) -> Any:
        from emr_dags.aws.clients import AwsTarget

        # verify / botocore_config are read when an operator carries them (the provider conventions)
        return AwsTarget(
            self.aws_conn_id,
            self.region_name,
            verify=getattr(self, "verify", None),
            botocore_config=getattr(self, "botocore_config", None),
        )

    # -- wait budget ------------------------------------------------------------------------
    def deadline(self, context: Context) -> dt.datetime | None:
        """When the wait must give up: explicit ``wait_timeout`` from now, else the task's
        ``execution_timeout`` measured from the start of this try, else never."""
        now = dt.datetime.now(dt.UTC)
        if self.wait_timeout is not None:
            return now + self.wait_timeout
        if self.execution_timeout is not None:
            start = getattr(context["ti"], "start_date", None) or now
            if start.tzinfo is None:
                start = start.replace(tzinfo=dt.UTC)
            return start + self.execution_timeout
        return None

    def defer_to(self, trigger: EmrWaitTrigger, method_name: str, deadline: dt.datetime | None) -> None:
        trigger.deadline = deadline.isoformat() if deadline else None
        timeout = None
        if deadline is not None:
            # The trigger itself reports the deadline (so we can clean up); see DEFER_GRACE.
            timeout = max(deadline - dt.datetime.now(dt.UTC), dt.timedelta(0)) + DEFER_GRACE
        self.defer(trigger=trigger, method_name=method_name, timeout=timeout)

    def wait_sync(
        self,
        poll: Callable[[], dict[str, str]],
        active: tuple[str, ...],
        deadline: dt.datetime | None,
        what: str,
    ) -> tuple[str, dict[str, str]]:
        """Poll until no id is in an ``active`` state; returns ("success"|"timeout", states).

        Logs one line per state change. Used when ``deferrable=False``.
        """
        seen: dict[str, str] = {}
        while True:
            states = poll()
            for rid, state in states.items():
                if seen.get(rid) != state:
                    self.log.info("%s %s is %s", what, rid, state)
                    seen[rid] = state
            if states and all(s not in active for s in states.values()):
                return "success", seen
            if deadline is not None and dt.datetime.now(dt.UTC) >= deadline:
                return "timeout", seen
            time.sleep(self.poll_interval)


def render_spec(op: BaseOperator, spec: T, renderer: Callable[[str], Any]) -> T:
    """The one re-check after rendering, shared by every operator: ``spec`` with its templates
    rendered and every ``__post_init__`` rule run again on the rendered values.

    Values from ``dag_run.conf`` or XCom are data: a rendered ``"4g --jars s3://x/y.jar"`` in a
    Spark conf value fails here exactly as the same literal would at parse time, before any AWS call.
    """
    from emr_dags.specs.rendering import render_templates

    try:
        return render_templates(spec, renderer)
    except EmrConfigError as exc:
        raise EmrConfigError(
            f"{op.task_id}: after rendering its templates, {exc}",
            spec=exc.spec,
            field=exc.field,
        ) from None


# Date macros Airflow 3 leaves undefined for runs without a logical date (manual triggers from the CLI
# or REST API), derived here from the run's ``run_after`` instead.
_DATE_MACROS: dict[str, Callable[[dt.datetime], str]] = {
    "ds": lambda d: d.strftime("%Y-%m-%d"),
    "ds_nodash": lambda d: d.strftime("%Y%m%d"),
    "ts": lambda d: d.isoformat(),
    "ts_nodash": lambda d: d.strftime("%Y%m%dT%H%M%S"),
    "ts_nodash_with_tz": lambda d: d.isoformat().replace("-", "").replace(":", ""),
}


def fill_date_macros(context: Any) -> None:
    """Give ``{{ ds }}`` and friends a value for runs that have no logical date.

    Airflow 3 triggers a manual run (``airflow dags trigger``, the REST API) without a logical date,
    and a DAG whose templates say ``{{ ds }}`` then fails at render time with ``'ds' is undefined``.
    emr-dags operators use the run's ``run_after`` (when it was triggered) instead, so one DAG file
    works for scheduled runs, backfills and manual triggers alike. Keys already set are kept.
    """
    if context.get("logical_date") is not None:
        return
    when = getattr(context.get("dag_run"), "run_after", None) or dt.datetime.now(dt.UTC)
    for key, render in _DATE_MACROS.items():
        if context.get(key) is None:
            context[key] = render(when)


# How long a failed task waits for EMR to upload the logs it diagnoses (EMR uploads them minutes late).
DIAGNOSIS_WAIT_SECONDS = 120.0


def diagnose(kind: str, **kwargs: Any) -> dict[str, Any] | None:
    """Run emr_dags.diagnostics for a failed resource; never raises (must not mask the real failure).

    The "Probable cause" block goes to the task log, and the diagnosis to XCom (key ``diagnosis``)
    so the task's extra links and the on-call page can show it.
    """
    try:
        from emr_dags import diagnostics
        from emr_dags.diagnostics.redact import redact, redact_value

        fn = getattr(diagnostics, f"diagnose_{kind}")
        kwargs.setdefault("wait_seconds", DIAGNOSIS_WAIT_SECONDS)
        result = fn(**kwargs)
        # a Diagnosis is redacted when built; redacted again here, the last stop before log and XCom
        log.error("\n%s", redact(result.format_block()))
        payload: dict[str, Any] = redact_value(dict(result.to_dict()))
    except Exception as exc:
        log.warning("Diagnosis unavailable: %s", exc)
        return None
    try:
        from airflow.sdk import get_current_context

        get_current_context()["ti"].xcom_push(key="diagnosis", value=payload)
    except Exception as exc:  # outside a running task (tests, scripts): nothing to push to
        log.debug("Diagnosis not pushed to XCom: %s", exc)
    return payload
