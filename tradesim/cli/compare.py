"""``tradesim compare``: fractional, rounded, buffered and optimised positions in one table."""

from __future__ import annotations

from typing import Annotated

import typer
from db.session import check_database, database_url
from tradesim.cli import app, console
from tradesim.cli.options import CapitalOption, ConfigArg, DbOption, EndOption, SetOption, StartOption, parse_day
from tradesim.cli.replay import day_progress, progress_bar
from tradesim.cli.report import ReportOption, ReportPngOption, check_report_options, report_after_run
from tradesim.cli.output import Col, Format, ResultFormatOption, emit_result, text, variant_name, write_table
from tradesim.cli.tables import compare_document, compare_rows, warning_cell
from tradesim.config import load_config
from tradesim.errors import TradesimError
from tradesim.metrics import DAYS_PER_YEAR, sharpe_cell


# (header, optional): at a console too narrow for all of them, write_table leaves out the
# optional ones, rightmost first (so the least needed stand last) and names them;
# --markdown and --format csv/json have them all.
COLUMNS = (("variant", False), ("return", False), ("vol", True), ("SR", False), ("costs", False), ("turn", True),
           ("ctrs/yr", False), ("TE", False), ("TEday", False), ("TEideal", False), ("drag", False),
           ("maxDD", True), ("corr", True), ("alpha", True), ("ctrs", True), ("ctrs/d", True))


def _number_list(value: str | None, option: str) -> list[float] | None:
    """"10,50,100" -> [10.0, 50.0, 100.0], or one line naming the option."""
    if value is None:
        return None
    try:
        numbers = [float(part) for part in value.split(",")]
    except ValueError:
        raise TradesimError(f"{option}: {value!r} is not a comma-separated list of numbers") from None
    if any(not x >= 0 for x in numbers):
        raise TradesimError(f"{option}: {value!r}: every value must be a number >= 0")
    return numbers


def _variant_list(value: str | None) -> tuple[str, ...]:
    from tradesim.compare import DEFAULT_VARIANTS, VARIANTS

    if value is None:
        return DEFAULT_VARIANTS
    names = tuple(part.strip() for part in value.split(",") if part.strip())
    for name in names:
        if name not in VARIANTS:
            raise TradesimError(f"--variants: unknown variant {name!r} (known: {', '.join(VARIANTS)})")
    return names


def compare_cells(r) -> list[str]:  # noqa: ANN001
    s = r.summary
    total, per_day, per_year = r.contracts
    return [variant_name(r.variant), f"{s.annual_return:.1%}", f"{s.annual_volatility:.1%}", sharpe_cell(s),
            short_money(s.total_costs), f"{s.annual_notional_turnover:.1f}", short_money(per_year),
            f"{r.tracking_error:.2%}", f"{r.tracking_error_daily:.3%}", f"{r.realised_te:.2%}", f"{r.drag:.2%}",
            f"{s.max_drawdown:.0%}", f"{r.correlation:.3f}", f"{r.adjustment_factor:.2f}", short_money(total),
            f"{per_day:,.1f}"]


