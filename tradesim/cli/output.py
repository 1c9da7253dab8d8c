"""Printing query results: a Rich table for people, CSV or JSON streamed to stdout for pipes.

CSV and JSON carry every column at full precision (floats as Python's shortest
round-trip repr) and are written row by row, so a million fills pipe without
being held in memory. Tables carry the columns that fit 80 characters.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from rich import box
from rich.table import Table

from tradesim.cli import console


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


def _plain(value):  # noqa: ANN001, ANN202
    if hasattr(value, "item"):  # numpy scalars (from pandas) print and serialise as Python's
        value = value.item()
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _csv_cell(value) -> str:  # noqa: ANN001
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def write_csv(columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(columns)
    for row in rows:
        out.writerow([_csv_cell(v) for v in row])


def write_json(columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """A JSON array of objects, one per line, written as the rows arrive."""
    out = sys.stdout
    out.write("[")
    sep = "\n"
    for row in rows:
        out.write(sep + json.dumps(dict(zip(columns, (_plain(v) for v in row)))))
        sep = ",\n"
    out.write("\n]\n" if sep != "\n" else "]\n")


# -- tables ----------------------------------------------------------------------------------

def text(v) -> str:  # noqa: ANN001
    return "" if v is None else str(v)


def quantity(v) -> str:  # noqa: ANN001
    """Whole numbers as such; fractions (unrounded optima) to at most four decimals."""
    if v is None:
        return ""
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.4f}".rstrip("0")


def money(v) -> str:  # noqa: ANN001
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.2f}"


def price(v) -> str:  # noqa: ANN001
    """Two decimals, up to four for small prices (adjusted prices of the 1990s are cents)."""
    if v is None:
        return ""
    if abs(v) >= 100:
        return f"{v:,.2f}"
    s = f"{v:,.4f}".rstrip("0")
    return s + "0" * max(0, 2 - len(s.split(".")[1]))


@dataclass(frozen=True)
class Col:
    name: str  # the query column
    header: str
    fmt: Callable = text
    right: bool = False


def num(name: str, header: str, fmt: Callable = money) -> Col:
    return Col(name, header, fmt, True)


def write_table(title: str, columns: Sequence[str], rows: Iterable[Sequence], spec: Sequence[Col],
                total: Sequence[str] | None = None) -> None:
    """``total``: the names of numeric columns to sum in a last row."""
    # One space between columns (the box's divider, no padding): nine columns fit 80 characters.
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=0)
    for col in spec:
        table.add_column(col.header, justify="right" if col.right else "left", no_wrap=True)
    index = [columns.index(c.name) for c in spec]
    sums = dict.fromkeys(total or (), 0.0)
    for row in rows:
        table.add_row(*(c.fmt(row[i]) for c, i in zip(spec, index)))
        for name in sums:
            sums[name] += row[columns.index(name)] or 0.0
    if total is not None and table.row_count:
        cells = [money(sums[c.name]) if c.name in sums else "" for c in spec]
        cells[0] = "total"
        table.add_section()
        table.add_row(*cells, style="bold")
    console.print(title, highlight=False)  # above, not in, the table: as its title it would wrap to the table's width
    console.print(table)
    if not table.row_count:
        console.print("(no rows)")


def emit(fmt: Format, title: str, columns: Sequence[str], rows: Iterable[Sequence], spec: Sequence[Col],
         total: Sequence[str] | None = None) -> None:
    try:
        if fmt is Format.csv:
            write_csv(columns, rows)
        elif fmt is Format.json:
            write_json(columns, rows)
        else:
            write_table(title, columns, rows, spec, total)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader has gone (``| head``): stop quietly, as Unix tools do, and keep Python
        # from failing again when it flushes stdout on the way out.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
