"""The risk-free rate a run's Sharpe ratios are measured against, one annual rate per day.

A config gives a constant (``risk_free = 0.04``) or a series from a CSV file
(``[risk_free] file = "tbill.csv"``): dates and annual rates, each holding until the
next date, as a published rate does. A run day before the file's first date has no
rate, and is an error naming the file and the day rather than a silent zero.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tradesim.errors import ConfigError
from tradesim.schema import RiskFreeSeries


def risk_free_rates(spec: float | RiskFreeSeries, days: pd.DatetimeIndex, base: Path | None = None) -> np.ndarray:
    """The annual risk-free rate on each of ``days`` (a constant is repeated)."""
    if not isinstance(spec, RiskFreeSeries):
        return np.full(len(days), float(spec))
    path = Path(spec.file)
    if not path.is_absolute() and base is not None:
        path = base / path
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ConfigError(f"risk_free.file {spec.file}: cannot read it ({exc})") from None
    column = spec.column or (frame.columns[1] if len(frame.columns) > 1 else None)
    if column is None or column not in frame.columns:
        raise ConfigError(f"risk_free.file {spec.file}: no column {column!r} (columns: {', '.join(frame.columns)})")
    dates = pd.to_datetime(frame.iloc[:, 0], errors="coerce")
    rates = pd.to_numeric(frame[column], errors="coerce")
    bad = dates.isna() | rates.isna()
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 2  # the header is line 1
        raise ConfigError(f"risk_free.file {spec.file}: line {row} is not a date and a rate")
    series = pd.Series(rates.to_numpy(), index=pd.DatetimeIndex(dates)).sort_index()
    naive = days.tz_localize(None) if days.tz is not None else days
    if len(naive) and naive[0] < series.index[0]:
        raise ConfigError(f"risk_free.file {spec.file}: no rate on {naive[0].date()} "
                          f"(the file starts on {series.index[0].date()})")
    return series.reindex(series.index.union(naive)).ffill().reindex(naive).to_numpy(dtype=float)
