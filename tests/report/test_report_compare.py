"""Reports of several runs: a comparison on one chart, found from any one of its runs."""

from __future__ import annotations

import pytest

from db import queries
from tradesim.report import ReportError, render_report, resolve_runs
from tradesim.report.figures.equity import equity_figure
from tradesim.report.ledger import load_run, named

from report_ledgers import futures_config


def test_one_compare_run_stands_for_its_comparison(compared) -> None:  # noqa: ANN001
    with queries.connect(compared.url) as conn:
        for run_id in compared.run_ids:
            assert resolve_runs(conn, [run_id]) == list(compared.run_ids)
        assert resolve_runs(conn, [compared.run_ids[2], compared.run_ids[0]]) == [compared.run_ids[2],
                                                                                     compared.run_ids[0]]


def test_the_equity_chart_overlays_fractional_rounded_and_dynamic(compared) -> None:  # noqa: ANN001
    with queries.connect(compared.url) as conn:
        runs = named([load_run(conn, r) for r in compared.run_ids])
    top = equity_figure(runs).axes[0]
    labels = [line.get_label() for line in top.lines]
    ids = compared.run_ids
    assert labels == [f"ideal (run {ids[0]})", f"rounded (run {ids[1]})", f"dynamic (run {ids[2]})", "starting capital"]
    for line, result in zip(top.lines, compared.results):
        assert list(line.get_ydata()) == pytest.approx(list(result.nav))


def test_a_comparison_report_names_its_runs_and_shows_the_dynamic_one_alone(compared) -> None:  # noqa: ANN001
    report = render_report(compared.url, [compared.run_ids[1]])
    assert report.run_ids == compared.run_ids
    ids = ", ".join(map(str, compared.run_ids))
    assert f"runs {ids}</h1>" in report.html
    assert f"Figures of one run show dynamic (run {compared.run_ids[2]})." in report.html
    for result in compared.results:
        assert f"{result.summary.sharpe:.2f}" in report.html


def test_runs_in_different_currencies_do_not_share_a_chart(tmp_path) -> None:  # noqa: ANN001
    from tradesim.replay import replay

    url = f"sqlite:///{tmp_path / 'two.db'}"
    usd = replay(futures_config(), url).run_id
    eur = replay(futures_config(base_currency="EUR", name="synthetic-futures-eur"), url).run_id
    with pytest.raises(ReportError, match=fr"synthetic-futures \(run {usd}\) is in USD, synthetic-futures-eur \(run {eur}\) is in EUR"):
        render_report(url, [usd, eur])
