"""A replay loads the optimiser's compiled loops before its prices and gives LLVM's pages back;
a replay that searches nothing loads no numba at all. Each case runs in a fresh process."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("numba")

CHILD = r"""
import sys
from tradesim.config import load_config
from tradesim.replay import start_optimiser

config = load_config(None, sets=[f"optimiser.method={sys.argv[1]}"])  # the bundled default
start_optimiser(config)
print("numba loaded:", "numba" in sys.modules)
if "numba" in sys.modules:
    from tradesim.optimiser import dynamic, kernels_numba
    # The dynamic search's compiled driver where numpy's BLAS allows it (its steps call greedy inside
    # compiled code), else its Python driver around the loops; both use local_searches from Python.
    driver = dynamic.compiled_driver("numba")
    used = (kernels_numba.local_searches,) + ((kernels_numba.greedy,) if driver is None else
                                              (driver.prepare, driver.walk_and_relax, driver.finish))
    print("loops loaded:", all(f.signatures for f in used))
    resident = inside = 0
    for line in open("/proc/self/smaps"):
        if not line[:1].isupper():
            fields = line.split(maxsplit=5)
            inside = len(fields) == 6 and "libllvmlite" in fields[5] and "w" not in fields[1]
        elif inside and line.startswith("Rss:"):
            resident += int(line.split()[1])
    print("LLVM's read-only pages under 8 MB:", resident < 8 * 1024)
"""


def started(method: str) -> list[str]:
    return subprocess.run([sys.executable, "-c", CHILD, method], capture_output=True, text=True,
                          check=True).stdout.splitlines()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's /proc/self/smaps and madvise")
def test_a_dynamic_replay_loads_its_loops_first_and_drops_llvms_pages() -> None:
    assert started("dynamic") == ["numba loaded: True", "loops loaded: True", "LLVM's read-only pages under 8 MB: True"]


def test_a_replay_that_rounds_loads_no_numba() -> None:
    assert started("round") == ["numba loaded: False"]
