"""tradesim/allocator.py: what glibc's malloc does with a large block after a larger one was freed,
and that pinning the threshold changes it. Each case runs in a fresh process (the threshold is
process-wide and the test process's heap has a history)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tradesim.allocator import _glibc

pytestmark = pytest.mark.skipif(_glibc() is None or not hasattr(_glibc(), "mallinfo2"),
                                reason="glibc 2.33+ only (the settings are no-ops elsewhere)")

CHILD = """
import ctypes, sys
import numpy as np
from tradesim.allocator import _glibc, pin_mmap_threshold

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = _glibc()
libc.mallinfo2.restype = Info
if sys.argv[1] == "pinned":
    assert pin_mmap_threshold()
big = np.ones(8 << 17)  # 8 MB, mapped on its own either way
del big  # unpinned, glibc now raises its threshold to 8 MB
before = libc.mallinfo2().hblks
table = np.ones(3 << 17)  # 3 MB: a replay's days x instruments table
print(libc.mallinfo2().hblks - before)
"""


def mapped_after_a_larger_free(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True)
    return int(out.stdout)


def test_unpinned_a_table_lands_in_the_heap_after_a_larger_one_was_freed() -> None:
    assert mapped_after_a_larger_free("default") == 0


def test_pinned_every_table_of_a_megabyte_or_more_gets_its_own_mapping() -> None:
    assert mapped_after_a_larger_free("pinned") == 1


LIBRARY_CHILD = """
from tradesim.allocator import _clean_file_mappings, release_library_pages

def resident_kb(ranges):
    total, inside = 0, False
    for line in open("/proc/self/smaps"):
        if not line[:1].isupper():
            start, end = (int(a, 16) for a in line.split()[0].split("-"))
            inside = (start, end) in ranges
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total

import llvmlite.binding  # its start-up touches tens of MB of its library
ranges = set(_clean_file_mappings("libllvmlite"))
before = resident_kb(ranges)
released = release_library_pages("libllvmlite")
after = resident_kb(ranges)
import numba
twice = numba.njit(lambda x: 2 * x)  # LLVM compiles again: its pages come back as needed
print(before, after, released, twice(21))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's /proc/self/smaps and madvise")
def test_a_librarys_clean_pages_leave_the_resident_set_and_it_still_works() -> None:
    pytest.importorskip("numba")
    out = subprocess.run([sys.executable, "-c", LIBRARY_CHILD], capture_output=True, text=True, check=True)
    before, after, released, answer = (int(v) for v in out.stdout.split())
    assert before > 10_000 and after < before / 20  # kB: LLVM's start-up pages, then almost none
    assert released >= before * 1024
    assert answer == 42


STARTED_CHILD = """
import sys
from tradesim.config import load_config
from tradesim.replay import start_optimiser

start_optimiser(load_config(None, sets=['optimiser.method="dynamic"']))
print(*(name in sys.modules for name in ("tradesim.clearing", "tradesim.decision_inputs")))
"""


def test_the_engines_compiled_loops_are_loaded_before_llvms_pages_are_dropped() -> None:
    """start_optimiser loads every compiled loop a run uses (numba loads them through LLVM) before
    it drops LLVM's pages: loaded later, at the engine's start, those pages stay to the run's end."""
    pytest.importorskip("numba")
    out = subprocess.run([sys.executable, "-c", STARTED_CHILD], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]
