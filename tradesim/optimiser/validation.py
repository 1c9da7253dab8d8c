"""Input checks. Every failure is one line naming the instrument and the problem.

Checks come in two costs:
  * O(N) checks of the vectors, the bounds and the scalars, and the shape checks (which
    also keep the compiled kernels from reading past an array): always run.
  * checks of the covariance matrix: finite, symmetric, positive semi-definite,
    ~0.1 ms at N=100 (mostly a Cholesky factorisation), as much as the optimisation
    itself, so `optimise_positions(validate=False)` skips them for a caller who has
    already run `check_covariance` on that matrix (the engine checks each covariance
    estimate once, not every day it is used).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tradesim.errors import TradesimError

# Relative tolerances, against the largest variance (symmetry) or the largest
# eigenvalue (PSD): a covariance estimated in floating point is only symmetric and
# PSD up to rounding.
SYMMETRY_RTOL = 1e-10
PSD_RTOL = 1e-10

MISSING_DATA_HINT = (
    "an instrument with missing data cannot be optimised: leave it out of the problem "
    "and decide its position outside the optimiser"
)


class OptimiserInputError(TradesimError, ValueError):
    """Bad optimiser input. A ValueError for library callers, a TradesimError for the CLI."""


def instrument_label(names: Sequence[str] | None, i: int) -> str:
    if names is None:
        return f"instrument {i}"
    return f"instrument {names[i]!r} (index {i})"


def check_names(names, n: int):
    if names is None:
        return None
    names = list(names)
    if len(names) != n:
        raise OptimiserInputError(f"instruments: {len(names)} names given for {n} instruments")
    return names


def as_vector(value, what: str, n: int | None) -> np.ndarray:
    """A float64 vector of length n (n None: any length)."""
    # Contiguous: the compiled kernels are specialised on it (a strided view would
    # trigger one more compilation).
    array = np.ascontiguousarray(value, dtype=np.float64)
    if array.ndim != 1 or (n is not None and array.shape[0] != n):
        expected = "a vector" if n is None else f"shape ({n},)"
        raise OptimiserInputError(f"{what}: shape {array.shape}, expected {expected}")
    return array


def first_bad(ok: np.ndarray) -> int:
    return int(np.flatnonzero(~ok)[0])


def check_finite(array: np.ndarray, what: str, names, hint: str = "") -> None:
    finite = np.isfinite(array)
    if not finite.all():
        i = first_bad(finite)
        raise OptimiserInputError(f"{instrument_label(names, i)}: {what} is {array[i]}{hint}")


def check_vectors(x_star, v, c, names) -> None:
    """x* finite (NaN is missing data), v finite and > 0, c finite and >= 0."""
    # Fast path, a few µs at N=100 (the engine's every call): a NaN or inf makes a dot product
    # non-finite. Python's scalar arithmetic and math.isfinite: numpy's on scalars costs more.
    if not v.shape[0] or (math.isfinite(float(x_star @ x_star) + float(v @ v) + float(c @ c))
                          and v.min() > 0.0 and c.min() >= 0.0):
        return
    # Slow path: find the culprit (or pass, if the fast path merely overflowed).
    check_finite(x_star, "optimal position", names, "; " + MISSING_DATA_HINT)
    check_finite(v, "per_contract_weight", names, "; " + MISSING_DATA_HINT)
    positive = v > 0.0
    if not positive.all():
        i = first_bad(positive)
        raise OptimiserInputError(
            f"{instrument_label(names, i)}: per_contract_weight is {v[i]}; it must be > 0"
        )
    check_finite(c, "cost_per_contract", names)
    non_negative = c >= 0.0
    if not non_negative.all():
        i = first_bad(non_negative)
        raise OptimiserInputError(
            f"{instrument_label(names, i)}: cost_per_contract is {c[i]}; it must be >= 0"
        )


def check_scalar(value, what: str) -> float:
    value = float(value)
    if not (math.isfinite(value) and value >= 0.0):
        raise OptimiserInputError(f"{what} is {value}; it must be finite and >= 0")
    return value


def as_previous(previous, n: int, names) -> np.ndarray | None:
    """x0 as int64; floats are accepted when they hold whole numbers."""
    if previous is None:
        return None
    array = np.asarray(previous)
    if array.dtype.kind in "iu" and array.ndim == 1 and array.shape[0] == n:
        return np.ascontiguousarray(array, dtype=np.int64)
    array = as_vector(array, "previous", n)
    check_finite(array, "previous position", names)
    whole = array == np.rint(array)
    if not whole.all():
        i = first_bad(whole)
        raise OptimiserInputError(
            f"{instrument_label(names, i)}: previous position is {array[i]}; "
            "positions held are whole contracts"
        )
    return array.astype(np.int64)


def integer_bounds(min_positions, max_positions, n: int, names):
    """(lo, hi, bounded): float64 vectors of whole contracts (+-inf where unbounded),
    and whether any bound is finite.

    A bound is moved inwards to a whole number (ceil of min, floor of max) since
    positions are whole contracts; 1e-9 of slack keeps 2.0000000001 at 2.
    """
    if min_positions is None and max_positions is None:
        return np.full(n, -np.inf), np.full(n, np.inf), False
    lo = _bound(min_positions, -np.inf, "min_positions", n, names)
    hi = _bound(max_positions, np.inf, "max_positions", n, names)
    for array, infinity, what in ((lo, np.inf, "min_positions"), (hi, -np.inf, "max_positions")):
        if (array == infinity).any():
            i = int(np.flatnonzero(array == infinity)[0])
            raise OptimiserInputError(
                f"{instrument_label(names, i)}: {what} is {infinity}; no position satisfies it"
            )
    lo_whole = np.ceil(lo - 1e-9)
    hi_whole = np.floor(hi + 1e-9)
    ordered = lo_whole <= hi_whole
    if not ordered.all():
        i = first_bad(ordered)
        problem = "min > max" if lo[i] > hi[i] else "no whole number of contracts between them"
        raise OptimiserInputError(
            f"{instrument_label(names, i)}: min_positions {lo[i]} and max_positions "
            f"{hi[i]}: {problem}"
        )
    bounded = bool(np.isfinite(lo_whole).any() or np.isfinite(hi_whole).any())
    return lo_whole, hi_whole, bounded


def _bound(value, default: float, what: str, n: int, names) -> np.ndarray:
    if value is None:
        return np.full(n, default)
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        array = np.full(n, float(array))
    array = as_vector(array, what, n)
    if np.isnan(array).any():
        i = first_bad(~np.isnan(array))
        raise OptimiserInputError(
            f"{instrument_label(names, i)}: {what} is NaN; use -inf/+inf for an unbounded "
            "position"
        )
    return array


def check_covariance(Sigma, instruments: Sequence[str] | None = None) -> np.ndarray:
    """Check that Sigma is a finite, symmetric, positive semi-definite (N, N) matrix.

    Returns it as a C-contiguous float64 array. Raises OptimiserInputError naming the
    instrument at fault (for a PSD failure: the instrument dominating the direction of
    negative variance). ~0.1 ms at N=100.
    """
    Sigma = np.ascontiguousarray(Sigma, dtype=np.float64)
    n = Sigma.shape[0] if Sigma.ndim == 2 else -1
    if Sigma.ndim != 2 or Sigma.shape[1] != n:
        raise OptimiserInputError(f"covariance: shape {Sigma.shape}, expected a square matrix")
    names = check_names(instruments, n)
    if n == 0:
        return Sigma
    if not np.isfinite(Sigma).all():
        i = first_bad(np.isfinite(Sigma).all(axis=1))
        raise OptimiserInputError(
            f"{instrument_label(names, i)}: covariance row has NaN or inf; " + MISSING_DATA_HINT
        )
    variances = np.diag(Sigma)
    non_negative = variances >= 0.0
    if not non_negative.all():
        i = first_bad(non_negative)
        raise OptimiserInputError(
            f"{instrument_label(names, i)}: covariance has a negative variance {variances[i]}"
        )
    scale = float(variances.max())
    asymmetry = np.abs(Sigma - Sigma.T)
    worst = int(np.argmax(asymmetry))
    if asymmetry.flat[worst] > SYMMETRY_RTOL * scale:
        i, j = divmod(worst, n)
        raise OptimiserInputError(
            f"{instrument_label(names, i)}: covariance is not symmetric: entry ({i}, {j}) is "
            f"{Sigma[i, j]} but ({j}, {i}) is {Sigma[j, i]} ({instrument_label(names, j)})"
        )
    if not _cholesky_succeeds(Sigma, PSD_RTOL * scale):
        _check_eigenvalues(Sigma, names)
    return Sigma


def _cholesky_succeeds(Sigma: np.ndarray, shift: float) -> bool:
    """Whether Sigma + shift I is positive definite, i.e. no eigenvalue of Sigma is
    below -shift: the PSD test with a tolerance, ~8x cheaper than eigenvalues."""
    shifted = Sigma.copy()
    shifted.flat[:: Sigma.shape[0] + 1] += shift
    try:
        np.linalg.cholesky(shifted)
    except np.linalg.LinAlgError:
        return False
    return True


def _check_eigenvalues(Sigma: np.ndarray, names) -> None:
    """The exact PSD test, run only when the Cholesky test failed (it may fail at the
    edge of the tolerance); names the instrument that dominates the eigenvector of the
    most negative eigenvalue."""
    eigenvalues, eigenvectors = np.linalg.eigh(Sigma)
    largest = max(abs(eigenvalues[0]), abs(eigenvalues[-1]))
    if eigenvalues[0] < -PSD_RTOL * largest:
        i = int(np.argmax(np.abs(eigenvectors[:, 0])))
        raise OptimiserInputError(
            f"{instrument_label(names, i)}: covariance is not positive semi-definite "
            f"(smallest eigenvalue {eigenvalues[0]:.3g}, largest {largest:.3g}); this "
            "instrument dominates the direction of negative variance"
        )
