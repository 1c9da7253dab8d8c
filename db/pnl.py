"""P&L attribution from the ledger alone: per instrument and day, then grouped.

For instrument i on day t (previous processed day s), in the base currency:

    futures: (Q_t P_t - Q_s P_s - sum_fills q f) x m x fx_t
           = Q_s (P_t - P_s) m fx_t  +  sum_fills q (P_t - f) m fx_t
    stocks:  Q_t P_t m fx_t - Q_s P_s m fx_s - sum_fills q f m fx_t

that is, the position carried from yesterday times the price move, plus each
fill's fill-to-close P&L; for stocks (bought with cash) the holding's value also
moves with FX, which the engine's accounting counts and so must this. Q and P
are the ledger's positions at each close (P the close, back-adjusted for
futures), f the fill price. Summed over instruments this is each day's
``equity.gross_pnl``: the tests reconcile the two.

Costs stay apart: each fill's commission and slippage belong to its instrument;
roll costs are recorded per day, not per instrument, so they get their own row
``(rolls)`` (and are left out when the query names symbols).

A whole run of a million fills is read column by column from the DBAPI cursor
(ledger tables by instrument id, no per-row objects) and matched day to day on
integer keys; the arithmetic is the same expression, in the same order, as the
row-by-row definition above.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Connection, and_, func, select

from db.models import Fill, Instrument, Order, PositionRow
from db.queries import EQUITY, Filters, QueryError, _check_symbols, resolve_run

if TYPE_CHECKING:  # the command's sums are plain Python: numpy and pandas only for the frames
    import numpy as np
    import pandas as pd

KEYS = {"instrument": ["symbol", "asset_class", "currency"], "asset_class": ["asset_class"],
        "month": ["month"], "day": ["day"]}
ROLLS = "(rolls)"
PNL_COLUMNS = ("gross_pnl", "costs", "net_pnl")


def _by(by: str | Iterable[str]) -> list[str]:
    names = [b.strip().replace("-", "_") for part in ([by] if isinstance(by, str) else by) for b in part.split(",")]
    names = [n for n in names if n]
    unknown = [n for n in names if n not in KEYS]
    if unknown or not names:
        raise QueryError(f"--by: {unknown[0] if unknown else ''!r} is not one of {', '.join(KEYS)}")
    return names


def attribute(conn: Connection, f: Filters, by: str | Iterable[str] = ("instrument",),
              reference: bool = False) -> pd.DataFrame:
    """P&L grouped ``by``; the database sums it (``db.pnl_sql``). ``reference=True`` reads every
    holding and fill and sums them here instead, term for term as the definition reads (the tests
    compare the two)."""
    import numpy as np
    import pandas as pd

    keys = _by(by)
    cols, sums = _sums(conn, f, keys, reference)
    if sums is None:
        return pd.DataFrame(columns=cols)
    base, book, days, code, t, gross, costs = sums
    return _grouped(keys, cols, base, {name: np.array(values, dtype=object) for name, values in book.items()}, days,
                    np.array(code, dtype=np.intp), np.array(t, dtype=np.intp), np.array(gross, dtype=float),
                    np.array(costs, dtype=float))


def table(conn: Connection, f: Filters, by: str | Iterable[str] = ("instrument",)) -> tuple[list[str], list[tuple]]:
    """What ``attribute`` gives, as its column names and rows of plain values (None for a missing
    label): the database's sums, labelled and ordered in plain Python (no pandas, no numpy), for
    ``tradesim pnl``, which then starts in half the time. The groups' figures are ``attribute``'s up to the order of the
    additions."""
    keys = _by(by)
    cols, sums = _sums(conn, f, keys, reference=False)
    return cols, ([] if sums is None else _grouped_rows(keys, *sums))


def _sums(conn: Connection, f: Filters, keys: list[str], reference: bool) -> tuple[list[str], tuple | None]:
    """The result's columns, and (base currency, instruments, days, then instrument code, day
    index, gross P&L and costs per summed row, as lists), or None when there is nothing to sum."""
    _check_symbols(conn, f.symbol)
    run_id = resolve_run(conn, f)
    cols = [c for k in keys for c in KEYS[k]] + ["base_currency", *PNL_COLUMNS]
    if run_id is None:
        return cols, None
    e = EQUITY.c
    in_run = select(e.day, e.roll_costs, e.base_currency).where(e.run_id == run_id).order_by(e.day)
    if f.since is not None:
        in_run = in_run.where(e.day >= f.since)
    if f.until is not None:
        in_run = in_run.where(e.day <= f.until)
    inside = conn.execute(in_run).all()
    if not inside:
        return cols, None
    # The first day's P&L starts from the holdings of the processed day before it.
    before = conn.execute(select(func.max(e.day)).where(e.run_id == run_id, e.day < inside[0].day)).scalar()
    base = inside[0].base_currency
    first, last = inside[0].day, inside[-1].day
    start = before if before is not None else first
    days = ([before] if before is not None else []) + [row.day for row in inside]
    opening = 1 if before is not None else 0  # index of the first day of the window

    book = _instruments(conn, f)
    if reference:
        arrays = _arrays(book)
        # Passed on, not kept: _per_key lets go of each million-row column once it has used it.
        gross, costs, code, t = (column.tolist() for column in _per_key(
            _positions(conn, run_id, start, last, arrays, days, f), _fills(conn, run_id, first, last, arrays, days, f),
            arrays, days, opening))
    else:
        from db.pnl_sql import summed

        gross, costs, code, t = summed(conn, run_id, start, last, opening, book, days, keys, f.symbol)
    if not f.symbol:  # roll costs: a row per day of their own, as the instrument "(rolls)"
        rolled = [(k, float(row.roll_costs)) for k, row in enumerate(inside) if row.roll_costs != 0]
        gross = gross + [0.0] * len(rolled)
        costs = costs + [paid for _, paid in rolled]
        code = code + [len(book["id"])] * len(rolled)
        t = t + [k + opening for k, _ in rolled]
        book = {**book, **{name: [*book[name], value]
                           for name, value in (("symbol", ROLLS), ("asset_class", ROLLS), ("currency", base))}}
    return cols, (base, book, days, code, t, gross, costs)


def _instruments(conn: Connection, f: Filters) -> dict[str, list]:
    """The instruments asked about, a column per field (lists; ids int, multipliers float)."""
    sel = select(Instrument.id, Instrument.symbol, Instrument.asset_class, Instrument.currency, Instrument.kind,
                 Instrument.multiplier).order_by(Instrument.symbol)  # the same sums whatever the ids
    if f.symbol:
        sel = sel.where(Instrument.symbol.in_(f.symbol))
    result = conn.execute(sel)
    names, rows = list(result.keys()), result.all()
    book = {name: [row[k] for row in rows] for k, name in enumerate(names)}
    book["id"] = [int(i) for i in book["id"]]
    book["multiplier"] = [float(m) for m in book["multiplier"]]
    return book


def _arrays(book: dict[str, list]) -> dict[str, np.ndarray]:
    """``book`` as the reference's columns: object arrays, ids int64, multipliers float."""
    import numpy as np

    arrays = {name: np.array(values, dtype=object) for name, values in book.items()}
    arrays["id"] = arrays["id"].astype(np.int64)
    arrays["multiplier"] = arrays["multiplier"].astype(float)
    return arrays


