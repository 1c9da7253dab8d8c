"""The exact integer optimum of f for small problems: a check on the searches, not for daily use.

Branch and bound over whole positions (a sphere decoder, Fincke and Pohst): with
W = diag(v) Sigma diag(v) = R'R (R upper triangular) and y = x - x*,

    TE^2 = ||R y||^2 = sum_k ( R_kk y_k + sum_{j>k} R_kj y_j )^2,

so fixing x_{N-1}, ..., x_k fixes the terms k..N-1, whose sum bounds TE^2 from below
whatever the other positions are (bounds on them only raise it). Any x with f(x) below
the best f found so far therefore has each x_k in an interval around the centre where
term k is zero; positions are enumerated in those intervals, the interval shrinking as
better solutions are found. The search starts from an upper bound (the caller's f of
a known point), so it proves that point optimal or finds a better one. Needs Sigma
positive definite; exponential in N: fine for N <= 10, often for N <= 30.
"""

from __future__ import annotations

import math

import numpy as np

from tradesim.optimiser.objective import objective
from tradesim.optimiser.problem import Problem


class NodeLimitExceeded(RuntimeError):
    """The enumeration visited more nodes than allowed (the problem is too large)."""


def exact_search(p: Problem, upper: np.ndarray, node_limit: int = 2_000_000) -> np.ndarray:
    """The whole positions (within the bounds) of least f, before buffering.

    ``upper``: any positions within the bounds; its f starts the bound. Returned
    unchanged when nothing is better (ties keep it).
    """
    n = p.n
    c = p.c if p.x0 is not None else np.zeros(n)
    x0 = p.x0 if p.x0 is not None else np.zeros(n, dtype=np.int64)
    W = p.Sigma * np.outer(p.v, p.v)
    R = np.linalg.cholesky(W).T  # LinAlgError when Sigma is not positive definite
    x_star, lam = p.x_star, p.lam
    best_x = np.asarray(upper, dtype=np.int64).copy()
    best_f = [objective(best_x, x_star, p.x0, p.v, p.Sigma, p.c, lam)]
    # A point is taken only when better by more than rounding: ties keep ``upper``.
    margin = 1e-12 * max(best_f[0], 1e-300)
    x = np.zeros(n, dtype=np.int64)
    nodes = [0]

    def visit(k: int, te2: float, cost: float) -> None:
        nodes[0] += 1
        if nodes[0] > node_limit:
            raise NodeLimitExceeded(f"exact search: more than {node_limit} nodes at N={n}")
        shift = float(R[k, k + 1:] @ (x[k + 1:] - x_star[k + 1:])) if k + 1 < n else 0.0
        centre = x_star[k] - shift / R[k, k]
        room = best_f[0] - margin - lam * cost
        if room <= 0.0:
            return
        reach = math.sqrt(max(room * room - te2, 0.0)) / R[k, k]
        first = max(math.ceil(centre - reach), p.lo[k])
        last = min(math.floor(centre + reach), p.hi[k])
        if first > last:
            return
        for value in range(int(first), int(last) + 1):
            term = R[k, k] * (value - centre)
            te2_k = te2 + term * term
            cost_k = cost + c[k] * abs(value - x0[k])
            f_k = math.sqrt(te2_k) + lam * cost_k  # a lower bound on f below this node
            if f_k >= best_f[0] - margin:
                continue
            x[k] = value
            if k == 0:
                best_f[0] = f_k
                best_x[:] = x
            else:
                visit(k - 1, te2_k, cost_k)

    if n:
        visit(n - 1, 0.0, 0.0)
    return best_x
