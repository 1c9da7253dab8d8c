"""The search loops load without scipy's linear algebra, and numba's BLAS still works after."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("numba")

CHILD = r"""
import sys
import numpy as np
from tradesim.optimiser.search import kernels
from tradesim.optimiser import warm_up

kernels("numba")
warm_up("numba")  # the loops run (compiled or from numba's cache)
print("scipy.linalg loaded by the loops:", "scipy.linalg" in sys.modules)

import numba
import numba.np.arraymath as arraymath
print("numba's BLAS flag:", arraymath._HAVE_BLAS)

@numba.njit
def dot_and_correlate(a, b):
    return np.dot(a, b), np.correlate(a, b, "full")

a, b = np.arange(1.0, 6.0), np.array([0.5, -1.0, 2.0, 0.25, 3.0])
d, c = dot_and_correlate(a, b)
print("np.dot as numpy:", d == np.dot(a, b))
print("np.correlate as numpy:", np.allclose(c, np.correlate(a, b, "full"), rtol=0, atol=1e-12))
print("scipy.linalg loaded for jitted BLAS:", "scipy.linalg" in sys.modules)
"""


def test_the_loops_load_without_scipy_linalg_and_jitted_blas_still_works() -> None:
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [
        "scipy.linalg loaded by the loops: False",
        "numba's BLAS flag: True",
        "np.dot as numpy: True",
        "np.correlate as numpy: True",
        "scipy.linalg loaded for jitted BLAS: True",
    ]