def _columns(conn: Connection, sel, book: dict[str, np.ndarray], days: list[date],  # noqa: ANN001
             n_values: int) -> tuple[np.ndarray, ...]:
    """Instrument codes (rows of ``book``), day indexes (into ``days``; -1 for a day not among
    them) and ``n_values`` float columns (NULL is NaN) of the query's rows."""
    import numpy as np

    from db.records import records

    table = records(conn, sel, [("id", "<i8"), ("day", "M8[D]")] + [(f"v{k}", "<f8") for k in range(n_values)])
    ids = book["id"]
    code_of = np.full(int(max(ids.max(initial=0), table["id"].max(initial=0))) + 1, -1, dtype=np.intp)
    code_of[ids] = np.arange(len(ids))
    axis = np.array([d.isoformat() for d in days], dtype="datetime64[D]")
    when = table["day"]
    t = np.searchsorted(axis, when)
    t[axis[np.minimum(t, len(axis) - 1)] != when] = -1
    return (code_of[table["id"]], t, *(table[f"v{k}"] for k in range(n_values)))


def _positions(conn: Connection, run_id: int, start: date, last: date, book: dict[str, np.ndarray],
               days: list[date], f: Filters) -> tuple[np.ndarray, ...]:
    import numpy as np

    p = PositionRow
    sel = _of_book(select(p.instrument_id, p.day, p.quantity, p.price, p.fx).where(
        p.run_id == run_id, p.day >= start, p.day <= last), p.instrument_id, book, f)
    code, t, quantity, price, fx = _columns(conn, sel, book, days, 3)
    if np.isnan(fx).any():
        k = int(np.flatnonzero(np.isnan(fx))[0])
        raise QueryError(f"run {run_id}: the holding of {book['symbol'][code[k]]} on {days[t[k]]} has no FX rate "
                         "(recorded before positions.fx existed, a foreign-currency future): replay the run for P&L "
                         "by instrument")
    keep = t >= 0  # a holding on a day that was not processed is no day of the run
    return code[keep], t[keep], quantity[keep], price[keep], fx[keep]


