from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DAG_FILE = Path(__file__).parents[3] / "dags" / "emr_dags_reaper.py"


def test_reaper_dag_parses_unscheduled_by_default_without_importing_boto3():
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('reaper_dag', {str(DAG_FILE)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "d = m.dag\n"
        "print(d.dag_id, type(d.timetable).__name__, d.catchup, sorted(d.task_dict), 'boto3' in sys.modules)\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("EMR_DAGS_REAPER_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[-2] == "emr_dags_reaper NullTimetable False ['reap'] False"
