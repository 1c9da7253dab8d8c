"""tradesim: event-driven trading simulation around Carver's dynamic optimisation.

Importing the package stays cheap: heavy modules (numba, matplotlib, yfinance,
SQLAlchemy) are imported by the modules that need them, not here.
"""

__version__ = "0.1.0"

__all__ = ["backtest", "compare"]


def __getattr__(name: str):  # noqa: ANN202
    """``tradesim.backtest`` and ``tradesim.compare``, the notebook API, imported on first use."""
    if name == "backtest":
        from tradesim.api import backtest

        return backtest
    if name == "compare":  # the module tradesim.compare, which is callable as tradesim.api.compare
        from importlib import import_module

        return import_module("tradesim.compare")
    raise AttributeError(f"module 'tradesim' has no attribute {name!r}")
