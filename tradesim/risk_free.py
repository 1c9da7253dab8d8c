"""The risk-free rate a run's Sharpe ratios are measured against, one annual rate per day.

A config gives a constant (``risk_free = 0.04``), a series from a CSV file
(``[risk_free] file = "tbill.csv"``): dates and annual rates, each holding until the
next date, as a published rate does, or a bundled series (``risk_free =
"bundled:us_tbill_3m"``). A run day before a series' first date has no rate, and is an
error naming the series and the day rather than a silent zero; so is a day after a
bundled series ends (a file's last rate holds on, as a published rate does until the next).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from tradesim.errors import ConfigError
from tradesim.schema import BUNDLED_RATE_PREFIX as BUNDLED_PREFIX, RiskFreeSeries


# Bundled rate series: name -> (file in tradesim/data/datasets, its rate column, the
# factor to an annual decimal rate, the last day its last observation covers).
BUNDLED = {
    # FRED TB3MS (Federal Reserve H.15), monthly averages in percent: each month's average
    # applies to every day of that month. Provenance: datasets/NOTICE-us_tbill_3m.txt.
    "us_tbill_3m": ("us_tbill_3m.csv", "TB3MS", 0.01, pd.Timestamp("2023-11-30")),
}


@lru_cache(maxsize=None)
def bundled_rate(name: str) -> pd.Series:
    """A bundled rate series as annual decimal rates, indexed by the date each starts."""
    if name not in BUNDLED:
        raise ConfigError(f"risk_free {BUNDLED_PREFIX}{name}: no such bundled rate (bundled: "
                          f"{', '.join(BUNDLED_PREFIX + n for n in BUNDLED)})")
    file, column, scale, _ = BUNDLED[name]
    with resources.files("tradesim.data.datasets").joinpath(file).open("rb") as fh:
        frame = pd.read_csv(fh, parse_dates=[0])
    return pd.Series(frame[column].to_numpy(dtype=float) * scale, index=pd.DatetimeIndex(frame.iloc[:, 0]), name=name)


def _bundled_rates(spec: str, days: pd.DatetimeIndex) -> np.ndarray:
    name = spec.removeprefix(BUNDLED_PREFIX)
    series = bundled_rate(name)
    last = BUNDLED[name][3]
    if len(days) and (days[0] < series.index[0] or days[-1] > last):
        day = days[0] if days[0] < series.index[0] else days[-1]
        raise ConfigError(f"risk_free {spec}: no rate on {day.date()} (the bundled series covers "
                          f"{series.index[0].date()} to {last.date()}); give a constant or a [risk_free] file")
    return _hold(series, days)


def _hold(series: pd.Series, days: pd.DatetimeIndex) -> np.ndarray:
    """Each rate of ``series`` holds from its date until the next one."""
    return series.reindex(series.index.union(days)).ffill().reindex(days).to_numpy(dtype=float)


def risk_free_rates(spec: float | str | RiskFreeSeries, days: pd.DatetimeIndex, base: Path | None = None) -> np.ndarray:
    """The annual risk-free rate on each of ``days`` (a constant is repeated)."""
    naive = days.tz_localize(None) if days.tz is not None else days
    if isinstance(spec, str):
        return _bundled_rates(spec, naive)
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
    if len(naive) and naive[0] < series.index[0]:
        raise ConfigError(f"risk_free.file {spec.file}: no rate on {naive[0].date()} "
                          f"(the file starts on {series.index[0].date()})")
    return _hold(series, naive)