def short_money(x: float) -> str:
    for unit, scale in (("m", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.1f}{unit}"
    return f"{x:.0f}"


def compare_table(title: str, rows) -> None:  # noqa: ANN001
    """The table, through the project's writer: it never cuts a cell at any width."""
    headers = [header for header, _ in COLUMNS]
    spec = [Col(header, header, text, right=k > 0, optional=optional) for k, (header, optional) in enumerate(COLUMNS)]
    write_table(title, headers, [compare_cells(r) for r in rows], spec)


def compare_markdown(rows) -> str:  # noqa: ANN001
    lines = ["| " + " | ".join(header for header, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(compare_cells(r)) + " |" for r in rows]
    return "\n".join(lines)


@app.command()
def compare(config: ConfigArg = None, start: StartOption = None, end: EndOption = None,
            capital: CapitalOption = None, db: DbOption = None,
            markdown: Annotated[bool, typer.Option("--markdown", help="Also print the table as Markdown.")] = False,
            variants: Annotated[str | None, typer.Option(
                "--variants", metavar="VARIANT,...", help="Comma-separated variants (fractional, fractional_costs, rounded, buffered, "
                "greedy, dynamic); default all but greedy. The ideal (fractional) always runs.")] = None,
            lambdas: Annotated[str | None, typer.Option(
                "--lambda", metavar="X,...", help="Comma-separated cost multipliers: greedy and dynamic run once for each.")] = None,
            buffers: Annotated[str | None, typer.Option(
                "--buffer", metavar="X,...", help="Comma-separated buffers (fractions of the risk target): greedy and dynamic "
                "run once for each (and each --lambda).")] = None,
            report: ReportOption = None, png: ReportPngOption = None, sets: SetOption = None,
            format: ResultFormatOption = Format.table) -> None:  # noqa: A002
    """Replay one strategy with fractional, rounded, buffered and dynamically optimised positions."""
    from tradesim.compare import compare as run_compare, variant_runs
    from tradesim.replay import load_market

    check_report_options(report, png)
    chosen = _variant_list(variants)
    lambda_list, buffer_list = _number_list(lambdas, "--lambda"), _number_list(buffers, "--buffer")
    cfg = load_config(config, sets=sets or (), start=parse_day(start, "--start"), end=parse_day(end, "--end"),
                      capital=capital)
    url = database_url(db, cfg.database)
    check_database(url)
    market = load_market(cfg, database_url=url)
    labels = list(variant_runs(cfg, chosen, lambda_list, buffer_list))
    width = max(len(variant_name(label)) for label in labels)
    with progress_bar() as bar:
        tasks = {name: bar.add_task(f"{variant_name(name):>{width}}", total=None, day="") for name in labels}
        progress = {name: day_progress(bar, task, market.dates) for name, task in tasks.items()}
        rows, results = run_compare(cfg, url, market, lambda name, done, total: progress[name](done, total),
                                    variants=chosen, lambdas=lambda_list, buffers=buffer_list)
    dates = results["fractional"].dates

    def show() -> None:
        title = f"{cfg.name}, capital {cfg.capital:,.0f} {cfg.base_currency}: {dates[0].date()} to {dates[-1].date()}"
        compare_table(title, rows)
        if markdown:
            console.print(compare_markdown(rows), markup=False, highlight=False, soft_wrap=True)
        console.print(f"ideal: fractional positions traded free of costs; frac+costs: the same paying costs (Carver's "
                      f"benchmark); buffered: rounded with a static buffer of {cfg.optimiser.position_buffer:.0%} of "
                      f"the average position. costs in {cfg.base_currency}; turn: annual notional turnover (traded "
                      f"value / NAV); ctrs, ctrs/d, ctrs/yr: contracts (shares) bought plus sold in total, a day, a "
                      f"year; SR: Sharpe ratio over a risk-free rate of {rows[0].summary.risk_free:.2%}; TE: the average of each day's tracking error of the held "
                      "positions against the unrounded optimum, annualised (TEday: the same, daily, TE / 16); "
                      "TEideal: annualised tracking error of "
                      "daily returns against the ideal; drag: the ideal's annual "
                      "return minus this one's; corr: correlation with the ideal; alpha: average adjustment factor on "
                      "trading days. Runs " + ", ".join(f"{variant_name(r.variant)}={r.run_id}" for r in rows)
                      + f" in {url}.")
        days = rows[0].summary.days
        if days < DAYS_PER_YEAR:
            console.print(f"{days} trading day{'s' if days != 1 else ''}, under a year: return, vol, SR and turn are annualised from them; "
                          "--format json has each variant's total_return.", highlight=False)
        warned = [f"{variant_name(r.variant)} {warning_cell(results[r.variant])}" for r in rows
                  if results[r.variant].warning_count]
        if warned:
            console.print("warnings (an instrument-day without a price is valued at the last price, not traded): "
                          + "; ".join(warned), highlight=False, soft_wrap=True)

    document = compare_document(cfg, rows, results, url)
    emit_result(format, document, compare_rows(document), show)
    report_after_run(url, [r.run_id for r in rows], report, png)
