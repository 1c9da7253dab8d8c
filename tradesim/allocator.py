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

``release_library_pages`` is about mapped files, not the heap: a shared library's pages that
its start-up touched once (LLVM's, under numba: about 65 MB of its 150 MB file, most of them
its static initialisers) stay resident for the whole run. Its read-only mappings hold nothing
but the file's own bytes, so they can be dropped from the process and read back from the page
cache if the library runs again (Linux only; a no-op elsewhere).
"""

from __future__ import annotations

import sys
from functools import cache

# Blocks of 1 MB and more (a replay's days x instruments arrays: 20 stocks x 8,313 days is
# 1.3 MB) are mapped on their own. Lower, the daily loop's smaller arrays would each cost a
# mapping and fresh zeroed pages (128 KB added 0.5 s of system time to Jumbo).
MMAP_THRESHOLD = 1 << 20
_M_MMAP_THRESHOLD = -3  # glibc's malloc.h
_MADV_DONTNEED = 4  # linux/mman.h


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
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
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


def _clean_file_mappings(name: str) -> list[tuple[int, int]]:
    """Address ranges of the read-only mappings of files whose path contains ``name`` that hold
    no private (copy-on-write) page: only the file's own bytes, read again on the next touch.
    Relocated read-only data (RELRO) holds private pages and is left out."""
    found: list[tuple[int, int]] = []
    candidate: tuple[int, int] | None = None
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            if line.startswith("Anonymous:"):
                if candidate is not None and line.split()[1] == "0":
                    found.append(candidate)
                candidate = None
            elif not line[:1].isupper():  # a mapping's header: "start-end perms offset dev inode path"
                fields = line.split(maxsplit=5)
                candidate = None
                if len(fields) == 6 and name in fields[5] and "w" not in fields[1] and "s" not in fields[1]:
                    start, end = fields[0].split("-")
                    candidate = (int(start, 16), int(end, 16))
    return found


def release_library_pages(name: str) -> int:
    """Drop the resident pages of the read-only file mappings of the shared libraries whose path
    contains ``name``; the bytes of address space released (0 off Linux/glibc). The library stays
    loaded and works as before: a page it needs again is read back from the page cache."""
    libc = _glibc()
    if libc is None:
        return 0
    released = 0
    for start, end in _clean_file_mappings(name):
        if libc.madvise(start, end - start, _MADV_DONTNEED) == 0:
            released += end - start
    return released
