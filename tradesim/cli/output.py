"""Printing results: a Rich table for people, CSV or JSON streamed to stdout for pipes.

CSV and JSON carry every column at full precision (floats as Python's shortest
round-trip repr) and are written row by row, so a million fills pipe without
being held in memory. Tables never cut a cell: when the columns do not fit the
console's width (80 in a pipe unless $COLUMNS says otherwise), optional columns
are left out with a note naming them, and if even the essential ones do not fit,
each row is printed as a vertical record.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Annotated

import typer
from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from tradesim.cli import console
from tradesim.variants import variant_name  # noqa: F401 - the tables' name for a variant, re-exported


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


ResultFormatOption = Annotated[Format, typer.Option(
    "--format", "-f", help="table for people; json (a documented, versioned schema) or csv for scripts.")]


def _plain(value):  # noqa: ANN001, ANN202
    if hasattr(value, "item"):  # numpy scalars (from pandas) print and serialise as Python's
        value = value.item()
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _csv_cell(value) -> str:  # noqa: ANN001
    kind = type(value)  # the common cells first: a million-row run is a few million of them
    if kind is float:
        return "" if value != value else repr(value)
    if kind is str:
        return value
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


def write_csv_as_is(columns: Sequence[str], chunks: Iterable[list[tuple]]) -> None:
    """``write_csv`` for rows whose every cell the writer prints as ``_csv_cell`` would (text,
    integers, floats that are not NaN, None, days as ISO text): chunk by chunk, untouched."""
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(columns)
    for chunk in chunks:
        out.writerows(chunk)


def write_json(columns: Sequence[str], rows: Iterable[Sequence], as_is: bool = False) -> None:
    """A JSON array of objects, one per line, written as the rows arrive (``as_is``: cells that
    JSON writes as ``_plain`` would make them, as ``write_csv_as_is`` has them)."""
    out = sys.stdout
    out.write("[")
    sep = "\n"
    dumps = json.dumps
    for row in rows:
        out.write(sep + dumps(dict(zip(columns, row if as_is else (_plain(v) for v in row)))))
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
    optional: bool = False  # left out (with a note) when the table would not fit the width


def num(name: str, header: str, fmt: Callable = money, optional: bool = False) -> Col:
    return Col(name, header, fmt, True, optional)


# Tables without a --limit show this many rows in a pipe; at a terminal, a screenful.
PIPE_ROWS = 100


def default_limit() -> int:
    """Rows a table shows when the user gives no --limit: about a screen at a terminal."""
    return max(20, console.height - 8) if console.is_terminal else PIPE_ROWS


def fitting_columns(spec: Sequence[Col], widths: Sequence[int], width: int) -> list[int] | None:
    """Indexes of the columns to show in ``width`` characters: all of them if they fit, else
    without optional ones (rightmost first); None when even the essential ones do not fit."""
    keep = list(range(len(spec)))

    def total() -> int:  # one space between columns and one at each edge (the box's)
        return sum(widths[i] for i in keep) + len(keep) + 1

    for i in reversed(range(len(spec))):
        if total() <= width:
            return keep
        if spec[i].optional:
            keep.remove(i)
    return keep if total() <= width else None


def write_table(title: str, columns: Sequence[str], rows: Iterable[Sequence], spec: Sequence[Col],
                total: Sequence[str] | None = None, more: int = 0, show: int | None = None) -> None:
    """``total``: the names of numeric columns to sum in a last row (over every row, shown or not);
    ``more``: rows a query's limit left out; ``show``: at most this many rows (the rest counted)."""
    index = [columns.index(c.name) for c in spec]
    sums = dict.fromkeys(total or (), 0.0)
    summed = [(name, columns.index(name)) for name in sums]
    cells = []
    for row in rows:
        if show is None or len(cells) < show:
            cells.append([c.fmt(row[i]) for c, i in zip(spec, index)])
        else:
            more += 1
        for name, i in summed:
            sums[name] += row[i] or 0.0
    total_row = None
    if total is not None and cells:
        total_row = [money(sums[c.name]) if c.name in sums else "" for c in spec]
        total_row[0] = "total"
    widths = [max([cell_len(c.header), *(cell_len(r[k]) for r in cells + ([total_row] if total_row else []))])
              for k, c in enumerate(spec)]
    width = console.width
    console.print(title, highlight=False, markup=False)  # above, not in, the table: as its title it would wrap to the table's width
    shown = fitting_columns(spec, widths, width)
    if shown is None:
        _write_records(spec, cells, total_row)
    else:
        _write_grid([spec[k] for k in shown], [widths[k] for k in shown], [[r[k] for k in shown] for r in cells],
                    None if total_row is None else [total_row[k] for k in shown])
        left_out = [spec[k].header for k in range(len(spec)) if k not in shown]
        if left_out:
            console.print(f"not shown at {width} columns: {', '.join(left_out)} (widen the terminal or use "
                          "--format csv)", highlight=False, markup=False)
    if not cells:
        console.print("(no rows)")
    if more:
        console.print(f"{more:,} more row{'s' if more != 1 else ''}: use --limit N for more, or --format csv for all",
                      highlight=False, markup=False)


