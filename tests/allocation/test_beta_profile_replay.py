"""The beta-profile strategy replayed on the bundled stocks, and ``tradesim profile``."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from tradesim.errors import ConfigError

from tradesim.cli import main
from tests.allocation.conftest import example, held_weights, replay_days


def test_replay_holds_each_quarters_allocation_equally_within_categories(caplog) -> None:  # noqa: ANN001
    cfg = example("allocation_beta_profile.toml", "1995-01-03", "1995-12-29")
    with caplog.at_level(logging.INFO, logger="strategies.beta_profile"):
        result, days = replay_days(cfg)
    quarters = [r.beta_profile for r in caplog.records if hasattr(r, "beta_profile")]
    # Prices from 1993 (the replay's two-year warm-up): betas need 200 returns and the category
    # returns two quarters, so the first allocation is at the end of June 1994.
    assert str(quarters[0].date.date()) == "1994-06-30" and len(quarters) == 6
    for q in quarters:
        assert 0.9 - 1e-9 <= q.result.beta <= 1.1 + 1e-9
        np.testing.assert_allclose(q.inputs.migration.sum(axis=0), 1.0)
    stocks = [s for s in cfg.symbols if s != "SP500"]
    for d in days:
        assert held_weights(d, cfg.symbols)["SP500"] == 0.0  # the index is for betas only
    # The day after the September 1995 review: each stock holds x_k / n_k of its category.
    september = next(q for q in quarters if str(q.date.date()) == "1995-09-29")
    review = next(d for d in days if d.reason and d.t == september.inputs.t)
    w = held_weights(next(d for d in days if d.t == review.t + 1), cfg.symbols)
    cats = september.inputs.categories
    for k, x in enumerate(september.result.allocation):
        members = [s for s, c in zip(stocks, cats) if c == k]
        for s in members:
            assert w[s] == pytest.approx(x / len(members), abs=0.01)
    assert result.summary.trades > 0


def test_an_infeasible_band_stops_the_replay_naming_the_quarter() -> None:
    cfg = example("allocation_beta_profile.toml", "1995-01-03", "1995-03-31")
    params = dict(cfg.strategy.params, beta_low=3.0, beta_high=3.5)
    cfg = cfg.model_copy(update={"strategy": cfg.strategy.model_copy(update={"params": params})})
    # A user's infeasible band is a config mistake: one line naming the field, no traceback.
    with pytest.raises(ConfigError, match=r"field 'strategy.params': beta_profile: beta_profile on 1994-06-30: "
                                          r"beta band \[3, 3.5\] is infeasible"):
        replay_days(cfg)


def test_profile_cli_with_given_inputs(tmp_path, capsys) -> None:  # noqa: ANN001
    (tmp_path / "p.csv").write_text("0.9,0.2\n0.1,0.8\n")
    png = tmp_path / "figure.png"
    assert main(["profile", "--returns", "0.05,0.10", "--betas", "0.8,1.3", "--migration", str(tmp_path / "p.csv"),
                 "--bands", "0.9:1.0,0.7:0.8", "--format", "json", "--plot", str(png), "--plot-band", "0.9:1.0"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = {(tuple(r["band"]), r["migration"]): r for r in out["results"]}
    assert rows[((0.9, 1.0), False)]["expected_return"] == pytest.approx(0.07)
    assert rows[((0.9, 1.0), True)]["allocation"] == pytest.approx([4 / 7, 3 / 7])
    assert rows[((0.7, 0.8), False)]["weights"] == pytest.approx([1.0, 0.0])
    assert rows[((0.7, 0.8), True)]["infeasible"]["reachable_betas"] == pytest.approx([0.85, 1.2])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_profile_cli_table_from_the_bundled_data(capsys) -> None:  # noqa: ANN001
    assert main(["profile", "--bands", "0.9:1.1,5:6"]) == 0
    out = capsys.readouterr().out
    assert "estimated from the bundled S&P 500 stocks at 2022-09-30" in out
    assert "infeasible" in out and "P from low" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--returns", "0.1,0.2"], "--returns and --betas go together"),
        (["--returns", "0.1,x", "--betas", "1,2"], "--returns: '0.1,x' is not a comma-separated list"),
        (["--returns", "0.1,0.2", "--betas", "1"], "profile: betas has 1 values for 2 categories"),
        (["--bands", "1.1:0.9"], "--bands: '1.1:0.9' is not LOW:HIGH with LOW <= HIGH"),
        (["--migration", "p.csv"], "need --returns and --betas"),
    ],
)
def test_profile_cli_errors(args, message, capsys) -> None:  # noqa: ANN001
    assert main(["profile", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.strip().count("\n") == 0


def test_figure_1_draws_every_category_in_one_call(tmp_path, capsys) -> None:  # noqa: ANN001
    import matplotlib.image

    png = tmp_path / "figure1.png"
    assert main(["profile", "--returns", "0.04,0.07,0.11", "--betas", "0.6,1.0,1.5", "--bands", "0.9:1.1",
                 "--plot", str(png), "--vary", "all"]) == 0
    out = capsys.readouterr().out
    assert "shadow prices (the LP's duals)" in out and "+0.0778" in out and "-0.0067" in out
    height, width, _ = matplotlib.image.imread(png).shape
    assert (width, height) == (1656, 600)  # three 4.6-inch panels side by side at 120 dpi
    assert main(["profile", "--returns", "0.04,0.07,0.11", "--betas", "0.6,1.0,1.5", "--plot", str(png),
                 "--vary", "four"]) == 2
