"""Futures prices in pysystemtrade's format, read straight from the user's folder.

Two layouts, told apart by what the folder holds:

- pysystemtrade's own (``data/futures`` of a checkout): ``csvconfig/instrumentconfig.csv``,
  ``csvconfig/spreadcosts.csv``, ``adjusted_prices_csv/X.csv`` (DATETIME, price),
  ``multiple_prices_csv/X.csv`` (DATETIME, CARRY, CARRY_CONTRACT, PRICE, PRICE_CONTRACT,
  FORWARD, FORWARD_CONTRACT) and ``fx_prices_csv/XXXYYY.csv`` (DATETIME, PRICE).
  Timestamps may be intraday: each day keeps its last row (the close). Weekend rows are
  dropped: some vendors stamp a Sunday-evening session, which belongs to Monday, and a
  day of its own would put a weekend into every instrument's calendar.
- daily files (``instruments.csv``, ``adjusted_prices.csv.gz`` wide DATE x Instrument,
  ``multiple_prices.csv.gz`` long DATE, Instrument, PRICE, PRICE_CONTRACT, CARRY,
  CARRY_CONTRACT, and ``fx_prices.csv.gz`` wide DATE x XXXUSD), one row per day already.

Bars: close = the back-adjusted price (negative values are normal after Panama
adjustment; only its changes are used), contract_price = PRICE (the held contract, for
sizing and notional), carry_price = CARRY, contract / carry_contract = PRICE_CONTRACT /
CARRY_CONTRACT as yyyymmdd numbers.
"""

from __future__ import annotations

import os
import re
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from tradesim.data.frames import read_wide_csv
from tradesim.data.instrument_table import InstrumentTable, parse_instrument_table
from tradesim.data.source import PriceBars
from tradesim.errors import ConfigError, DataError

# PriceBars field <- multiple prices column
MULTIPLE_FIELDS = {"contract_price": "PRICE", "carry_price": "CARRY", "contract": "PRICE_CONTRACT",
                   "carry_contract": "CARRY_CONTRACT"}
_FX_PAIR = re.compile(r"^[A-Z]{6}$")


def _numbers(frame: pd.DataFrame, column: str, label: str, dates: pd.Series) -> np.ndarray:
    """A column of numbers where only a blank (or 'nan', as pandas writes one) means missing."""
    if pd.api.types.is_numeric_dtype(frame[column]):  # parsed in C: blanks are NaN, nothing else was
        return frame[column].to_numpy(dtype=float)
    text = frame[column].astype(str).str.strip()
    text = text.where(frame[column].notna(), "")
    values = pd.to_numeric(text.where(text != "", None), errors="coerce")
    bad = values.isna() & (text != "") & (text.str.lower() != "nan")
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{label}: line {k + 2}: field {column!r} on {dates.iloc[k]}: "
                        f"{frame[column].iloc[k]!r} is not a number")
    return values.to_numpy(dtype=float)


