"""Your own weights: a table of target notional weights, dates down and symbols across.

The dynamic-optimisation guide's central input (``portfolio_weights``): for each date,
the fraction of capital to hold in each instrument (signed; blank for no position).
From a config, ``params.path`` names a CSV (or, with the ``parquet`` extra, Parquet)
file, relative to the config file; from Python, ``tradesim.backtest(weights=frame)``
passes the DataFrame itself.

Alignment: the decision at day t's close uses the last row dated on or before t. A row
dated d is therefore first used at d's close (or, if d is not a trading day, at the
next session's close), its orders fill by the config's fill timing (next open by
default), and it holds until the next row's date. Before the first row, no position.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from strategies.base import StrategyContext, VectorStrategy
from tradesim.data.frames import read_wide_csv
from tradesim.errors import DataError


class Weights(VectorStrategy):
    path_params = ("path",)  # resolved relative to the config file by the loader
    python_only_params = ("frame",)  # tradesim.backtest(weights=...); a config names a file

    def __init__(self, path: str | None = None, frame: pd.DataFrame | None = None) -> None:
        if (path is None) == (frame is None):
            raise ValueError("weights needs params.path, a CSV or Parquet file of weights (dates down, symbols across)")
        self.label = path if path is not None else "weights DataFrame"
        self.table = read_weights(Path(path)) if path is not None else weights_frame(frame, self.label)

    def weights_table(self, ctx: StrategyContext) -> np.ndarray:
        symbols = list(ctx.market.symbols)
        extra = [c for c in self.table.columns if c not in symbols]
        if extra:
            raise ValueError(f"{self.label}: column {extra[0]!r} is not an instrument of the config")
        missing = [s for s in symbols if s not in self.table.columns]
        if missing:
            raise ValueError(f"{self.label}: no column for instrument {missing[0]!r}")
        return aligned(self.table[symbols], ctx.market.dates)


def aligned(table: pd.DataFrame, dates: pd.DatetimeIndex) -> np.ndarray:
    """Row t: the last row of ``table`` dated on or before ``dates[t]``; NaN before the first."""
    row = table.index.searchsorted(dates, side="right") - 1
    values = table.to_numpy(dtype=float)
    out = np.full((len(dates), table.shape[1]), np.nan)
    out[row >= 0] = values[row[row >= 0]]
    return out


def read_weights(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ValueError(f"weights file {path} not found")
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            import pyarrow  # noqa: F401  (pandas reads Parquet through it)
        except ImportError:
            raise ValueError(f"{path}: reading Parquet needs pyarrow: pip install 'tradesim[parquet]'") from None
        frame = pd.read_parquet(path)
        if not isinstance(frame.index, pd.DatetimeIndex):  # the dates as a first column, as in the CSV
            frame = frame.set_index(frame.columns[0])
        return weights_frame(frame, str(path))
    try:
        return read_wide_csv(path, str(path))
    except DataError as exc:
        raise ValueError(str(exc).replace("cannot read prices", "cannot read weights")
                         .replace("price ", "weight ").replace("no price columns", "no weight columns")) from None


def weights_frame(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """A weights table checked as a file is: dated rows, unique and in order, numbers."""
    if not isinstance(frame, pd.DataFrame) or frame.shape[1] == 0:
        raise ValueError(f"{label}: weights are a DataFrame with one column per symbol")
    try:
        index = pd.DatetimeIndex(pd.to_datetime(frame.index)).normalize()
    except (ValueError, TypeError):
        raise ValueError(f"{label}: the index (or first column) must be dates") from None
    if index.tz is not None:
        index = index.tz_localize(None)
    if index.has_duplicates:
        raise ValueError(f"{label}: date {index[index.duplicated()][0].date()} appears twice")
    try:
        values = frame.apply(pd.to_numeric).astype("float64")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{label}: weights must be numbers: {exc}") from None
    if np.isinf(values.to_numpy()).any():
        raise ValueError(f"{label}: weights must be finite")
    values.index = index
    values.columns = [str(c) for c in values.columns]
    return values.sort_index()
