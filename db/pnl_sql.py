"""P&L summed by the database: a million fills come back as a few hundred rows.

``db.pnl`` defines the P&L of instrument i on day t (previous processed day s) as

    today's value  - yesterday's value at today's rate  - what today's fills paid
    Q_t P_t m fx_t - Q_s P_s m rate_t                   - sum_fills q f m fx_fill

with rate_t = fx_s for stocks and fx_t (the holding's, else its fill's) for futures. Each
term belongs to one ledger row: a holding gives its day the first term and the next processed
day the second, a fill its day the third. So the sum over any group of (instrument, day) is a
sum over rows, which the database does over the rows it already has: no holding or fill leaves
it. Only a future's second term needs a second row (today's rate), read by primary key: on
SQLite joined once per holding, where a subquery per term that uses it made three look-ups.

What keeps a million-fill run well under a second is what the database does not do: sort a
million rows to group them. A stock's holding whose two terms fall in one group adds exactly
nothing and is left out before grouping (``_adds_something``), and each instrument's fills of a
period are one range of an index that holds what is summed (``_traded``, migration 0011). By
day nothing cancels, but the days are what the primary keys are ordered by: on SQLite holdings
and fills are summed as they are read (``_held_by_day``), each day's sums the very sums that
grouping by the days' index made, in the same order. On a SQLite file the holdings are summed
in two halves on two connections when it has futures, each half a set of whole groups read
in the same order (``_halves``): a futures run (where nothing cancels, and each holding looks
up the next) is summed on both cores, to the same bits.

Sums come back grouped by instrument (or by asset class, or by nothing) and by month or day as
asked; ``db.pnl._grouped`` labels and orders them. The figures equal the row-by-row sums up to
the order of the additions (``tests/ledger/test_pnl_sql.py`` compares the two on fixtures with
futures, FX, flat days and several runs).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy import Connection, and_, case, extract, func, literal, or_, select, true

from db.models import Equity, Fill, Instrument, PositionRow
from db.queries import QueryError


def summed(conn: Connection, run_id: int, start: date, last: date, opening: int, book: dict[str, list],
           days: list[date], keys: list[str], symbols: tuple[str, ...]) -> tuple[list, ...]:
    """Gross P&L, costs, instrument code (row of ``book``) and day index (into ``days``) per group.

    Groups are what ``keys`` will be summed by: per instrument unless only asset classes (or
    only time) are asked for, per month or day when asked. A group's code and day are those of
    one of its rows, which is all ``_grouped`` needs to label it.
    """
    e, p, i = Equity, PositionRow, Instrument
    t = func.row_number().over(order_by=e.day) - 1
    if "day" in keys:
        when = t
    elif "month" in keys:
        when = extract("year", e.day) * 12 + extract("month", e.day)
    else:
        when = literal(0)
    numbered = select(e.day, t.label("t"), when.label("g")).where(e.run_id == run_id, e.day >= start,
                                                                   e.day <= last).subquery()
    d = select(numbered, func.lead(numbered.c.day).over(order_by=numbered.c.t).label("next_day"),
               func.lead(numbered.c.g).over(order_by=numbered.c.t).label("next_g")).cte("d")

    value = p.quantity * p.price * i.multiplier  # (Q P) m, as the definition multiplies
    # PostgreSQL sums in the order its own plans read the rows: it keeps the queries whose order
    # its figures were made in (a future's rate looked up per row), so no last bit moves.
    sqlite = conn.dialect.name == "sqlite"
    by_day = "day" in keys and sqlite
    # A future's rate on the day it is carried into: that day's holding's, else its fill's.
    next_day = (select(func.min(Equity.day)).where(Equity.run_id == run_id, Equity.day > p.day)
                .correlate_except(Equity).scalar_subquery()
                if by_day else d.c.next_day)
    later = PositionRow.__table__.alias("later")
    f2 = Fill.__table__.alias("f2")  # each fill has its order (see _traded)
    fill_fx = (select(func.min(f2.c.fx))
               .where(f2.c.run_id == run_id, f2.c.day == next_day, f2.c.instrument_id == p.instrument_id)
               .scalar_subquery())
    if sqlite:
        # The next holding is joined once (where a subquery would be looked up for each term
        # that uses it); a stock's key is NULL, as SQLite would look it up before testing the
        # kind. The fill only when the holding is missing.
        rate = case((i.kind == "future", func.coalesce(later.c.fx, fill_fx)), else_=p.fx)
        carried_into = and_(later.c.run_id == run_id, later.c.day == case((i.kind == "future", next_day)),
                            later.c.instrument_id == p.instrument_id)
    else:
        held_fx = (select(later.c.fx).where(later.c.run_id == run_id, later.c.day == next_day,
                                            later.c.instrument_id == p.instrument_id).scalar_subquery())
        rate = case((i.kind == "future", func.coalesce(held_fx, fill_fx)), else_=p.fx)
        later = carried_into = None
    if by_day:
        held = _held_by_day(p, i, value, rate, carried_into, later, run_id, start, last, keys, book, symbols)
    else:
        held = _held(d, p, i, value, rate, carried_into, later, run_id, opening, keys, book, symbols)
    traded = _traded(conn, d, run_id, opening, book, days, keys, symbols, by_day)
    unchecked = None
    if sqlite and not by_day and _only_stocks(book):
        # A stock's holding adds something only on a group's last day (or the window's edges):
        # the other days are not even read, unless a holding without FX is in the window.
        unchecked, held = held, held.where(or_(d.c.t < opening, d.c.next_day.is_(None), d.c.g != d.c.next_g))
        no_fx = _of(select(p.day).where(p.run_id == run_id, p.day >= start, p.day <= last, p.fx.is_(None)),
                    p.instrument_id, book, symbols).limit(1)
    # On SQLite with futures (whose holdings are all summed) the holdings are summed in two
    # halves, each a set of whole groups, on two cores; by day the fills too (see _halves).
    # Stocks are not: their holdings are few (above) or, by day, cheap, and a second
    # connection reading the same pages cost more than it saved (measured on the 1M-fill ledger).
    cut = sqlite and not _only_stocks(book)
    held_parts = _halves(held, d, p.day, p.instrument_id, i, days, opening, keys, book) if cut else [held]
    traded_parts = _halves(traded, d, Fill.day, i.id, i, days, opening, keys, book) if cut and by_day else [traded]
    results = _together(conn, [*held_parts, *traded_parts, *([no_fx] if unchecked is not None else [])])
    held_rows = [row for rows in results[:len(held_parts)] for row in rows]
    traded_rows = [row for rows in results[len(held_parts):len(held_parts) + len(traded_parts)] for row in rows]
    found_no_fx = unchecked is not None and results[-1]
    del results  # by day a million rows each: let them go as they are replaced below
    if found_no_fx:  # a holding without FX: every day's, so it is reported
        held_rows = [row for rows in _together(conn, _halves(unchecked, d, p.day, p.instrument_id, i, days, opening,
                                                              keys, book)) for row in rows]
    if by_day:
        held_rows = _on_days(held_rows, days, opening)
        index = _day_index(days)
        traded_rows = [(instrument, index[day], index[day], paid, costs)
                       for instrument, day, paid, costs in traded_rows if day in index]
    traded_rows = [row for row in traded_rows if row[3] is not None]  # None: a period without fills
    if any(row[9] for row in held_rows):
        _no_fx(conn, run_id, start, last, book, symbols)
    if any(row[10] for row in held_rows):
        _vanished(conn, d, run_id, rate, later, carried_into, book, symbols)
    # (instrument, group) -> [instrument id, day index, gross, costs], each added to in the
    # order of the rows (held, then traded): the same additions whatever the loop looks like.
    groups: dict[tuple, list] = {}
    key = _key(keys, book)
    for instrument, t, g, next_g, n_today, n_carried, today_sum, carried_sum, both_sum, _, _ in held_rows:
        k = key(instrument)
        if next_g == g:
            into = groups.get((k, g))
            if into is None:
                into = groups[k, g] = [instrument, t if n_today else t + 1, 0.0, 0.0]
            into[2] += both_sum
            continue
        if n_today:
            into = groups.get((k, g))
            if into is None:
                into = groups[k, g] = [instrument, t, 0.0, 0.0]
            into[2] += today_sum
        if n_carried:
            into = groups.get((k, next_g))
            if into is None:
                into = groups[k, next_g] = [instrument, t + 1, 0.0, 0.0]
            into[2] += -carried_sum
    for instrument, t, g, paid, costs in traded_rows:
        into = groups.get((key(instrument), g))
        if into is None:
            into = groups[key(instrument), g] = [instrument, t, 0.0, 0.0]
        into[2] += -paid
        into[3] += costs
    code_of = dict(zip(book["id"], range(len(book["id"]))))
    rows = list(groups.values())
    return [r[2] for r in rows], [r[3] for r in rows], [code_of[int(r[0])] for r in rows], [r[1] for r in rows]



def _only_stocks(book: dict[str, list]) -> bool:
    """Whether every instrument asked about is a stock (see ``_adds_something``)."""
    return "future" not in book["kind"]


def _held(d, p, i, value, rate, carried_into, later, run_id: int, opening: int, keys: list[str],  # noqa: ANN001, ANN202
          book: dict[str, list], symbols: tuple[str, ...]):
    """Holdings summed by group and period: rows (instrument, day index, group, next day's group,
    holdings today, holdings carried on, today's values, carried values, both, no FX, no rate)."""
    one, zero = literal(1), literal(0)
    # A holding's two terms: its value today (if the day is in the window) and, on the next
    # processed day, minus its value at that day's rate. When both fall in one group they are
    # subtracted row by row first (for a stock they cancel exactly), so a group's sum never
    # adds up the large values that cancel, and keeps the precision of the row-by-row sums.
    is_today, carried_on = d.c.t >= opening, d.c.next_day.is_not(None)
    today = case((is_today, value * p.fx), else_=0.0)
    carried = case((carried_on, value * rate), else_=0.0)
    both = case((and_(is_today, carried_on), value * p.fx - value * rate), (is_today, value * p.fx),
                (carried_on, -(value * rate)), else_=0.0)
    held = select(func.min(p.instrument_id), func.min(d.c.t), func.min(d.c.g), func.min(d.c.next_g),
                  func.sum(case((is_today, one), else_=zero)), func.sum(case((carried_on, one), else_=zero)),
                  func.sum(today), func.sum(carried), func.sum(both),
                  func.sum(case((p.fx.is_(None), one), else_=zero)),
                  func.sum(case((and_(carried_on, rate.is_(None)), one), else_=zero)))
    return _of(_next_holding(held.select_from(p).join(d, d.c.day == p.day).join(i, i.id == p.instrument_id),
                             later, carried_into)
               .where(p.run_id == run_id, _adds_something(i, p, d, is_today, carried_on))
               .group_by(_group_column(keys)(i), d.c.g, d.c.next_g), p.instrument_id, book, symbols)


def _held_by_day(p, i, value, rate, carried_into, later, run_id: int, start: date, last: date,  # noqa: ANN001, ANN202
                 keys: list[str], book: dict[str, list], symbols: tuple[str, ...]):
    """Holdings summed by day (and instrument or asset class): rows (instrument, day, holdings,
    today's values, carried values, no FX, no rate), for ``_on_days``.

    By day every holding's two terms fall in different groups, so none is left out and the
    groups are the days themselves: grouped by the day the primary key (run_id, day,
    instrument_id) is ordered by, a million holdings are summed as they are read, never sorted.
    Each day's sums add the same products in the same order as grouping by the days' index."""
    one, zero = literal(1), literal(0)
    group = [p.day] + ([p.instrument_id] if "instrument" in keys else [i.asset_class] if "asset_class" in keys else [])
    held = select(func.min(p.instrument_id), p.day, func.count(), func.sum(value * p.fx), func.sum(value * rate),
                  func.sum(case((p.fx.is_(None), one), else_=zero)), func.sum(case((rate.is_(None), one), else_=zero)))
    return _of(_next_holding(held.select_from(p).join(i, i.id == p.instrument_id), later, carried_into)
               .where(p.run_id == run_id, p.day >= start, p.day <= last), p.instrument_id, book, symbols
               ).group_by(*group)


def _next_holding(sel, later, carried_into):  # noqa: ANN001, ANN202
    """The holding a future is carried into, joined where its rate is one (SQLite)."""
    return sel if later is None else sel.outerjoin(later, carried_into)


def _day_index(days: list[date]) -> dict:
    """A day's index in ``days``, by the date or its ISO text (SQLite hands back either)."""
    index = {d: k for k, d in enumerate(days)}
    index.update({d.isoformat(): k for k, d in enumerate(days)})
    return index


def _on_days(rows: list, days: list[date], opening: int) -> list[tuple]:
    """``_held_by_day``'s rows as ``_held``'s: a holding counts today from the window's first day
    and is carried on to the next processed day unless it is the last. A holding on a day that
    was not processed is no day of the run."""
    index, n = _day_index(days), len(days)
    out = []
    for instrument, day, count, today, carried, no_fx, no_rate in rows:
        t = index.get(day)
        if t is None:
            continue
        on = t + 1 < n
        out.append((instrument, t, t, t + 1 if on else None, count if t >= opening else 0, count if on else 0,
                    today, carried, None, no_fx, no_rate if on else 0))
    return out


def _adds_something(i, p, d, is_today, carried_on):  # noqa: ANN001, ANN202
    """A stock's holding whose two terms fall in one group
    adds exactly nothing: today's value and, on the next processed day, minus the same value at
    the same rate (a stock's rate is its own day's FX), the same product subtracted from itself.
    Leaving those rows out spares the database sorting them: grouped by instrument or by month,
    a run of a million holdings has only its groups' last days left to sort. A row without an FX
    rate stays (it is reported), and so does every future's (its rate is the next day's)."""
    return or_(i.kind == "future", ~is_today, ~carried_on, d.c.g != d.c.next_g, p.fx.is_(None))


def _traded(conn: Connection, d, run_id: int, opening: int, book: dict[str, list],  # noqa: ANN001, ANN202
            days: list[date], keys: list[str], symbols: tuple[str, ...], by_day: bool):
    """What the fills of each group paid and cost: rows (instrument, day index, group, paid, costs).

    Fills count on the run's processed days in the window, each in the group of its day. Unless
    days are asked for, each instrument's fills of each period are summed in a range of the
    index (run_id, instrument_id, day, ...), which holds every column summed: a million fills
    are read in index order and never sorted. That range holds only processed days when every
    day a fill of the window names is one (as the ledger writes them); otherwise, and by day,
    they are matched to the processed days and grouped.

    The order each fill belongs to is not joined: the ledger's foreign key (fk_fill_order,
    enforced on every connection that writes) guarantees it, and one order per run, day and
    instrument means the join neither drops nor repeats a fill.
    """
    fl, i = Fill, Instrument
    first, last = days[opening], days[-1]
    if "day" not in keys:
        in_window = _of(select(fl.day).distinct().where(fl.run_id == run_id, fl.day >= first, fl.day <= last),
                        fl.instrument_id, book, symbols).subquery()
        processed = select(Equity.day).where(Equity.run_id == run_id)
        if conn.execute(select(in_window.c.day).where(in_window.c.day.not_in(processed)).limit(1)).first() is None:
            pr = (select(d.c.g, func.min(d.c.day).label("first"), func.max(d.c.day).label("last"),
                         func.min(d.c.t).label("t")).where(d.c.t >= opening).group_by(d.c.g).cte("pr"))

            def summed_over(term):  # noqa: ANN001, ANN202
                return (select(func.sum(term)).where(fl.run_id == run_id, fl.instrument_id == i.id,
                                                     fl.day >= pr.c.first, fl.day <= pr.c.last).scalar_subquery())

            return _of(select(i.id, pr.c.t, pr.c.g, summed_over(fl.quantity * fl.price * i.multiplier * fl.fx),
                              summed_over(fl.cost_base)).select_from(i).join(pr, true()), i.id, book, symbols)
    paid = fl.quantity * fl.price * i.multiplier * fl.fx
    if by_day:  # each day a group, in the order of the index (run_id, day): see _held_by_day
        group = [fl.day] + ([fl.instrument_id] if "instrument" in keys else
                            [i.asset_class] if "asset_class" in keys else [])
        return _of(select(func.min(fl.instrument_id), fl.day, func.sum(paid), func.sum(fl.cost_base))
                   .select_from(fl).join(i, i.id == fl.instrument_id)
                   .where(fl.run_id == run_id, fl.day >= first, fl.day <= last), fl.instrument_id, book, symbols
                   ).group_by(*group)
    return _of(select(func.min(fl.instrument_id), func.min(d.c.t), func.min(d.c.g),
                      func.sum(paid), func.sum(fl.cost_base))
               .select_from(fl).join(d, d.c.day == fl.day).join(i, i.id == fl.instrument_id)
               .where(fl.run_id == run_id, d.c.t >= opening), fl.instrument_id, book, symbols
               ).group_by(_group_column(keys)(i), d.c.g)


def _key(keys: list[str], book: dict[str, list]):  # noqa: ANN202
    """What a group is besides its time, from one of its instruments (as ``_group_column``)."""
    if "instrument" in keys:
        return int
    if "asset_class" in keys:
        return dict(zip(book["id"], book["asset_class"])).get
    return lambda _: None


def _together(conn: Connection, queries: list) -> list[list]:
    """Each query's rows, the first on ``conn`` and the others at the same time on connections of
    their own (both databases work in C without the GIL, so they sum on both cores). An
    in-memory SQLite database has no second connection: they run in turn."""
    url = conn.engine.url
    if len(queries) == 1 or (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")):
        return [_rows(conn, query) for query in queries]

    def rows(query) -> list:  # noqa: ANN001
        with conn.engine.connect() as other:
            return _rows(other.execution_options(sqlite_begin="DEFERRED"), query)

    with ThreadPoolExecutor(max_workers=len(queries) - 1) as pool:
        pending = [pool.submit(rows, query) for query in queries[1:]]
        first = _rows(conn, queries[0])
        return [first, *(p.result() for p in pending)]


def _rows(conn: Connection, query) -> list:  # noqa: ANN001
    """The query's rows; on SQLite the driver's own tuples (numbers as they are, days as ISO text:
    no row objects for tens of thousands of groups)."""
    result = conn.execute(query)
    if conn.dialect.name != "sqlite":
        return result.all()
    rows = result.cursor.fetchall()
    result.close()
    return rows


def _halves(query, d, day, instrument, i, days: list[date], opening: int, keys: list[str],  # noqa: ANN001
            book: dict[str, list]) -> list:
    """``query`` as two queries that together give its rows in its own order, each group whole in
    one of them, each group's rows read in the same order as by the whole query: so each sum adds
    the same terms in the same order, and the halves run on two cores.

    Its groups are ordered by instrument (or asset class, or nothing) and then by time: cut at
    the middle instrument, else asset class, else (by month) at the first day of a month. By day
    the groups are the days, in the order of the primary key (run_id, day, ...): cut at the
    middle day. One half is the query itself when nothing can be cut."""
    if "day" in keys:
        if len(days) < 2:
            return [query]
        cut = days[len(days) // 2]
        return [query.where(day < cut), query.where(day >= cut)]
    if "instrument" in keys:
        ids = sorted(book["id"])
        if len(ids) < 2:
            return [query]
        cut = ids[len(ids) // 2]
        return [query.where(instrument < cut), query.where(instrument >= cut)]
    classes = sorted(set(book["asset_class"]), key=lambda c: (c is not None, c or ""))  # SQLite's order: NULL first
    if "asset_class" in keys and len(classes) > 1:
        counts = [book["asset_class"].count(c) for c in classes]
        k, seen = 1, counts[0]
        while k < len(classes) - 1 and seen + counts[k] <= len(book["id"]) / 2:
            seen += counts[k]
            k += 1
        cut = classes[k]
        return [query.where(or_(i.asset_class < cut, i.asset_class.is_(None))), query.where(i.asset_class >= cut)]
    if "month" in keys:
        middle = opening + (len(days) - opening) // 2
        starts = [t for t in range(opening + 1, len(days)) if (days[t].year, days[t].month) != (days[t - 1].year,
                                                                                             days[t - 1].month)]
        if not starts:
            return [query]
        cut = min(starts, key=lambda t: abs(t - middle))
        return [query.where(d.c.t < cut), query.where(d.c.t >= cut)]
    return [query]


def _group_column(keys: list[str]):  # noqa: ANN202
    """What the database groups holdings and fills by besides time: the instrument when the
    result names instruments, else the asset class when it names those, else nothing."""
    if "instrument" in keys:
        return lambda i: i.id
    if "asset_class" in keys:
        return lambda i: i.asset_class
    return lambda i: literal(0)


def _of(sel, instrument_id, book: dict[str, list], symbols: tuple[str, ...]):  # noqa: ANN001, ANN202
    """Only the named instruments' rows; for all of them, no filter (the table's own order)."""
    return sel.where(instrument_id.in_([int(k) for k in book["id"]])) if symbols else sel


def _no_fx(conn: Connection, run_id: int, start: date, last: date, book: dict[str, list],
           symbols: tuple[str, ...]) -> None:
    p, i = PositionRow, Instrument
    symbol, day = conn.execute(_of(select(i.symbol, p.day).join(i, i.id == p.instrument_id).where(
        p.run_id == run_id, p.day >= start, p.day <= last, p.fx.is_(None)), p.instrument_id, book, symbols)
        .order_by(p.day, i.symbol).limit(1)).one()
    raise QueryError(f"run {run_id}: the holding of {symbol} on {day} has no FX rate "
                     "(recorded before positions.fx existed, a foreign-currency future): replay the run for P&L "
                     "by instrument")


def _vanished(conn: Connection, d, run_id: int, rate, later, carried_into,  # noqa: ANN001
              book: dict[str, list], symbols: tuple[str, ...]) -> None:
    p, i = PositionRow, Instrument
    symbol, day = conn.execute(_of(_next_holding(select(i.symbol, d.c.next_day).select_from(p).join(d, d.c.day == p.day)
                                                 .join(i, i.id == p.instrument_id), later, carried_into)
                                   .where(p.run_id == run_id, d.c.next_day.is_not(None), rate.is_(None)),
                                   p.instrument_id, book, symbols).order_by(i.symbol, d.c.next_day).limit(1)).one()
    if isinstance(day, str):
        day = date.fromisoformat(day)
    raise QueryError(f"{symbol} on {day}: a holding vanished without a fill, P&L cannot be attributed")