def read_stamped_csv(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """A pysystemtrade per-instrument file as one row per weekday (the day's last row)."""
    label = str(path)
    try:
        # Only a blank is missing: 'n/a' or '#N/A' in a price column is an error, not a gap.
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"DATETIME": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{label}: cannot read: {exc}") from None
    for col in ("DATETIME", *columns):
        if col not in frame.columns:
            raise DataError(f"{label}: no {col!r} column")
    stamps = pd.to_datetime(frame["DATETIME"], errors="coerce", format="ISO8601")
    if stamps.isna().any():
        k = int(np.flatnonzero(stamps.isna().to_numpy())[0])
        raise DataError(f"{label}: line {k + 2}: field 'DATETIME': {frame['DATETIME'].iloc[k]!r} is not a date")
    out = pd.DataFrame({c: _numbers(frame, c, label, frame["DATETIME"]) for c in columns},
                       index=pd.DatetimeIndex(stamps, name="date"))
    out = out.iloc[np.argsort(out.index.to_numpy(), kind="stable")]
    days = out.index.normalize()
    last_of_day = ~days.duplicated(keep="last")
    out = out.loc[last_of_day]
    out.index = days[last_of_day]
    return out.loc[out.index.day_of_week < 5]


def _layout(root: Path) -> str:
    if (root / "instruments.csv").is_file():
        return "daily"
    if (root / "csvconfig" / "instrumentconfig.csv").is_file():
        return "pysystemtrade"
    raise ConfigError(f"field 'data.path': {root}: neither pysystemtrade's layout (csvconfig/instrumentconfig.csv) "
                      f"nor daily files (instruments.csv)")


def _data_file(root: Path, stem: str) -> Path:
    for name in (f"{stem}.csv.gz", f"{stem}.csv"):
        if (root / name).is_file():
            return root / name
    raise DataError(f"{root}: no {stem}.csv.gz")


class PysystemtradeSource:
    """``[data] source = "pysystemtrade"``: prices and the instrument table from one folder."""

    name = "pysystemtrade"

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        if path is None:
            raise ConfigError("field 'data.path': a pysystemtrade source needs the folder holding its CSV files")
        self.root = Path(path).expanduser()
        if not self.root.is_dir():
            raise ConfigError(f"field 'data.path': {self.root}: no such folder")
        self.layout = _layout(self.root)

    # -- what the folder holds ---------------------------------------------------

    def instrument_table(self) -> InstrumentTable:
        if self.layout == "daily":
            return parse_instrument_table(self.root / "instruments.csv")
        spreads = self.root / "csvconfig" / "spreadcosts.csv"
        return parse_instrument_table(self.root / "csvconfig" / "instrumentconfig.csv",
                                      spreads if spreads.is_file() else None)

    def metadata(self, symbols: Sequence[str]) -> dict[str, dict]:
        """Config fields (multiplier, currency, asset_class, kind, costs) by symbol."""
        return self.instrument_table().metadata(symbols)

    def symbols(self) -> list[str]:
        """Every instrument with back-adjusted prices, sorted."""
        if self.layout == "daily":
            return sorted(c for c in self._adjusted.columns if self._adjusted[c].notna().any())
        return sorted(p.name.removesuffix(".csv") for p in (self.root / "adjusted_prices_csv").glob("*.csv"))

    def fx_rates(self) -> pd.DataFrame:
        """Every FX series in the folder, wide (columns like 'EURUSD')."""
        return self._fx

    # -- prices -------------------------------------------------------------------

    def load(self, symbols: Sequence[str], start: date | None = None, end: date | None = None) -> PriceBars:
        symbols = list(symbols)
        if self.layout == "daily":
            close, multiple = self._daily(symbols)
        else:
            close, multiple = self._per_file(symbols)
        fx = self._fx

        def cut(frame: pd.DataFrame, keep_history: bool = False) -> pd.DataFrame:
            if start is not None and not keep_history:
                frame = frame.loc[frame.index >= pd.Timestamp(start)]
            if end is not None:
                frame = frame.loc[frame.index <= pd.Timestamp(end)]
            return frame

        # FX keeps its history before ``start``: the last known rate values the first days.
        return PriceBars(close=cut(close), fx=cut(fx, keep_history=True),
                         **{f: cut(frame) for f, frame in multiple.items()})

    def _per_file(self, symbols: list[str]) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
        closes, fields = {}, {f: {} for f in MULTIPLE_FIELDS}
        for s in symbols:
            adjusted = self.root / "adjusted_prices_csv" / f"{s}.csv"
            if not adjusted.is_file():
                raise DataError(f"{self.root}: unknown instrument {s!r} (no adjusted_prices_csv/{s}.csv)")
            multiple = self.root / "multiple_prices_csv" / f"{s}.csv"
            if not multiple.is_file():
                raise DataError(f"{self.root}: instrument {s!r} has no multiple_prices_csv/{s}.csv "
                                f"(a future needs its held contract's price)")
            closes[s] = read_stamped_csv(adjusted, ["price"])["price"]
            m = read_stamped_csv(multiple, list(MULTIPLE_FIELDS.values()))
            for f, col in MULTIPLE_FIELDS.items():
                fields[f][s] = m[col]
        wide = lambda series: pd.DataFrame(series, columns=symbols).sort_index()  # noqa: E731
        return wide(closes), {f: wide(v) for f, v in fields.items()}

    def _daily(self, symbols: list[str]) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
        unknown = [s for s in symbols if s not in self._adjusted.columns]
        if unknown:
            raise DataError(f"{self._adjusted_file}: unknown instrument {unknown[0]!r}")
        close = self._adjusted.loc[:, symbols]
        close = close.loc[close.notna().any(axis=1)]
        by_symbol = self._multiple_by_symbol
        without = [s for s in symbols if s not in by_symbol]
        if without:
            raise DataError(f"{self.root}: instrument {without[0]!r} has no rows in multiple_prices "
                            f"(a future needs its held contract's price)")
        # Every instrument's days, and where each instrument's rows go among them: the wide
        # tables once, rather than pandas aligning 100+ indexes for each field.
        index = pd.DatetimeIndex(np.unique(np.concatenate([by_symbol[s].index.to_numpy() for s in symbols])),
                                 name="date")
        rows = [index.searchsorted(by_symbol[s].index) for s in symbols]
        fields = {}
        for f, col in MULTIPLE_FIELDS.items():
            values = np.full((len(index), len(symbols)), np.nan)
            for j, s in enumerate(symbols):
                values[rows[j], j] = by_symbol[s][col].to_numpy(dtype=float)
            fields[f] = pd.DataFrame(values, index=index, columns=pd.Index(symbols))
        return close, fields

    @cached_property
    def _adjusted_file(self) -> Path:
        return _data_file(self.root, "adjusted_prices")

    @cached_property
    def _adjusted(self) -> pd.DataFrame:
        return read_wide_csv(self._adjusted_file, str(self._adjusted_file), date_column="DATE")

    @cached_property
    def _multiple_by_symbol(self) -> dict[str, pd.DataFrame]:
        path = _data_file(self.root, "multiple_prices")
        label = str(path)
        try:
            frame = pd.read_csv(path, keep_default_na=False, na_values=[""],
                                dtype={"DATE": str, "Instrument": str})
        except (OSError, pd.errors.ParserError, UnicodeDecodeError, EOFError) as exc:
            raise DataError(f"{label}: cannot read: {exc}") from None
        for col in ("DATE", "Instrument", *MULTIPLE_FIELDS.values()):
            if col not in frame.columns:
                raise DataError(f"{label}: no {col!r} column")
        days = pd.to_datetime(frame["DATE"], errors="coerce", format="ISO8601")
        if days.isna().any():
            k = int(np.flatnonzero(days.isna().to_numpy())[0])
            raise DataError(f"{label}: line {k + 2}: field 'DATE': {frame['DATE'].iloc[k]!r} is not a date")
        for col in MULTIPLE_FIELDS.values():
            frame[col] = _numbers(frame, col, label, frame["DATE"])
        days = days.dt.normalize()
        twice = pd.DataFrame({"day": days, "symbol": frame["Instrument"]}).duplicated()
        if twice.any():
            k = int(np.flatnonzero(twice.to_numpy())[0])
            raise DataError(f"{label}: line {k + 2}: instrument {frame['Instrument'].iloc[k]!r} on "
                            f"{days.iloc[k].date()} appears twice")
        frame.index = pd.DatetimeIndex(days, name="date")
        return {s: g.drop(columns="Instrument").sort_index() for s, g in frame.groupby("Instrument", sort=False)}

    @cached_property
    def _fx(self) -> pd.DataFrame:
        if self.layout == "daily":
            path = _data_file(self.root, "fx_prices")
            return read_wide_csv(path, str(path), date_column="DATE")
        folder = self.root / "fx_prices_csv"
        # Only files named like a currency pair (EURUSD.csv) are rates; pysystemtrade's
        # folder can also hold scratch files (AUDUSDfx.csv, lock files).
        files = sorted(p for p in folder.glob("*.csv") if _FX_PAIR.match(p.name.removesuffix(".csv")))
        if not files:  # a dated index all the same: ``load`` cuts it by date
            return pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
        series = {p.name.removesuffix(".csv"): read_stamped_csv(p, ["PRICE"])["PRICE"] for p in files}
        return pd.DataFrame(series).sort_index()
