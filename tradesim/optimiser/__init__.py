"""Carver's dynamic position optimiser ("Advanced Futures Trading Strategies", ch. 25).

    from tradesim.optimiser import optimise_positions
    result = optimise_positions(optimal, previous, per_contract_weight, covariance,
                                cost_per_contract)

Importing this package is cheap: numba is imported on the first optimisation (or by
`warm_up()`), which compiles the search loops or loads them from numba's cache.
"""

from tradesim.optimiser.bounds import no_trade_bounds, reduce_only_bounds
from tradesim.optimiser.objective import objective, trade_cost, tracking_error
from tradesim.optimiser.optimise import METHODS, optimise_positions
from tradesim.optimiser.result import OptimiserResult
from tradesim.optimiser.validation import OptimiserInputError, check_covariance


def warm_up(backend: str = "auto", method: str = "dynamic") -> None:
    """Load (first time: compile) the search loops ``method`` uses now rather than on the first call."""
    problem = ([0.6, -0.4], [0, 0], [0.1, 0.1], [[0.04, 0.01], [0.01, 0.04]], [0.0, 0.0])
    optimise_positions(*problem, method=method, backend=backend)
    from tradesim.optimiser import dynamic

    driver = dynamic.compiled_driver(backend) if method == "dynamic" else None
    if driver is not None:  # the second thread's call too, with its argument types
        from tradesim.optimiser.problem import prepare_problem

        dynamic.optimise_compiled(prepare_problem(*problem, validate=False), driver, helper=dynamic.RunHere())


__all__ = [
    "METHODS",
    "OptimiserInputError",
    "OptimiserResult",
    "check_covariance",
    "no_trade_bounds",
    "objective",
    "optimise_positions",
    "reduce_only_bounds",
    "tracking_error",
    "trade_cost",
    "warm_up",
]
