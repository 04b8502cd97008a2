"""Find a stack's Airflow task processes (through psutil: Linux and macOS).

Airflow 3's LocalExecutor runs each task instance as ``airflow worker -- LocalExecutor: <ti id>``
(the supervisor, which holds the executor slot) with one child ``airflow worker -- <ti id>`` (the
task process that runs the operator). Both rename themselves with setproctitle, which on Linux
overwrites their environment; so instead of the ``EMR_DAGS_STACK_ID`` marker we match by ancestry: a
process belongs to a stack when it descends from that stack's scheduler.
"""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass

import psutil

SUPERVISOR_PREFIX = "airflow worker -- LocalExecutor: "
TASK_PREFIX = "airflow worker -- "


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    cmdline: str


def processes() -> dict[int, Proc]:
    found: dict[int, Proc] = {}
    for proc in psutil.process_iter(["ppid", "cmdline", "status"]):
        with contextlib.suppress(psutil.Error):
            info = proc.info
            if info["status"] == psutil.STATUS_ZOMBIE or info["ppid"] is None:
                continue
            cmd = " ".join(info["cmdline"] or ()).strip()
            found[proc.pid] = Proc(proc.pid, int(info["ppid"]), cmd)
    return found


def descendants(root: int, table: dict[int, Proc] | None = None) -> list[Proc]:
    table = processes() if table is None else table
    children: dict[int, list[Proc]] = {}
    for proc in table.values():
        children.setdefault(proc.ppid, []).append(proc)
    out: list[Proc] = []
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            out.append(child)
            stack.append(child.pid)
    return out


def task_process(scheduler_pid: int, ti_id: str) -> int | None:
    """The pid of the process running task instance ``ti_id`` (the operator's code), or None."""
    for proc in descendants(scheduler_pid):
        if proc.cmdline == f"{TASK_PREFIX}{ti_id}":
            return proc.pid
    return None


def busy_slots(scheduler_pid: int) -> list[str]:
    """Task-instance ids currently holding an executor slot (supervisor not idle)."""
    out = []
    for proc in descendants(scheduler_pid):
        if proc.cmdline.startswith(SUPERVISOR_PREFIX):
            ti = proc.cmdline.removeprefix(SUPERVISOR_PREFIX).strip()
            if ti and ti != "<idle>":
                out.append(ti)
    return out


def sigkill(pid: int) -> bool:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True