def _fills(conn: Connection, run_id: int, first: date, last: date, book: dict[str, np.ndarray],
           days: list[date], f: Filters) -> tuple[np.ndarray, ...]:
    """Fills as ``trades_view`` has them: each joined to its order."""
    fl, o = Fill, Order
    # No ORDER BY: an instrument's fills on one day share that day's FX rate, whichever comes first.
    sel = _of_book(select(fl.instrument_id, fl.day, fl.quantity, fl.price, fl.fx, fl.cost_base)
                   .join(o, and_(o.run_id == fl.run_id, o.day == fl.decided_on, o.instrument_id == fl.instrument_id))
                   .where(fl.run_id == run_id, fl.day >= first, fl.day <= last), fl.instrument_id, book, f)
    columns = _columns(conn, sel, book, days, 4)
    return tuple(c[columns[1] >= 0] for c in columns)  # fills happen on processed days


def _of_book(sel, instrument_id, book: dict[str, np.ndarray], f: Filters):  # noqa: ANN001, ANN202
    """Only the named instruments' rows; for all of them, no filter: a whole run is read in the
    table's own order (by day), not instrument by instrument through an index."""
    return sel.where(instrument_id.in_([int(i) for i in book["id"]])) if f.symbol else sel


def _lookup(keys: np.ndarray, at: np.ndarray, *values: np.ndarray) -> list[np.ndarray]:
    """Each of ``values`` (one per unique sorted key in ``at``) at ``keys``; NaN where a key is absent."""
    import numpy as np

    out = [np.full(len(keys), np.nan) for _ in values]
    if len(at):
        k = np.minimum(np.searchsorted(at, keys), len(at) - 1)
        found = at[k] == keys
        k = k[found]
        for o, v in zip(out, values):
            o[found] = v[k]
    return out


def _union(keys: np.ndarray, cells: int) -> np.ndarray:
    """The sorted distinct keys: by marking a bitmap where the instrument x day grid is small
    enough (a whole run of 100 instruments is a million cells), else by sorting."""
    import numpy as np

    if cells <= 50_000_000:
        present = np.zeros(cells, dtype=bool)
        present[keys] = True
        return np.flatnonzero(present)
    return np.unique(keys)


def _per_key(pos: tuple[np.ndarray, ...], fills: tuple[np.ndarray, ...], book: dict[str, np.ndarray],
             days: list[date], opening: int) -> tuple[np.ndarray, ...]:
    """Gross P&L and costs per (instrument, day) of the window, keyed instrument x len(days) + day."""
    import numpy as np

    n = len(days)
    multiplier = book["multiplier"]
    future = book["kind"] == "future"
    p_code, p_t, quantity, price, fx = pos
    value = quantity * price * multiplier[p_code]  # (Q P) m, as the definition multiplies
    today = p_t >= opening
    today_key = p_code[today] * n + p_t[today]
    order = np.argsort(today_key, kind="stable")
    today_key, today_value, today_fx = today_key[order], value[today][order], fx[today][order]
    later = p_t + 1 < n  # yesterday's holdings, keyed by the day they carry into
    carried_key = p_code[later] * n + p_t[later] + 1
    order = np.argsort(carried_key, kind="stable")
    carried_key, carried_value, carried_fx = carried_key[order], value[later][order], fx[later][order]

    import pandas as pd

    f_code, f_t, f_quantity, f_price, f_fx, f_cost = fills
    traded = pd.DataFrame({"key": f_code * n + f_t,
                           "paid": f_quantity * f_price * multiplier[f_code] * f_fx,
                           "costs": f_cost, "fill_fx": f_fx})
    traded = traded.groupby("key", sort=True).agg(paid=("paid", "sum"), costs=("costs", "sum"),
                                                   fill_fx=("fill_fx", "first"))
    traded_key = traded.index.to_numpy(dtype=np.intp)
    del f_code, f_t, f_quantity, f_price, f_fx, f_cost, fills

    del value, order, today, later, p_code, p_t, quantity, price, fx, pos
    keys = _union(np.concatenate([today_key, carried_key, traded_key]), len(book["id"]) * n)
    value_t, fx_t = _lookup(keys, today_key, today_value, today_fx)
    del today_key, today_value, today_fx
    carried, fx_prev = _lookup(keys, carried_key, carried_value, carried_fx)
    del carried_key, carried_value, carried_fx
    paid, costs, fill_fx = _lookup(keys, traded_key, *(traded[c].to_numpy(dtype=float)
                                                      for c in ("paid", "costs", "fill_fx")))
    del traded, traded_key
    code, t = keys // n, keys % n

    # Today's rate: the holding's if still held, else the fill's (a position only goes flat by a fill).
    rate_today = np.where(np.isnan(fx_t), fill_fx, fx_t)
    rate = np.where(future[code], rate_today, fx_prev)
    held_before = ~np.isnan(carried)
    carried_base = np.where(held_before, carried * rate, 0.0)
    if np.isnan(carried_base).any():  # held yesterday, gone today without a fill: the ledger contradicts itself
        k = int(np.flatnonzero(np.isnan(carried_base))[0])
        raise QueryError(f"{book['symbol'][code[k]]} on {days[t[k]]}: a holding vanished without a fill, "
                         "P&L cannot be attributed")
    value_base = np.nan_to_num(value_t, nan=0.0) * np.nan_to_num(fx_t, nan=0.0)
    gross = value_base - carried_base - np.nan_to_num(paid, nan=0.0)
    return gross, np.nan_to_num(costs, nan=0.0), code, t


