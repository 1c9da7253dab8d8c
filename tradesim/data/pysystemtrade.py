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
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from tradesim.allocator import release_free_memory
from tradesim.data.frames import read_wide_csv
from tradesim.data.instrument_table import InstrumentTable, parse_instrument_table
from tradesim.data.source import PriceBars
from tradesim.errors import ConfigError, DataError

# PriceBars field <- multiple prices column
MULTIPLE_FIELDS = {"contract_price": "PRICE", "carry_price": "CARRY", "contract": "PRICE_CONTRACT",
                   "carry_contract": "CARRY_CONTRACT"}
_FX_PAIR = re.compile(r"^[A-Z]{6}$")
_CHUNK_ROWS = 50000  # rows of the daily multiple-prices file parsed at a time


def _numbers(frame: pd.DataFrame, column: str, label: str, dates: pd.Series,
             lines: np.ndarray | None = None) -> np.ndarray:
    """A column of numbers where only a blank (or 'nan', as pandas writes one) means missing.

    ``lines``: each row's line in the file, when ``frame`` is not the file's rows from the top.
    """
    if pd.api.types.is_numeric_dtype(frame[column]):  # parsed in C: blanks are NaN, nothing else was
        return frame[column].to_numpy(dtype=float)
    text = frame[column].astype(str).str.strip()
    text = text.where(frame[column].notna(), "")
    values = pd.to_numeric(text.where(text != "", None), errors="coerce")
    bad = values.isna() & (text != "") & (text.str.lower() != "nan")
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        line = int(lines[k]) if lines is not None else k + 2
        raise DataError(f"{label}: line {line}: field {column!r} on {dates.iloc[k]}: "
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


def _within(days: np.ndarray, start: date | None, end: date | None) -> np.ndarray:
    """Which of ``days`` fall from ``start`` to ``end`` (either open)."""
    keep = np.ones(len(days), dtype=bool)
    if start is not None:
        keep &= days >= pd.Timestamp(start).to_datetime64()
    if end is not None:
        keep &= days <= pd.Timestamp(end).to_datetime64()
    return keep


def _dates(frame: pd.DataFrame, start: date | None, end: date | None) -> pd.DataFrame:
    return frame.loc[_within(frame.index.to_numpy(), start, end)]


def _header(path: Path) -> pd.Index:
    """A CSV file's column names."""
    try:
        return pd.read_csv(path, nrows=0).columns
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, EOFError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None


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
        # FX keeps its history before ``start``: the last known rate values the first days.
        fx = _dates(self._fx, None, end)
        if self.layout == "daily":  # cut to the dates as the wide tables are built, not copied after
            close, multiple = self._daily(symbols, start, end)
            bars = PriceBars(close=close, fx=fx, **multiple)
        else:
            close, multiple = self._per_file(symbols)
            bars = PriceBars(close=_dates(close, start, end), fx=fx,
                             **{f: _dates(frame, start, end) for f, frame in multiple.items()})
        release_free_memory()  # the parser's scratch
        return bars

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

    def _daily(self, symbols: list[str], start: date | None,
               end: date | None) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
        path = self._adjusted_file
        if "_adjusted" in self.__dict__:  # read whole already (``read_all``, ``symbols``)
            adjusted = self._adjusted
        else:
            header = _header(path)
            if "DATE" not in header:
                raise DataError(f"{path}: no 'DATE' column")
            adjusted = None
        unknown = [s for s in symbols if s not in (header if adjusted is None else adjusted.columns)]
        if unknown:
            raise DataError(f"{path}: unknown instrument {unknown[0]!r}")
        read_already = all(s in self._multiple for s in symbols)  # (``read_all``)
        with ThreadPoolExecutor(1, thread_name_prefix="multiple-prices") as beside:
            # A replay's one load keeps nothing once its tables are built. Its held contracts are
            # read on a second thread while this one reads the adjusted prices: both spend most of
            # their time in zlib and pandas' parser, which release the GIL.
            reading = None if read_already else beside.submit(self._read_multiple, set(symbols))
            if adjusted is None:  # only the replay's instruments' columns: the file holds every instrument's
                adjusted = read_wide_csv(path, str(path), date_column="DATE", columns=list(dict.fromkeys(symbols)))
            close = adjusted.loc[_within(adjusted.index.to_numpy(), start, end), symbols]
            close = close.loc[close.notna().any(axis=1)]
            # An error in the adjusted prices is raised first, as when the files were read in turn.
            by_symbol = self.read_multiple_prices(symbols) if reading is None else reading.result()
        without = [s for s in symbols if s not in by_symbol]
        if without:
            raise DataError(f"{self.root}: instrument {without[0]!r} has no rows in multiple_prices "
                            f"(a future needs its held contract's price)")
        # Every instrument's days, and where each instrument's rows go among them: the wide
        # tables once, rather than pandas aligning 100+ indexes for each field.
        inside = [_within(by_symbol[s][0], start, end) for s in symbols]
        index = pd.DatetimeIndex(np.unique(np.concatenate([by_symbol[s][0][k] for s, k in zip(symbols, inside)])),
                                 name="date")
        rows = [index.searchsorted(by_symbol[s][0][k]) for s, k in zip(symbols, inside)]
        fields = {}
        for i, f in enumerate(MULTIPLE_FIELDS):
            values = np.full((len(index), len(symbols)), np.nan)
            for j, s in enumerate(symbols):
                values[rows[j], j] = by_symbol[s][1][inside[j], i]
            fields[f] = pd.DataFrame(values, index=index, columns=pd.Index(symbols), copy=False)  # ours alone
        return close, fields

    @cached_property
    def _adjusted_file(self) -> Path:
        return _data_file(self.root, "adjusted_prices")

    @cached_property
    def _adjusted(self) -> pd.DataFrame:
        return read_wide_csv(self._adjusted_file, str(self._adjusted_file), date_column="DATE")

    def read_all(self, symbols: Sequence[str]) -> None:
        """Read the daily files once for many loads of ``symbols`` (an import's, one symbol at a time)."""
        if self.layout == "daily":
            self._adjusted  # noqa: B018 (cached: later loads take their columns from it)
            self.read_multiple_prices(symbols)

    def read_multiple_prices(self, symbols: Sequence[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The daily file's held-contract rows of ``symbols``: (days, values in MULTIPLE_FIELDS' order) each.

        One pass over the file in chunks, keeping only these symbols' rows and columns:
        the file holds every instrument (about a million rows), a replay wants some, and
        parsing it whole took more memory than everything the replay keeps. Symbols read
        once are kept, so later loads of them (an import's, one symbol at a time, after it
        asked for all of them here) read nothing.
        """
        missing = [s for s in dict.fromkeys(symbols) if s not in self._multiple]
        if missing:
            self._multiple.update(self._read_multiple(set(missing)))
            for s in missing:
                self._multiple.setdefault(s, None)
        return {s: self._multiple[s] for s in symbols if self._multiple[s] is not None}

    @cached_property
    def _multiple(self) -> dict[str, tuple[np.ndarray, np.ndarray] | None]:
        return {}

    def _read_multiple(self, wanted: set[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        path = _data_file(self.root, "multiple_prices")
        label = str(path)
        columns = ["DATE", "Instrument", *MULTIPLE_FIELDS.values()]
        header = _header(path)
        try:
            for col in columns:
                if col not in header:
                    raise DataError(f"{label}: no {col!r} column")
            # Only a blank is missing: 'n/a' in a price column is an error, not a gap.
            chunks = pd.read_csv(path, usecols=columns, keep_default_na=False, na_values=[""],
                                 dtype={"DATE": str, "Instrument": str}, chunksize=_CHUNK_ROWS)
            known = pd.Index(sorted(wanted))
            # Each symbol's rows as pieces, one per chunk it appears in (the file is usually
            # grouped by instrument: one or two pieces each), so the rows kept are held once,
            # not gathered whole and then copied into each symbol's order.
            pieces: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
            first = 2  # the chunk's first line in the file (after the header)
            for chunk in chunks:
                keep = chunk["Instrument"].isin(wanted).to_numpy()
                at = np.flatnonzero(keep) + first
                first += len(chunk)
                if not len(at):
                    continue
                chunk = chunk.loc[keep]
                stamps = pd.to_datetime(chunk["DATE"], errors="coerce", format="ISO8601")
                if stamps.isna().any():
                    k = int(np.flatnonzero(stamps.isna().to_numpy())[0])
                    raise DataError(f"{label}: line {at[k]}: field 'DATE': {chunk['DATE'].iloc[k]!r} is not a date")
                day = stamps.dt.normalize().to_numpy()
                code = known.get_indexer(chunk["Instrument"])
                value = np.column_stack([_numbers(chunk, col, label, chunk["DATE"], at)
                                         for col in MULTIPLE_FIELDS.values()])
                by_code = np.argsort(code, kind="stable")  # the file's order within each symbol
                bounds = np.searchsorted(code[by_code], np.arange(len(known) + 1))
                for c in np.flatnonzero(np.diff(bounds)):
                    rows = by_code[bounds[c]:bounds[c + 1]]
                    pieces.setdefault(int(c), []).append((day[rows], value[rows], at[rows]))
                del chunk, day, value
        except (OSError, pd.errors.ParserError, UnicodeDecodeError, EOFError) as exc:
            raise DataError(f"{label}: cannot read: {exc}") from None
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        repeat = None  # (line, symbol, day) of the first row in the file repeating an earlier one
        for c in sorted(pieces):
            parts = pieces.pop(c)
            day, value, line = (parts[0][i] if len(parts) == 1 else np.concatenate([p[i] for p in parts])
                                for i in range(3))
            if np.any(day[1:] < day[:-1]):  # by day; a repeated day keeps the file's order
                order = np.argsort(day, kind="stable")
                day, value, line = day[order], value[order], line[order]
            twice = np.flatnonzero(day[1:] == day[:-1]) + 1
            if len(twice):
                k = twice[np.argmin(line[twice])]
                if repeat is None or line[k] < repeat[0]:
                    repeat = (int(line[k]), str(known[c]), day[k])
            out[str(known[c])] = (day, value)
        if repeat is not None:
            raise DataError(f"{label}: line {repeat[0]}: instrument {repeat[1]!r} on "
                            f"{pd.Timestamp(repeat[2]).date()} appears twice")
        return out

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
