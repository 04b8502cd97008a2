"""Failure diagnosis: from the logs of a failed EMR step or job run to its probable cause.

Public API (stable; imported lazily so ``import emr_dags.diagnostics`` costs nothing and never
imports boto3):

``diagnose_paths(paths) -> Diagnosis``
    Local files (plain or ``.gz``) and folders laid out like an EMR step log folder
    (``stderr.gz``, ``stdout.gz``, ``controller.gz``, ``syslog.gz``, ``containers/...``).
``diagnose_text(name, lines) -> Diagnosis``
    In-memory lines (e.g. a log already in a task's memory); ``name`` labels the evidence.
``diagnose_emr_step(emr_client, s3_client, cluster_id, step_id, *, wait_seconds=300, poll_seconds=15)``
    EMR on EC2: reads ``LogUri`` (DescribeCluster) and ``FailureDetails`` (DescribeStep), then the
    step's ``<LogUri>/<cluster>/steps/<step>/`` logs and the YARN container logs of the applications
    the step submitted (driver container ``_000001`` first, then the executors the driver names).
``diagnose_serverless_job(serverless_client, s3_client, logs_client, application_id, job_run_id, ...)``
    EMR Serverless: ``<logUri>/applications/<app>/jobs/<run>/SPARK_DRIVER/...`` and/or the
    CloudWatch streams of the same path (whichever the job run was configured with).
``diagnose_eks_job(containers_client, s3_client, logs_client, virtual_cluster_id, job_id, ...)``
    EMR on EKS: ``<logUri>/<virtual-cluster>/jobs/<job>/containers/...`` and/or CloudWatch.

The three AWS functions also take ``max_executor_logs`` and injectable ``clock``/``sleep``. Clients
are passed in, never created here. Logs uploaded late are waited for, polling every
``poll_seconds`` for at most ``wait_seconds`` (both shared by everything one call waits for);
``Diagnosis.missing`` says what was still not there. Every log is streamed and scanned in bounded
memory (see :mod:`emr_dags.diagnostics.scan`).

A :class:`Diagnosis` has ``category`` (a :class:`FailureCategory`, values stable), ``summary`` (one
line quoting the decisive log line), ``decisive_line``, ``evidence`` (:class:`Evidence` lines with
file and line number), ``source`` (where the full log is), ``searched``, ``missing``;
``to_dict()`` for JSON and ``format_block()`` for the end of a task log. Logs with no failure in
them (e.g. a successful run) give ``category == FailureCategory.NO_FAILURE_FOUND`` and
``found_failure == False``; ``unknown`` means the run failed but no rule recognised why.

``why`` says why the decisive line was chosen (and which lines were passed over); ``incomplete``
names logs that could not be read to their end (a truncated gzip): the diagnosis used what was read.

Pipeline: ``collect`` (find the logs) -> ``scan`` (stream them; line shapes from ``structure``) ->
``rank`` (recovered / symptom / live, fatal first, chain roots) -> ``explain`` (the :class:`Diagnosis`,
its summary cut around the decisive clause by ``clause``). The rules live in one table,
:data:`emr_dags.diagnostics.rules.RULES`.

Credentials in quoted log text (AWS keys, tokens, passwords, what Airflow's secrets masker masks)
are ``***`` in every field of a ``Diagnosis``: see :mod:`emr_dags.diagnostics.redact`.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY: dict[str, str] = {
    "FailureCategory": "emr_dags.diagnostics.categories",
    "Diagnosis": "emr_dags.diagnostics.model",
    "Evidence": "emr_dags.diagnostics.model",
    "diagnose_paths": "emr_dags.diagnostics.api",
    "diagnose_text": "emr_dags.diagnostics.api",
    "diagnose_emr_step": "emr_dags.diagnostics.api",
    "diagnose_serverless_job": "emr_dags.diagnostics.api",
    "diagnose_eks_job": "emr_dags.diagnostics.api",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'emr_dags.diagnostics' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
