"""``tradesim attribution``: Brinson effects of a recorded run against another run or a policy mix."""

from __future__ import annotations

from typing import Annotated

import typer

from db.session import database_url
from tradesim.cli import app
from tradesim.cli.options import DbOption
from tradesim.cli.output import Col, Format, emit, num
from tradesim.errors import TradesimError


def parse_benchmark(text: str) -> int | dict[str, float]:
    """A run id ("12") or a policy mix ("Equity=0.6,Bonds=0.3,cash=0.1")."""
    if text.strip().isdigit():
        return int(text)
    mix: dict[str, float] = {}
    for part in text.split(","):
        name, sep, weight = part.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            mix[name.strip()] = float(weight)
        except ValueError:
            raise TradesimError(f"--benchmark {text!r}: give a run id or a mix such as Equity=0.6,cash=0.4 "
                                f"({part.strip()!r} is neither)") from None
    return mix


def _pct(v) -> str:  # noqa: ANN001
    return "" if v is None else f"{v:+.2%}"


@app.command()
def attribution(
    run: Annotated[int, typer.Argument(help="The run to attribute.", metavar="RUN")],
    benchmark: Annotated[str, typer.Option("--benchmark", "-b", metavar="RUN|MIX", help="A run id, or a policy mix rebalanced each "
                                                                     "period: SEGMENT=W,... (cash allowed).")],
    by: Annotated[str, typer.Option(metavar="SEGMENT", help="Segments: asset_class or instrument.")] = "asset_class",
    freq: Annotated[str, typer.Option(metavar="M|Q|Y", help="Periods: M, Q or Y.")] = "Q",
    method: Annotated[str, typer.Option(metavar="bf|bhb", help="bf (Brinson-Fachler) or bhb (Brinson-Hood-Beebower).")] = "bf",
    db: DbOption = None,
    output: Annotated[Format, typer.Option("--format", help="table, csv or json.")] = Format.table,
) -> None:
    """Allocation, selection and interaction per period and Carino-linked over the run, plus trading."""
    from db.queries import connect
    from tradesim.run_attribution import attribute_run

    if method not in ("bf", "bhb"):
        raise TradesimError(f"--method must be bf or bhb, not {method!r}")
    with connect(database_url(db)) as conn:
        result = attribute_run(conn, run, parse_benchmark(benchmark), by=by, freq=freq.upper(), method=method)
    columns, rows = result.rows()
    against = f"run {benchmark}" if isinstance(parse_benchmark(benchmark), int) else f"the mix {benchmark}"
    spec = [Col("period", "period")] + [num(c, c, _pct) for c in columns[1:]]
    emit(output, f"Run {run} against {against}, by {by}, {result.freq} periods, "
                 f"{'Brinson-Fachler' if method == 'bf' else 'Brinson-Hood-Beebower'}; "
                 "linked: Carino-linked over the run", columns, rows, spec)
