"""Peak memory for the benchmark scripts: of a command in a process of its own, or of this process.

A command's peak RSS must be its own. Python starts a child by fork or vfork, and Linux
carries the parent's high-water mark into the child's ``ru_maxrss`` across exec: a
benchmark holding hundreds of MB would see every command it starts peak at least that high.
So ``run`` starts the command from a bare interpreter (about 10 MB) that spawns it with
``posix_spawn`` and reports the command's own ``wait4`` figures.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

LAUNCHER = """
import os, sys
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ,
                     file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


@dataclass(frozen=True)
class Measured:
    wall: float  # seconds, the launcher's ~20 ms included
    cpu: float  # user + system seconds of the command alone
    peak_mb: float  # its own peak RSS, MiB


def run(argv: list[str], cwd: str | None = None) -> Measured:
    """``argv`` (its first item a path to an executable) with stdout discarded; raises
    SystemExit with the command's stderr when it fails."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        done = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, *argv], stdout=subprocess.PIPE, stderr=err,
                              text=True, check=True, cwd=cwd)
        wall = time.perf_counter() - started
        code, maxrss_kb, cpu = done.stdout.split()
        if int(code) != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv)} failed ({code}): {err.read().decode()[-500:]}")
    return Measured(wall, float(cpu), int(maxrss_kb) / 1024)


def this_process_mb() -> float:
    """This process's peak RSS so far, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def say_this_process() -> None:
    print(f"peak RSS of this process: {this_process_mb():.0f} MB (load average {os.getloadavg()[0]:.1f})")
