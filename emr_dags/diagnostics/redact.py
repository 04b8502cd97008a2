"""Hide credentials in log text before it becomes part of a :class:`~emr_dags.diagnostics.model.Diagnosis`.

A diagnosis quotes log lines, and log lines hold whatever the job printed: AWS keys, JDBC URLs
with passwords, tokens. A diagnosis is shown in a task log, an XCom, ``emr-dags diagnose`` and the
plugin's page, so the quoted text is redacted once, where it enters the ``Diagnosis``
(``Evidence``/``Diagnosis.__post_init__``), and again at each of those outputs (a stored XCom may
come from an older version).

Two layers, in this order:

* Airflow's own secrets masker: the exact values Airflow already masks in task logs (connection
  passwords, sensitive Variables, anything passed to ``mask_secret``). Only a masker module that
  is already imported is asked: a process that never imported it has registered nothing, and
  ``emr-dags diagnose`` stays free of Airflow imports.
* Patterns for credentials Airflow has never seen: AWS access key ids and secret access keys,
  session tokens, ``scheme://user:password@host`` and JDBC URLs, bearer tokens, ``password=``-like
  key/values (``=``, ``:``, JSON and ``--flag value`` forms), GitHub, Slack and JWT tokens, private
  key blocks.

A secret becomes ``***`` and its key name stays (``password=***``, ``Bearer ***``, ``AKIA***``), so
the line still says what went wrong. A quoted line cut short by ``clip`` (ending in ``…``) is
handled too: a secret cut in half is still hidden.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

log = logging.getLogger(__name__)

MASK = "***"

# Airflow's masker modules: the task SDK's (workers, triggerer) and airflow-core's (api-server, scheduler).
_AIRFLOW_MASKERS = ("airflow.sdk._shared.secrets_masker", "airflow._shared.secrets_masker")
_FAILED_MASKERS: set[str] = set()

_PRIVATE_KEY = re.compile(
    r"(-----BEGIN (?P<kind>[A-Z0-9 ]*)PRIVATE KEY-----)"
    r"(?:[\s\S]*?(?P<end>-----END (?P=kind)PRIVATE KEY-----)|[^\n]*)"
)

# An access key id with its secret next to it: ``AKIA...:secret``, ``AKIA... secret``, CSV rows.
_KEY_PAIR = re.compile(
    r"\b(?P<id>(?:AKIA|ASIA)[A-Z0-9]{16})(?P<sep>[ \t]*[:,;|/ \t][ \t]*)"
    r"(?:[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])|[A-Za-z0-9/+]+…)"
)

# ``scheme://user:password@host`` (JDBC too: ``jdbc:postgresql://user:pass@host``); the password may
# hold ``@``, so it runs to the authority's last ``@``. The second form is a URL cut by ``clip``.
_URL_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]+:)[^\s/]*@")
_URL_USERINFO_CLIPPED = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]+:)[^\s/@]*…")
# Oracle's ``jdbc:oracle:thin:user/password@host``.
_JDBC_ORACLE = re.compile(r"(?P<head>\bjdbc:oracle:[a-z]+:[^\s/@:]+/)[^\s@]+@")

_AUTHORIZATION = re.compile(
    r"(?P<head>\b(?:Proxy-)?Authorization[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"(?:(?:Bearer|Basic|Token|Digest|Negotiate|AWS4-HMAC-SHA256)[ \t]+)?)"
    r"[^\s\"']+(?:[ \t]*,[ \t]*[A-Za-z]+=[^\s,\"']+)*",
    re.IGNORECASE,
)
# A bare ``Bearer <token>``: a token has a digit (prose like "bearer authentication" does not).
_BEARER = re.compile(
    r"(?P<head>\bBearer[ \t]+)(?:(?=[A-Za-z0-9\-._~+/]*[0-9])[A-Za-z0-9\-._~+/]{8,}=*|[A-Za-z0-9\-._~+/]+…)",
    re.IGNORECASE,
)

# Key names whose value is a secret: the name ends with one of these words (``db_password``,
# ``aws_secret_access_key``, ``X-Amz-Security-Token``, ``SessionToken``, ``fs.s3a.secret.key``).
_SECRET_WORD = (
    r"(?:password|passwd|pwd|passphrase|secret|token|signature"
    r"|secret[_.\-]?(?:access[_.\-]?)?key|private[_.\-]?key|api[_.\-]?key|apikey)"
)
# Quoted keys (JSON, Python reprs): ``"SessionToken": "..."``, ``'password': '...'``.
_KV_QUOTED = re.compile(
    rf"(?P<head>(?P<q>[\"'])[\w.\-]*?{_SECRET_WORD}(?P=q)[ \t]*[:=][ \t]*)"
    r"(?:\"(?:[^\"\\\n]|\\.)*\"?|'(?:[^'\\\n]|\\.)*'?|[^\s,;&\"'}\]]+)",
    re.IGNORECASE,
)
# ``key=value`` (dotted keys allowed: Spark/Hadoop properties, URL queries, JDBC properties).
_KV_EQUALS = re.compile(
    rf"(?P<head>(?<![\w.\-:/])[\w.\-]*?{_SECRET_WORD}[ \t]*=[ \t]*)"
    r"(?:\"(?:[^\"\\\n]|\\.)*\"?|'(?:[^'\\\n]|\\.)*'?|(?!\*\*\*)[^\s,;&\"']+)",
    re.IGNORECASE,
)
# ``key: value`` with a plain key: no dots, so a class name like ``...security.token.Token: msg`` is
# not a key, and nothing before it but a space or punctuation (an ARN's ``:secret:name`` is not one);
# MySQL's "(using password: YES)" says whether one was sent, not what it was.
_KV_COLON = re.compile(
    rf"(?P<head>(?<![\w.\-:/])[\w\-]*?{_SECRET_WORD}[ \t]*:[ \t]*)(?!\*\*\*|//|(?:YES|NO)\b)[^\s,;&\"']+",
    re.IGNORECASE,
)
# Command-line flags: ``--password hunter2``, ``--db-token=...``.
_FLAG = re.compile(
    rf"(?P<head>(?<![\w\-])--[\w\-]*?{_SECRET_WORD}(?:[ \t]+|=))(?!-)(?!\*\*\*)[^\s\"']+", re.I
)

# Credentials recognisable by their shape alone; each keeps its prefix so the kind stays visible.
_SHAPED = re.compile(
    r"\b(?P<head>AKIA|ASIA)[A-Z0-9]{16}\b"  # AWS access key id (long-term / temporary)
    r"|\b(?P<h2>AKIA|ASIA)[A-Z0-9]{0,15}…"  # ... cut by clip
    r"|\b(?P<h3>IQoJb3JpZ2lu|AgoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz)[A-Za-z0-9/+=]*…?"  # STS session token
    r"|\b(?P<h4>gh[pousr]_)[A-Za-z0-9]{20,}\b|\b(?P<h5>github_pat_)[A-Za-z0-9_]{20,}"  # GitHub tokens
    r"|\b(?P<h6>gh[pousr]_|github_pat_)[A-Za-z0-9_]*…"
    r"|\b(?P<h7>xox[abposr]-)[A-Za-z0-9\-]{10,}"  # Slack tokens
    r"|\b(?P<h8>eyJ)[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"  # JWT
)


def _keep_head(match: re.Match[str]) -> str:
    value = match[0][len(match["head"]) :]
    quote = value[:1] if value[:1] in ("'", '"') else ""
    return f"{match['head']}{quote}{MASK}{quote}"


def _private_key(match: re.Match[str]) -> str:
    return f"{match[1]}{MASK}{match['end'] or ''}"


def _key_pair(match: re.Match[str]) -> str:
    return f"{match['id']}{match['sep']}{MASK}"


def _shaped(match: re.Match[str]) -> str:
    head = next(g for g in match.groups() if g)
    return head + MASK


_PATTERNS: tuple[tuple[re.Pattern[str], Any], ...] = (
    (_KEY_PAIR, _key_pair),  # before _SHAPED hides the id that says the next word is its secret
    (_URL_USERINFO, r"\g<head>***@"),
    (_URL_USERINFO_CLIPPED, r"\g<head>***…"),
    (_JDBC_ORACLE, r"\g<head>***@"),
    (_AUTHORIZATION, _keep_head),
    (_BEARER, _keep_head),
    (_KV_QUOTED, _keep_head),
    (_KV_EQUALS, _keep_head),
    (_KV_COLON, _keep_head),
    (_FLAG, _keep_head),
    (_SHAPED, _shaped),
)


def redact(text: str) -> str:
    """``text`` with every credential it holds replaced by ``***`` (key names kept)."""
    if not text:
        return text
    text = _PRIVATE_KEY.sub(_private_key, text)
    text = _airflow_masked(text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any) -> Any:
    """``value`` (a JSON-like dict/list/str, e.g. a stored ``diagnosis`` XCom) with its strings redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(redact_value(v) for v in value)
    return value


