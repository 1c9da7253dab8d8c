"""tradesim: event-driven trading simulation around Carver's dynamic optimisation.

Importing the package stays cheap: heavy modules (numba, matplotlib, yfinance,
SQLAlchemy) are imported by the modules that need them, not here.
"""

__version__ = "0.1.0"
