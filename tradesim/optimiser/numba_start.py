"""Importing numba for the search loops without scipy's linear algebra.

When numba's target first starts (our first compiled call, or loading it from the cache),
``numba.np.arraymath`` checks whether scipy's BLAS can be loaded, for the one place it picks an
implementation then (np.correlate's inner product). That check imports the whole of
``scipy.linalg``: about 0.27 s of CPU and 15 MiB of every replay, for loops that call no BLAS.

So the check runs while ``scipy.linalg.cython_blas`` cannot be imported, and numba's flag is
then set to what the check gives wherever scipy is installed (it is one of tradesim's
dependencies): jitted code elsewhere in the process that uses np.dot, np.linalg or
np.correlate still gets BLAS, loaded the first time such code is compiled, as numba does for
np.dot anyway.
"""

from __future__ import annotations

import importlib.util
import sys

_BLAS = "scipy.linalg.cython_blas"


def import_arraymath_without_blas() -> None:
    """Import numba (and its arraymath) with scipy's linear algebra left unloaded."""
    if "numba.np.arraymath" in sys.modules or _BLAS in sys.modules:
        return  # numba has started already, or the BLAS is loaded anyway: nothing to spare
    sys.modules[_BLAS] = None  # an import of it raises ImportError meanwhile
    try:
        import numba.np.arraymath as arraymath
    finally:
        if sys.modules.get(_BLAS, 0) is None:
            del sys.modules[_BLAS]
    # What the check finds once the BLAS can load: scipy installed (scipy.linalg is not imported
    # to find out; a BLAS that then fails to load says so when the jitted code needing it compiles).
    arraymath._HAVE_BLAS = importlib.util.find_spec("scipy") is not None