def _grouped(keys: list[str], cols: list[str], base: str, book: dict[str, np.ndarray], days: list[date],
             code: np.ndarray, t: np.ndarray, gross: np.ndarray, costs: np.ndarray) -> pd.DataFrame:
    """Sums by the requested keys, summed per row as the definition sums (net = gross - costs per row).

    Rows are grouped on small integer codes (an instrument, an asset class, a month, a day);
    only the groups get their labels, and are then ordered as grouping by the labels orders them.
    """
    import numpy as np
    import pandas as pd

    group = list(dict.fromkeys(c for k in keys for c in KEYS[k]))
    if not len(code):
        return pd.DataFrame(columns=cols)
    month_code, month_label = pd.factorize(np.array([d.strftime("%Y-%m") for d in days], dtype=object))
    class_code, class_label = pd.factorize(book["asset_class"], use_na_sentinel=False)
    by_instrument = "symbol" in group  # an instrument fixes its asset class and currency too
    row = {}
    if by_instrument:
        row["instrument"] = code
    elif "asset_class" in group:
        row["asset_class"] = class_code[code]
    if "month" in group:
        row["month"] = month_code[t]
    if "day" in group:
        row["day"] = t
    per_row = pd.DataFrame({**row, "gross_pnl": gross, "costs": costs, "net_pnl": gross - costs})
    sums = per_row.groupby(list(row), sort=False)[list(PNL_COLUMNS)].sum().reset_index()

    def label(name: str) -> np.ndarray:
        if name in ("symbol", "currency") or (name == "asset_class" and by_instrument):
            return book[name][sums["instrument"].to_numpy()]
        if name == "asset_class":
            return np.asarray(class_label, dtype=object)[sums["asset_class"].to_numpy()]
        if name == "month":
            return np.asarray(month_label, dtype=object)[sums["month"].to_numpy()]
        return np.array(days, dtype=object)[sums["day"].to_numpy()]

    out = pd.DataFrame({**{g: label(g) for g in group}, **{c: sums[c].to_numpy() for c in PNL_COLUMNS}})
    out = out.sort_values(group, na_position="last", kind="mergesort", ignore_index=True)
    out.insert(len(group), "base_currency", base)
    return out[cols]


