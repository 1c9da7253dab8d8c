"""Reading wide price CSVs (Date column + one column per symbol)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import IO, Sequence

import numpy as np
import pandas as pd

from tradesim.errors import DataError, not_utf8


def read_wide_csv(path: Path | IO[bytes], label: str, date_column: str | None = None,
                  compression: str | None = "infer", columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A wide price file as a float frame indexed by date; errors name the file.

    ``columns``: read only these (with ``date_column``), all present (the caller checked the header).
    """
    try:
        frame = pd.read_csv(path, compression=compression,
                            usecols=None if columns is None else [date_column, *columns])
    except pd.errors.EmptyDataError:
        raise DataError(f"{label}: the file is empty") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{label}: {not_utf8(exc)}") from None
    except (OSError, pd.errors.ParserError, EOFError) as exc:
        raise DataError(f"{label}: cannot read prices: {exc}") from None
    if frame.empty or len(frame.columns) < 2:
        raise DataError(f"{label}: no price columns")
    column = date_column or frame.columns[0]
    if column not in frame.columns:
        raise DataError(f"{label}: no {column!r} column")
    if pd.api.types.is_numeric_dtype(frame[column]):  # numbers would parse as nanoseconds since 1970
        raise DataError(f"{label}: the first column {column!r} holds numbers, not dates: "
                        "the file needs a Date column first")
    dates = pd.to_datetime(frame.pop(column), errors="coerce")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0]) + 2  # +1 header, +1 one-based
        raise DataError(f"{label}: line {row}: field '{column}' is not a date")
    frame.index = pd.DatetimeIndex(dates.dt.normalize(), name="date")
    for col in frame.columns:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() & frame[col].notna()
        if bad.any():
            when = frame.index[bad.to_numpy()][0].date()
            raise DataError(f"{label}: instrument {col!r} on {when}: price {frame[col][bad].iloc[0]!r} is not a number")
        frame[col] = values.astype("float64")
    if frame.index.has_duplicates:
        when = frame.index[frame.index.duplicated()][0].date()
        raise DataError(f"{label}: date {when} appears twice")
    return frame.sort_index()


def select(frame: pd.DataFrame, symbols: Sequence[str], start: date | None, end: date | None, label: str) -> pd.DataFrame:
    missing = [s for s in symbols if s not in frame.columns]
    if missing:
        raise DataError(f"{label}: unknown instrument {missing[0]!r} (not in the data)")
    out = frame.loc[:, list(symbols)]
    if start is not None:
        out = out.loc[out.index >= pd.Timestamp(start)]
    if end is not None:
        out = out.loc[out.index <= pd.Timestamp(end)]
    return out
