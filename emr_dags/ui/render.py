"""Server-rendered HTML for the EMR page. Every value from AWS or Airflow goes through ``escape``."""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from emr_dags.cost.model import format_money
from emr_dags.ui import DIAGNOSIS_PATH
from emr_dags.ui.views import STATE_FILTERS, DagCost, human_age

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from emr_dags.cost.model import CostEstimate
    from emr_dags.cost.prices import PriceTable
    from emr_dags.ops.inventory import ManagedResource
    from emr_dags.ops.reaper import Decision
    from emr_dags.ui.views import FoundDiagnosis, TaskTry

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:16px;color:#1a202c;font-size:14px}
h1{font-size:20px;margin:0 0 4px} .sub{color:#4a5568;margin:0 0 12px}
nav a{margin-right:12px;padding:4px 8px;border-radius:4px;text-decoration:none;color:#2b6cb0}
nav a.on{background:#2b6cb0;color:#fff}
form.filters{margin:12px 0;display:flex;gap:8px;align-items:center;flex-wrap:wrap}
table{border-collapse:collapse;width:100%} th,td{border-bottom:1px solid #e2e8f0;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f7fafc;font-weight:600} td.num{text-align:right;white-space:nowrap}
.state{font-family:monospace;padding:1px 6px;border-radius:3px;background:#edf2f7}
.state.active{background:#c6f6d5} .warn{background:#fffbea;border:1px solid #f6e05e;padding:6px 10px;margin:8px 0}
.msg{background:#ebf8ff;border:1px solid #90cdf4;padding:6px 10px;margin:8px 0}
.est{color:#4a5568;font-size:12px} code{font-size:12px}
"""


def _money(e: CostEstimate | None) -> str:
    if e is None or e.amount is None:
        return '<span class="est">n/a</span>'
    return f'~{escape(format_money(e.amount, e.currency))} <span class="est">est.</span>'


def _a(href: str, text: str, *, top: bool = False) -> str:
    target = ' target="_top" data-airflow="1"' if top else ' target="_blank" rel="noopener" data-external="1"'
    return f'<a href="{escape(href, quote=True)}"{target}>{escape(text)}</a>'


class Urls:
    """Links into Airflow's own UI and back into this page."""

    def __init__(self, airflow_root: str, page_root: str) -> None:
        self.airflow_root = airflow_root.rstrip("/")
        self.page_root = page_root.rstrip("/")

    def dag(self, dag_id: str) -> str:
        return f"{self.airflow_root}/dags/{quote(dag_id, safe='')}"

    def run(self, dag_id: str, run_id: str) -> str:
        return f"{self.dag(dag_id)}/runs/{quote(run_id, safe='')}"

    def task(self, dag_id: str, run_id: str, task_id: str, map_index: int) -> str:
        url = f"{self.run(dag_id, run_id)}/tasks/{quote(task_id, safe='')}"
        return f"{url}/mapped/{map_index}" if map_index >= 0 else url

    def task_log(self, t: TaskTry) -> str:
        url = self.task(t.dag_id, t.run_id, t.task_id, t.map_index)
        return f"{url}?try_number={t.try_number}" if t.try_number is not None else url

    def diagnosis_json(self, t: TaskTry) -> str:
        query = {"dag_id": t.dag_id, "run_id": t.run_id, "task_id": t.task_id, "map_index": t.map_index}
        if t.try_number is not None:
            query["try_number"] = t.try_number
        return f"{self.page_root}/api{DIAGNOSIS_PATH}?{urlencode(query)}"

    def page(self, **params: str | int | None) -> str:
        query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
        return f"{self.page_root}/" + (f"?{query}" if query else "")


def _row(r: ManagedResource, urls: Urls, now: datetime, extra: str = "") -> str:
    links = [_a(r.console_url, "console")]
    if r.logs_url:
        links.append(_a(r.logs_url, "logs"))
    state_cls = "state active" if r.active else "state"
    task = (
        _a(urls.task(r.dag_id, r.run_id, r.task_id, r.map_index), r.task_id, top=True) if r.task_id else "-"
    )
    return (
        f'<tr data-resource-id="{escape(r.id, quote=True)}">'
        f"<td>{escape(r.kind.value)}</td>"
        f"<td><code>{escape(r.id)}</code><br><span class=est>{escape(r.name)}</span></td>"
        f"<td>{_a(urls.dag(r.dag_id), r.dag_id, top=True)}</td>"
        f'<td class="run">{_a(urls.run(r.dag_id, r.run_id), r.run_id, top=True)}</td>'
        f"<td>{task}</td>"
        f'<td><span class="{state_cls}">{escape(r.state)}</span></td>'
        f'<td class="num">{escape(human_age(r.age(now)))}</td>'
        f'<td class="num cost">{_money(r.cost)}</td>'
        f"<td>{' · '.join(links)}</td>{extra}</tr>"
    )


_HEAD = "<tr><th>Kind</th><th>Resource</th><th>DAG</th><th>Run</th><th>Task</th><th>State</th><th>Age</th><th>Est. cost</th><th>Links</th>"


# Airflow frames this page in a sandboxed iframe without allow-top-navigation, so a target=_top link
# is blocked. The frame is same-origin, so a link into Airflow's UI is followed the way Airflow's own
# single-page app navigates: push the URL on the top window's history and tell its router.
_NAV_JS = """
document.addEventListener('click', function (e) {
  var ext = e.target.closest && e.target.closest('a[data-external]');
  if (ext && window.top !== window) {  // the sandbox blocks popups from the frame; open from the top window
    try { window.top.open(ext.href, '_blank', 'noopener'); e.preventDefault(); } catch (err) {}
    return;
  }
  var a = e.target.closest && e.target.closest('a[data-airflow]');
  if (!a || window.top === window) return;
  try {
    var top = window.top, st = top.history.state || {};
    top.history.pushState({usr: null, key: Math.random().toString(36).slice(2), idx: (st.idx || 0) + 1}, '',
                          a.getAttribute('href'));
    top.dispatchEvent(new PopStateEvent('popstate', {state: top.history.state}));
    e.preventDefault();
  } catch (err) { /* not same-origin: let the browser try the link */ }
});
"""


def _shell(
    title: str,
    body: str,
    *,
    view: str,
    urls: Urls,
    table: PriceTable,
    days: int,
    warnings: Sequence[str],
    message: str,
) -> str:
    tabs = "".join(
        f'<a class="{"on" if view == v else ""}" href="{escape(urls.page(view=v, days=days), quote=True)}">{label}</a>'
        for v, label in (("resources", "Resources"), ("orphans", "Orphans"), ("costs", "Cost by DAG"))
    )
    warn = "".join(f'<div class="warn">{escape(w)}</div>' for w in warnings)
    msg = f'<div class="msg">{escape(message)}</div>' if message else ""
    return (
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>EMR resources launched by emr-dags</h1>"
        f'<p class="sub">All costs are <b>estimates</b> from list prices as of <b>{escape(table.as_of)}</b> '
        f"({escape(table.currency)}, no discounts, storage/transfer excluded); last {days} day(s).</p>"
        f"<nav>{tabs}</nav>{msg}{warn}{body}<script>{_NAV_JS}</script></body></html>"
    )


def _filters(
    urls: Urls, *, view: str, dag_ids: Sequence[str], dag_id: str | None, state: str | None, days: int
) -> str:
    dag_opts = '<option value="">all DAGs</option>' + "".join(
        f'<option{" selected" if d == dag_id else ""} value="{escape(d, quote=True)}">{escape(d)}</option>'
        for d in dag_ids
    )
    state_opts = "".join(
        f"<option{' selected' if s == (state or 'all') else ''}>{escape(s)}</option>" for s in STATE_FILTERS
    )
    return (
        f'<form class="filters" method="get" action="{escape(urls.page(), quote=True)}">'
        f'<input type="hidden" name="view" value="{escape(view, quote=True)}">'
        f'<label>DAG <select name="dag_id">{dag_opts}</select></label>'
        f'<label>State <select name="state">{state_opts}</select></label>'
        f'<label>Days <input name="days" type="number" min="1" max="90" value="{days}" style="width:5em"></label>'
        "<button>Filter</button></form>"
    )


def resources_page(
    resources: Sequence[ManagedResource],
    *,
    urls: Urls,
    table: PriceTable,
    now: datetime,
    dag_ids: Sequence[str],
    dag_id: str | None,
    state: str | None,
    days: int,
    warnings: Sequence[str],
    message: str = "",
) -> str:
    rows = (
        "".join(_row(r, urls, now) for r in resources)
        or "<tr><td colspan=9>Nothing launched by emr-dags matches.</td></tr>"
    )
    body = _filters(urls, view="resources", dag_ids=dag_ids, dag_id=dag_id, state=state, days=days)
    body += f'<table id="resources">{_HEAD}</tr>{rows}</table>'
    return _shell(
        "EMR", body, view="resources", urls=urls, table=table, days=days, warnings=warnings, message=message
    )


def orphans_page(
    decisions: Sequence[Decision],
    *,
    urls: Urls,
    table: PriceTable,
    now: datetime,
    dag_ids: Sequence[str],
    dag_id: str | None,
    days: int,
    warnings: Sequence[str],
    can_terminate: Callable[[str], bool],
    message: str = "",
) -> str:
    def action(d: Decision) -> str:
        from emr_dags.ops.reaper import Action

        reason = f"<td>{escape(d.reason)}</td>"
        if d.action is not Action.REAP or not can_terminate(d.resource.dag_id):
            return reason + "<td></td>"  # shown, not terminable here (the action would answer 409)
        r = d.resource
        form = (
            f'<form method="post" action="{escape(urls.page_root, quote=True)}/orphans/terminate">'
            f'<input type="hidden" name="kind" value="{escape(r.kind.value, quote=True)}">'
            f'<input type="hidden" name="id" value="{escape(r.id, quote=True)}">'
            f'<input name="confirm" placeholder="type {escape(r.id, quote=True)}" size="14" required> '
            f"<button>{escape(d.verb)}</button></form>"
        )
        return f"{reason}<td>{form}</td>"

    rows = "".join(_row(d.resource, urls, now, action(d)) for d in decisions)
    rows = (
        rows or "<tr><td colspan=11>No orphans: every active resource belongs to a running DAG run.</td></tr>"
    )
    body = _filters(urls, view="orphans", dag_ids=dag_ids, dag_id=dag_id, state="active", days=days)
    body += (
        '<p class="sub">Still running although their DAG run has ended (or Airflow does not know their '
        "DAG run and their deadline passed). <code>emr-dags reap</code> and the <code>emr_dags_reaper</code> "
        "DAG stop these; a resource whose DAG run Airflow does not know is shown, but stopped only by "
        "<code>emr-dags reap --reap-missing</code>.</p>"
        f'<table id="orphans">{_HEAD}<th>Why</th><th></th></tr>{rows}</table>'
    )
    return _shell(
        "EMR orphans",
        body,
        view="orphans",
        urls=urls,
        table=table,
        days=days,
        warnings=warnings,
        message=message,
    )


def _groups(c: DagCost, run_id: str) -> str:
    items = [(g, e) for g, e in c.per_group.get(run_id, ()) if g]
    if not items:
        return ""
    lis = "".join(f"<li>task group <code>{escape(g)}</code>: {_money(e)}</li>" for g, e in items)
    return f"<ul>{lis}</ul>"


def costs_page(
    costs: Sequence[DagCost], *, urls: Urls, table: PriceTable, days: int, warnings: Sequence[str]
) -> str:
    rows = []
    for c in costs:
        runs = "".join(
            f"<li>{_a(urls.run(c.dag_id, run_id), run_id, top=True)}: {_money(e)}{_groups(c, run_id)}</li>"
            for run_id, e in c.per_run
        )
        rows.append(
            f'<tr data-dag-id="{escape(c.dag_id, quote=True)}"><td>{_a(urls.dag(c.dag_id), c.dag_id, top=True)}</td>'
            f'<td class="num">{c.runs}</td><td class="num">{c.resources}</td>'
            f'<td class="num cost">{_money(c.estimate)}</td><td><details><summary>{c.runs} run(s)</summary>'
            f"<ul>{runs}</ul></details></td></tr>"
        )
    body = (
        '<table id="costs"><tr><th>DAG</th><th>Runs</th><th>Resources</th><th>Est. cost</th><th>Per run</th></tr>'
        + ("".join(rows) or "<tr><td colspan=5>No priced resources in this period.</td></tr>")
        + "</table>"
    )
    return _shell(
        "EMR cost", body, view="costs", urls=urls, table=table, days=days, warnings=warnings, message=""
    )


# --- the diagnosis of one task try ------------------------------------------------------------


def _text(value: object) -> str:
    """Escape for element content: ``&``, ``<`` and ``>`` are enough there, and leaving quotes alone
    keeps quoted log lines greppable (``curl ... | grep "No module named 'pandas'"``).
    Attribute values always go through ``escape(..., quote=True)``."""
    return escape(str(value), quote=False)


_EVIDENCE = re.compile(r"(?P<where>.+?:[0-9]+): (?P<text>.*)", re.DOTALL)


def _evidence(line: object) -> str:
    """``file:line: text`` (the diagnosis' evidence format) as location + quoted log line."""
    m = _EVIDENCE.fullmatch(str(line))
    if not m:
        return f"<li><code>{_text(line)}</code></li>"
    return f'<li><code class="where">{_text(m["where"])}</code><pre>{_text(m["text"])}</pre></li>'


def _category(value: object) -> str:
    from emr_dags.diagnostics.categories import FailureCategory

    try:
        label = f" ({_text(FailureCategory(str(value)).label)})"
    except ValueError:
        label = ""
    return f'<code class="category">{_text(value)}</code>{label}'


def _task_title(t: TaskTry) -> str:
    mapped = f" [{t.map_index}]" if t.map_index >= 0 else ""
    return f"{t.dag_id} / {t.run_id} / {t.task_id}{mapped}, try {t.try_number}"


def _diagnosis_shell(title: str, body: str) -> str:
    return (
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title><style>{_CSS}{_DIAGNOSIS_CSS}</style></head><body>"
        f"{body}<script>{_NAV_JS}</script></body></html>"
    )


_DIAGNOSIS_CSS = """
.summary{font-size:15px;background:#fff5f5;border-left:4px solid #c53030;padding:8px 12px;margin:12px 0;
  white-space:pre-wrap;overflow-wrap:anywhere}
ol.evidence li{margin:0 0 8px} ol.evidence pre{margin:2px 0 0;white-space:pre-wrap;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px} dt{font-weight:600} dd{margin:0}
"""


def diagnosis_page(found: FoundDiagnosis, *, urls: Urls) -> str:
    """One try's probable cause: category, summary, evidence with file:line, the full log's location."""
    d, t = found.diagnosis, found.task
    source = d.get("source")
    if source and found.source_url:
        where = _a(found.source_url, str(source))
    elif source:
        where = f"<code>{_text(source)}</code>"
    else:
        where = '<span class="est">not known</span>'
    evidence = "".join(_evidence(e) for e in d.get("evidence") or ()) or "<li>none recorded</li>"
    extra = ""
    for key, label in (("searched", "Searched"), ("missing", "Not found")):
        items = d.get(key) or ()
        if items:
            lis = "".join(f"<li><code>{_text(i)}</code></li>" for i in items)
            extra += f"<details><summary>{label} ({len(items)})</summary><ul>{lis}</ul></details>"
    body = (
        "<h1>Probable cause</h1>"
        f'<p class="sub">{_text(_task_title(t))}: {_a(urls.task_log(t), "task log", top=True)} · '
        f"{_a(urls.diagnosis_json(t), 'JSON')}</p>"
        f"<dl><dt>Category</dt><dd>{_category(d.get('category'))}</dd>"
        f"<dt>Full log</dt><dd>{where}</dd>"
        f"<dt>Rule</dt><dd><code>{_text(d.get('rule') or '-')}</code></dd></dl>"
        f'<div class="summary" id="summary">{_text(d.get("summary", ""))}</div>'
        f'<h2>Evidence</h2><ol class="evidence">{evidence}</ol>{extra}'
    )
    return _diagnosis_shell(f"Probable cause: {t.task_id}", body)


def diagnosis_error_page(title: str, message: str, *, urls: Urls, task: TaskTry | None = None) -> str:
    """A 400/404 page: what was asked, why there is nothing to show, where to look instead."""
    back = ""
    if task is not None:
        back = f"<p>{_a(urls.task_log(task), 'Open the task instance and its log in Airflow', top=True)}</p>"
    body = f'<h1>{_text(title)}</h1><div class="warn" id="error">{_text(message)}</div>{back}'
    return _diagnosis_shell(title, body)
