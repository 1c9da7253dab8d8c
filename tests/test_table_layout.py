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


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.text(st.sampled_from("ab é\t\a\b\v\f\r漢"), max_size=6), min_size=2, max_size=2),
                max_size=5), st.booleans())
def test_plain_lines_are_what_rich_printed(cells, terminal: bool) -> None:  # noqa: ANN001
    """The grid's plain lines, written as they are when Rich would change nothing in them (and
    through Rich when it would: tabs, control codes), are what Rich printed."""
    from rich.text import Text

    spec = [Col("a", "a"), num("b", "b")]
    widths = [max([cell_len(c.header), *(cell_len(r[k]) for r in cells)]) for k, c in enumerate(spec)]
    ours = drawn(lambda: output._write_grid(spec, widths, cells, None), terminal)
    saved = output._print_plain
    output._print_plain = lambda text: output.console.print(Text(text), soft_wrap=True, highlight=False)
    try:
        rich = drawn(lambda: output._write_grid(spec, widths, cells, None), terminal)
    finally:
        output._print_plain = saved
    assert ours == rich
