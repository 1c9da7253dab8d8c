"""The C allocator's settings, so that memory a load is done with goes back to the system.

glibc's malloc serves a block of at least M_MMAP_THRESHOLD bytes with a mapping of its own
and unmaps it when it is freed. The threshold starts at 128 KB but rises to the size of any
such block freed (up to 32 MB): after loading frees its first temporary of a few MB, every
later array of that size (a replay's days x instruments tables) lands in the heap instead,
and the heap keeps what is freed among live blocks. Jumbo's replay kept about 110 MB that way
(parser scratch and pandas temporaries) for its whole run. ``pin_mmap_threshold`` fixes the
threshold; ``release_free_memory`` hands the heap's free pages back once a load is done
(the CSV parser's scratch is many small blocks, below any threshold).

Both are no-ops off glibc (macOS, Windows, musl): there the allocator is left as it is.
"""

from __future__ import annotations

import sys
from functools import cache

# Blocks of 1 MB and more (a replay's days x instruments arrays: 20 stocks x 8,313 days is
# 1.3 MB) are mapped on their own. Lower, the daily loop's smaller arrays would each cost a
# mapping and fresh zeroed pages (128 KB added 0.5 s of system time to Jumbo).
MMAP_THRESHOLD = 1 << 20
_M_MMAP_THRESHOLD = -3  # glibc's malloc.h


@cache
def _glibc():  # noqa: ANN202 (a ctypes.CDLL, or None)
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None)  # the symbols already in the process: its C library's
        libc.gnu_get_libc_version  # noqa: B018 (glibc only: musl has no such function)
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):
        return None
    return libc


def pin_mmap_threshold(nbytes: int = MMAP_THRESHOLD) -> bool:
    """Blocks of ``nbytes`` and more get mappings of their own, whatever was freed before;
    whether the setting was made (glibc only)."""
    libc = _glibc()
    return bool(libc is not None and libc.mallopt(_M_MMAP_THRESHOLD, nbytes) == 1)


def release_free_memory() -> None:
    """Return the heap's free pages to the system (glibc only); call once a large load is done."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