def _airflow_masked(text: str) -> str:
    """Apply every already-imported Airflow secrets masker (registered connection passwords etc.)."""
    for name in _AIRFLOW_MASKERS:
        module = sys.modules.get(name)
        if module is None:
            continue
        try:
            masker = module._secrets_masker()
            if getattr(masker, "replacer", None) is None:
                continue
            text = str(masker.redact(text, replacement=MASK))
            if "…" in text:
                text = _clipped_secret(text, set(masker.patterns))
        except Exception as exc:  # noqa: BLE001 - a changed Airflow API must not cost the diagnosis
            # the patterns still run; say once per process that Airflow's registered secrets did not
            if name not in _FAILED_MASKERS:
                _FAILED_MASKERS.add(name)
                log.warning("Airflow's secrets masker (%s) could not be applied: %s", name, exc)
    return text


def _clipped_secret(text: str, patterns: set[str]) -> str:
    """Hide a registered secret cut short by ``clip``: the word before ``…`` that starts one."""
    secrets = [re.sub(r"\\(.)", r"\1", p) for p in patterns]  # undo re.escape

    def hide(match: re.Match[str]) -> str:
        word = match[1]
        for start in range(len(word) - 3):
            tail = word[start:]
            if any(s.startswith(tail) for s in secrets):
                return word[:start] + MASK + "…"
        return match[0]

    return re.sub(r"(\S{4,})…", hide, text)
