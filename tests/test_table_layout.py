"""Result tables are drawn line by line as Rich's table would draw them, plain or in colour."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from tradesim.cli import output
from tradesim.cli.output import Col, cell_len, num

CELL = st.text(st.characters(codec="utf-8", exclude_categories=("C", "Z", "M")), max_size=12) \
    .filter(lambda s: "[" not in s and ":" not in s)  # Rich would read those as markup / emoji codes
HEADER = CELL.filter(bool)  # every column has a header


def drawn(draw, terminal: bool) -> str:  # noqa: ANN001
    buf = io.StringIO()
    saved = output.console
    output.console = Console(file=buf, width=200, force_terminal=terminal, color_system="standard" if terminal else None)
    try:
        draw()
    finally:
        output.console = saved
    return buf.getvalue()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: st.tuples(
    st.lists(st.tuples(HEADER, st.booleans()), min_size=n, max_size=n),
    st.lists(st.lists(CELL, min_size=n, max_size=n), max_size=6),
    st.booleans())), st.booleans())
def test_the_grid_is_richs_table(table, terminal: bool) -> None:  # noqa: ANN001
    columns, cells, with_total = table
    spec = [num(f"c{k}", h) if right else Col(f"c{k}", h) for k, (h, right) in enumerate(columns)]
    total = [f"t{k}" for k in range(len(spec))] if with_total and cells else None  # as write_table makes it
    widths = [max([cell_len(c.header), *(cell_len(r[k]) for r in cells + ([total] if total else []))])
              for k, c in enumerate(spec)]
    rich = drawn(lambda: output.console.print(output.rich_grid(spec, cells, total)), terminal)
    ours = drawn(lambda: output._write_grid(spec, widths, cells, total), terminal)
    assert ours == rich
