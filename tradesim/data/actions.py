"""Corporate actions: stock splits and cash dividends, on the as-traded basis.

One frame, one row per action, with the columns of ``COLUMNS``:

- ``symbol``;
- ``ex_date``: the first session the shares trade without the entitlement;
- ``kind``: "split" or "dividend";
- ``value``: for a split, new shares per old share (4 for a 4:1 split, 1.5 for 3:2,
  0.1 for a 1:10 reverse split); for a dividend, the cash per share as traded on the
  ex-date, in the instrument's currency;
- ``pay_date``: the dividend's payment date, where known (NaT otherwise).

An actions CSV file (``[data] actions``, for a CSV source of as-traded prices) has
these columns, a header line, ``pay_date`` optional and dates as YYYY-MM-DD.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from tradesim.errors import DataError

COLUMNS = ("symbol", "ex_date", "kind", "value", "pay_date")
KINDS = ("split", "dividend")


def empty_actions() -> pd.DataFrame:
    return pd.DataFrame({"symbol": pd.Series(dtype=object), "ex_date": pd.Series(dtype="datetime64[us]"),
                         "kind": pd.Series(dtype=object), "value": pd.Series(dtype=float),
                         "pay_date": pd.Series(dtype="datetime64[us]")})


def actions_frame(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (symbol, ex_date, kind, value, pay_date) as an actions frame, sorted."""
    if not rows:
        return empty_actions()
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["ex_date"] = pd.to_datetime(frame["ex_date"]).astype("datetime64[us]")
    frame["pay_date"] = pd.to_datetime(frame["pay_date"]).astype("datetime64[us]")
    frame["value"] = frame["value"].astype(float)
    return frame.sort_values(["ex_date", "symbol", "kind"], kind="stable").reset_index(drop=True)


def select_actions(actions: pd.DataFrame | None, symbols: Sequence[str], start: date | None,
                   end: date | None) -> pd.DataFrame:
    """The actions of ``symbols`` with ex-dates from ``start`` to ``end`` inclusive."""
    if actions is None:
        return empty_actions()
    keep = actions["symbol"].isin(list(symbols))
    if start is not None:
        keep &= actions["ex_date"] >= pd.Timestamp(start)
    if end is not None:
        keep &= actions["ex_date"] <= pd.Timestamp(end)
    return actions.loc[keep].reset_index(drop=True)


def split_factor_after(days: pd.DatetimeIndex, splits: pd.Series) -> np.ndarray:
    """For each day, the product of the split ratios with an ex-date after it.

    Yahoo's ``Close`` is split-adjusted to the splits it knows of; multiplying by this
    factor gives back the price as traded that day (``splits``: ratio by ex-date).
    """
    factor = np.ones(len(days))
    for ex_date, ratio in splits.items():
        factor[days < ex_date] *= ratio
    return factor


def read_actions_csv(path: Path, symbols: Sequence[str]) -> pd.DataFrame:
    """An actions file, checked line by line; actions of other symbols are left out."""
    label = str(path)
    if not path.is_file():
        raise DataError(f"{label}: actions file not found")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{label}: cannot read corporate actions: {exc}") from None
    raw.columns = [c.strip() for c in raw.columns]
    missing = [c for c in COLUMNS[:4] if c not in raw.columns]
    if missing:
        raise DataError(f"{label}: no {missing[0]!r} column (columns: symbol, ex_date, kind, value[, pay_date])")
    rows, seen = [], set()
    for k, rec in enumerate(raw.to_dict("records")):
        line = f"{label}: line {k + 2}"
        symbol, kind = rec["symbol"].strip(), rec["kind"].strip().lower()
        ex_date = _date(rec["ex_date"], f"{line}: field 'ex_date'")
        pay = rec.get("pay_date", "").strip()
        pay_date = _date(pay, f"{line}: field 'pay_date'") if pay else pd.NaT
        if kind not in KINDS:
            raise DataError(f"{line}: field 'kind': {rec['kind']!r} is not one of split, dividend")
        try:
            value = float(rec["value"])
        except ValueError:
            raise DataError(f"{line}: field 'value': {rec['value']!r} is not a number") from None
        if not np.isfinite(value) or value <= 0:
            raise DataError(f"{line}: field 'value': {kind} value must be positive, got {rec['value']!r}")
        if kind == "split" and (pay or value == 1.0):
            raise DataError(f"{line}: a split has no pay_date and a ratio other than 1")
        if pay and pay_date < ex_date:
            raise DataError(f"{line}: field 'pay_date': {pay} is before the ex-date {rec['ex_date'].strip()}")
        key = (symbol, ex_date, kind)
        if key in seen:
            raise DataError(f"{line}: a second {kind} of {symbol!r} on {ex_date.date()}")
        seen.add(key)
        if symbol in symbols:
            rows.append((symbol, ex_date, kind, value, pay_date))
    return actions_frame(rows)


def _date(text: str, where: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(date.fromisoformat(text.strip()))
    except ValueError:
        raise DataError(f"{where}: {text!r} is not a date (YYYY-MM-DD)") from None
