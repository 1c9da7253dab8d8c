"""The real ``tradesim`` console script, run in a subprocess as a user or a cron job runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

# The script pip installed beside this interpreter (the test venv's bin/), not one on PATH.
TRADESIM = shutil.which("tradesim", path=str(Path(sys.executable).parent)) or shutil.which("tradesim")


def tradesim(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 120,
             stdin: str | None = None) -> subprocess.CompletedProcess:
    assert TRADESIM, "the tradesim console script is not installed (pip install -e .)"
    full_env = {**os.environ, "COLUMNS": "200", "TRADESIM_DEBUG": "", **(env or {})}
    return subprocess.run([TRADESIM, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env=full_env, input=stdin)


def read_until(proc: subprocess.Popen, marker: str, timeout: float = 180) -> list[str]:
    lines: list[str] = []
    # A daemon that goes quiet would block the read for ever: past the deadline it is killed,
    # which ends the read, and the test fails with what it printed.
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    try:
        for line in proc.stdout:
            lines.append(line)
            if marker in line:
                return lines
    finally:
        watchdog.cancel()
    raise AssertionError(f"{marker!r} never came within {timeout:.0f} s: {lines}")