def _grouped_rows(keys: list[str], base: str, book: dict[str, list], days: list[date], code: list[int],
                  t: list[int], gross: list[float], costs: list[float]) -> list[tuple]:
    """``_grouped``'s rows as tuples, in plain Python: the database's sums are a row per group
    already (and a row per day of roll costs), so there is little left to add; net is summed per
    row, as there."""
    group = list(dict.fromkeys(c for k in keys for c in KEYS[k]))
    by_instrument, by_class, by_day = "symbol" in group, "asset_class" in group, "day" in group
    months = [d.strftime("%Y-%m") for d in days] if "month" in group else None
    asset_class = book["asset_class"]
    sums: dict[tuple, list[float]] = {}
    for c, day, g, k in zip(code, t, gross, costs):
        at = (c if by_instrument else asset_class[c] if by_class else None,
              months[day] if months else None, day if by_day else None)
        into = sums.get(at)
        if into is None:
            sums[at] = [g, k, g - k]
        else:
            into[0] += g
            into[1] += k
            into[2] += g - k

    # The labels, a column per grouping field: an instrument's (or class's) own, the month, the day.
    if by_instrument:
        named = {c: tuple(book[name][c] for name in ("symbol", "asset_class", "currency")) for c in {at[0] for at in sums}}
    else:
        named = {c: (None, c, None) for c in {at[0] for at in sums}}
    groups = list(sums)
    columns = []
    for name in group:
        if name == "month":
            columns.append([at[1] for at in groups])
        elif name == "day":
            columns.append([days[at[2]] for at in groups])
        else:
            j = ("symbol", "asset_class", "currency").index(name)
            columns.append([named[at[0]][j] for at in groups])
    # Ordered as _grouped orders them: by the labels, a missing one last. Each column's labels
    # are ranked once, so the groups sort on one integer each, in the order the labels give.
    key = [0] * len(groups)
    for column in columns:
        ranked = sorted(set(column), key=lambda v: (v is None, "" if v is None else v))
        rank = {v: r for r, v in enumerate(ranked)}
        key = [k * len(ranked) + rank[v] for k, v in zip(key, column)]
    figures = list(sums.values())
    return [(*(column[g] for column in columns), base, *figures[g]) for g in sorted(range(len(groups)), key=key.__getitem__)]


def _per_instrument_day(pos: pd.DataFrame, fills: pd.DataFrame, days: pd.DataFrame) -> pd.DataFrame:
    """Gross P&L and costs per (instrument, day) for ``days`` (each with its previous day), on frames.

    The report reads a whole run into frames anyway; ``attribute`` reads columns and uses ``_per_key``.
    """
    import numpy as np
    import pandas as pd

    ident = ["symbol", "asset_class", "currency", "kind", "multiplier"]
    today = days.merge(pos, on="day")
    yesterday = days.merge(pos.rename(columns={"day": "prev"}), on="prev")
    today["value"] = today["quantity"] * today["price"] * today["multiplier"]
    yesterday["carried"] = yesterday["quantity"] * yesterday["price"] * yesterday["multiplier"]
    if len(fills):
        fills = fills.assign(paid=fills["quantity"] * fills["price"] * fills["multiplier"] * fills["fx"])
        traded = fills.groupby([*ident, "day"], as_index=False).agg(paid=("paid", "sum"), costs=("cost_base", "sum"),
                                                                   fill_fx=("fx", "first"))
    else:
        # typed like the frames it is merged with (a run's first day has no fills yet)
        traded = pd.DataFrame({**{c: pd.Series(dtype=today[c].dtype) for c in [*ident, "day"]},
                               **{c: pd.Series(dtype=float) for c in ("paid", "costs", "fill_fx")}})
    keys = [*ident, "day"]
    both = (today[[*keys, "value", "fx"]]
            .merge(yesterday[[*keys, "carried", "fx"]].rename(columns={"fx": "fx_prev"}), on=keys, how="outer")
            .merge(traded, on=keys, how="outer"))
    # Today's rate: the holding's if still held, else the fill's (a position only goes flat by a fill).
    fx_t = both["fx"].fillna(both["fill_fx"])
    future = both["kind"].to_numpy() == "future"
    held_before = both["carried"].notna().to_numpy()
    rate = np.where(future, fx_t.to_numpy(dtype=float), both["fx_prev"].to_numpy(dtype=float))
    carried = np.where(held_before, both["carried"].to_numpy(dtype=float) * rate, 0.0)
    if np.isnan(carried).any():  # held yesterday, gone today without a fill: the ledger contradicts itself
        row = both[np.isnan(carried)].iloc[0]
        raise QueryError(f"{row.symbol} on {row.day}: a holding vanished without a fill, P&L cannot be attributed")
    value = both["value"].fillna(0.0) * both["fx"].fillna(0.0)
    gross = value - carried - both["paid"].fillna(0.0)
    return pd.DataFrame({"symbol": both["symbol"], "asset_class": both["asset_class"], "currency": both["currency"],
                         "day": both["day"], "gross_pnl": gross.astype(float), "costs": both["costs"].fillna(0.0)})
