"""numpy's own BLAS, callable from compiled code: the same products, bit for bit.

The dynamic search's figures (Sigma e, TE^2, the trade's cost, the relaxation's gradient)
are BLAS products in numpy: `Sigma @ e` is dgemv, `e @ Se` is ddot. A loop compiled by numba
sums in its own order and would move their last bits, and with them, now and then, a
decision. So the compiled search (`kernels_dynamic`) calls the very functions numpy calls,
in numpy's own library, with the arguments numpy passes: the same numbers, without a trip
through Python for each.

numpy's wheels carry OpenBLAS as "scipy-openblas" with 64-bit integers, whose symbols are
`scipy_cblas_dgemv64_` and so on. Where numpy is built against another BLAS (conda's MKL or
netlib, Apple's Accelerate), `available()` is False and the search keeps its Python driver
(`dynamic.py`), which gives the same results.
"""

from __future__ import annotations

import ctypes
import logging

import numpy as np

log = logging.getLogger(__name__)

# CBLAS's enums (cblas.h), passed as C ints.
COL_MAJOR = 102
TRANS = 112

# dpotrf is LAPACK's Cholesky, as numpy.linalg.cholesky calls it (its _umath_linalg links it).
_SYMBOLS = {"dgemv": "scipy_cblas_dgemv64_", "ddot": "scipy_cblas_ddot64_", "dpotrf": "scipy_dpotrf_64_"}
_found: bool | None = None


def available() -> bool:
    """numpy's BLAS is scipy-openblas with 64-bit integers and its symbols are registered for
    compiled code (once per process)."""
    global _found
    if _found is None:
        _found = _register()
    return _found


def _register() -> bool:
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
    except (AttributeError, KeyError, TypeError):
        return False
    if blas.get("name") != "scipy-openblas" or "USE64BITINT" not in str(blas.get("openblas configuration", "")):
        log.info("numpy's BLAS is %s: the optimiser's search runs its Python driver", blas.get("name"))
        return False
    # The library numpy loaded: looking the symbols up through numpy's own extension module finds
    # them in its dependencies, so this is the copy numpy calls, whatever the file is named.
    from numpy._core import _multiarray_umath

    try:
        umath = ctypes.CDLL(_multiarray_umath.__file__)
        addresses = {name: ctypes.cast(getattr(umath, symbol), ctypes.c_void_p).value
                     for name, symbol in _SYMBOLS.items()}
    except (OSError, AttributeError) as error:
        log.info("numpy's BLAS symbols not found (%s): the optimiser's search runs its Python driver", error)
        return False
    import llvmlite.binding as llvm

    for name, symbol in _SYMBOLS.items():
        llvm.add_symbol(symbol, addresses[name])
    return True


def external_functions():
    """numba's declarations of dgemv, ddot and dpotrf (call after `available()` returned True)."""
    from numba import types

    i64, f64, ptr = types.int64, types.float64, types.voidptr
    dgemv = types.ExternalFunction(_SYMBOLS["dgemv"], types.void(types.int32, types.int32, i64, i64, f64, ptr, i64,
                                                                  ptr, i64, f64, ptr, i64))
    ddot = types.ExternalFunction(_SYMBOLS["ddot"], f64(i64, ptr, i64, ptr, i64))
    # dpotrf(uplo, n, a, lda, info): Fortran's, every argument by address.
    dpotrf = types.ExternalFunction(_SYMBOLS["dpotrf"], types.void(ptr, ptr, ptr, ptr, ptr))
    return dgemv, ddot, dpotrf
