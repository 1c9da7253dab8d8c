"""The real ``tradesim`` console script, run in a subprocess as a user or a cron job runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

# The script pip installed beside this interpreter (the test venv's bin/), not one on PATH.
TRADESIM = shutil.which("tradesim", path=str(Path(sys.executable).parent)) or shutil.which("tradesim")


def tradesim(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 120,
             stdin: str | None = None) -> subprocess.CompletedProcess:
    assert TRADESIM, "the tradesim console script is not installed (pip install -e .)"
    full_env = {**os.environ, "COLUMNS": "200", "TRADESIM_DEBUG": "", **(env or {})}
    return subprocess.run([TRADESIM, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env=full_env, input=stdin)