def rich_grid(spec: Sequence[Col], cells: list[list[str]], total_row: list[str] | None) -> Table:
    """The table ``_write_grid`` draws, as Rich draws it (the layout it must keep; see the tests)."""
    # One space between columns (the box's divider, no padding): nine columns fit 80 characters.
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=0)
    for c in spec:
        table.add_column(c.header, justify="right" if c.right else "left", no_wrap=True)
    for r in cells:
        table.add_row(*r)
    if total_row is not None:
        table.add_section()
        table.add_row(*total_row, style="bold")
    return table


def _write_grid(spec: Sequence[Col], widths: Sequence[int], cells: list[list[str]],
                total_row: list[str] | None) -> None:
    """``rich_grid``'s layout, line for line, without Rich measuring every cell: the widths are
    known, so ten thousand rows are joined strings (Rich takes seconds over them)."""
    def line(row: Sequence[str]) -> str:
        return " " + " ".join(_pad(v, w, c.right) for v, w, c in zip(row, widths, spec)) + " "

    def bold(row: Sequence[str]) -> Text:
        parts: list = [" "]
        for v, w, c in zip(row, widths, spec):
            parts += [(_pad(v, w, c.right), "bold"), " "]
        return Text.assemble(*parts)

    inner = sum(widths) + len(widths) - 1
    blank = " " * (inner + 2)
    out = [blank, bold([c.header for c in spec]), " " + "─" * inner + " ", *map(line, cells)]
    if total_row is not None:
        out += [blank, bold(total_row)]
    out.append(blank)
    # Plain lines go out in one piece (Rich would split and measure each); the bold ones through
    # Rich, so a terminal shows them bold and a pipe gets them plain, as Rich's table did.
    plain: list[str] = []
    for item in out:
        if isinstance(item, str):
            plain.append(item)
            continue
        if plain:
            _print_plain("\n".join(plain))
            plain.clear()
        console.print(item, soft_wrap=True, highlight=False)
    if plain:
        _print_plain("\n".join(plain))


def _print_plain(text: str) -> None:
    """``text`` as Rich prints it unstyled and unwrapped: written as it is when Rich would change
    nothing in it (no tab to expand, no control code to strip; Rich takes a third of a second
    over ten thousand lines to find that out), else through Rich."""
    if (console.record or console.is_jupyter or getattr(console, "_buffer_index", 0)
            or any(code in text for code in "\t\a\b\v\f\r")):
        console.print(Text(text), soft_wrap=True, highlight=False)
        return
    console.file.write(text + "\n")


def _pad(value: str, width: int, right: bool) -> str:
    fill = " " * (width - (len(value) if value.isascii() else cell_len(value)))
    return fill + value if right else value + fill


def _write_records(spec: Sequence[Col], cells: list[list[str]], total_row: list[str] | None) -> None:
    """Each row as ``header  value`` lines: too narrow a console for the columns side by side."""
    key = max(cell_len(c.header) for c in spec)
    for r in cells + ([total_row] if total_row else []):
        console.print()
        for c, v in zip(spec, r):
            console.print(f"{c.header:<{key}} {v}".rstrip(), highlight=False, markup=False, soft_wrap=True)


def _plain_tree(value):  # noqa: ANN001, ANN202
    if isinstance(value, dict):
        return {k: _plain_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_tree(v) for v in value]
    value = _plain(value)
    return None if isinstance(value, float) and math.isinf(value) else value


def emit_result(fmt: Format, document: dict, rows: Sequence[dict], show: Callable[[], None],
                columns: Sequence[str] | None = None) -> None:
    """A command's result (a replay's summary, a comparison, a sweep, a paper run's sessions).

    table: ``show()`` prints it for people; json: ``document`` as one JSON object (dates as
    ISO strings, NaN as null; its "schema" key names and versions its shape, see the README);
    csv: ``rows``, flat dicts with the same keys, one line each (``columns`` names them when
    there may be no rows, so the header is there anyway).
    """
    try:
        if fmt is Format.json:
            sys.stdout.write(json.dumps(_plain_tree(document), indent=2) + "\n")
        elif fmt is Format.csv:
            columns = list(columns or (rows[0] if rows else []))
            write_csv(columns, ([row.get(c) for c in columns] for row in rows))
        else:
            show()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def emit(fmt: Format, title: str, columns: Sequence[str], rows: Iterable[Sequence], spec: Sequence[Col],
         total: Sequence[str] | None = None, more: Callable[[int], int] | None = None,
         show: int | None = None, as_is: Iterable[list[tuple]] | None = None) -> None:
    """``more(shown)``: how many rows a query's limit left out, asked after the table is built;
    ``show``: a table's row limit for rows computed in full (totals still count them all);
    ``as_is``: the same rows in chunks whose cells CSV and JSON print as they are
    (``db.queries.driver_rows``), streamed instead of ``rows``."""
    try:
        if show is not None and fmt is not Format.table:
            rows = itertools.islice(rows, show)
        if fmt is Format.csv and as_is is not None:
            write_csv_as_is(columns, as_is)
        elif fmt is Format.csv:
            write_csv(columns, rows)
        elif fmt is Format.json:
            write_json(columns, rows if as_is is None else itertools.chain.from_iterable(as_is), as_is is not None)
        else:
            rows = list(rows)
            write_table(title, columns, rows, spec, total, more(len(rows)) if more else 0, show)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader has gone (``| head``): stop quietly, as Unix tools do, and keep Python
        # from failing again when it flushes stdout on the way out.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
