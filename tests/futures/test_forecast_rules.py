"""Each forecast rule against values worked by hand on tiny made-up series."""

from __future__ import annotations

import numpy as np
import pytest

from strategies.forecasts import annualised_carry, carry_forecast, ewmac_forecast, price_vol_points
from strategies.forecasts.allocation import asset_class_weights, instrument_diversification
from strategies.forecasts.combine import (
    BLOCK_DAYS, available_weights, combine_forecast_blocks, combine_forecasts, day_blocks, diversification_multipliers,
    pooled_correlations,
)
from strategies.forecasts.ewmac import own_day_ewma

nan = np.nan
col = lambda *v: np.array(v, dtype=float)[:, None]  # noqa: E731  one instrument, days down

# EWMA with pandas' adjust=True: sum_k (1-a)^k x_{t-k} / sum_k (1-a)^k, a = 2 / (span + 1).
# Prices 100, 102, 101, 105.
# span 2 (1-a = 1/3):  t1 (102 + 100/3) / (4/3) = 101.5
#                      t3 (105 + 101/3 + 102/9 + 100/27) / (40/27) = 4150 / 40 = 103.75
# span 8 (1-a = 7/9):  t1 (102 + 100 x 7/9) / (16/9) = 1618 / 16 = 101.125
#                      t3 (105 x 729 + 101 x 567 + 102 x 441 + 100 x 343) / 2080 = 213094 / 2080
FAST_T3, SLOW_T3 = 4150 / 40, 213094 / 2080


def test_own_day_ewma_by_hand() -> None:
    got = own_day_ewma(col(100, 102, 101, 105), 2)[:, 0]
    assert got == pytest.approx([100, 101.5, 1315 / 13, FAST_T3])
    assert own_day_ewma(col(100, 102, 101, 105), 8)[[1, 3], 0] == pytest.approx([101.125, SLOW_T3])


def test_a_missing_day_is_skipped_not_counted_as_unchanged() -> None:
    """A holiday (NaN) between 102 and 101: the EWMA carries over it and resumes as if it were not there."""
    got = own_day_ewma(col(100, 102, nan, 101, 105), 2)[:, 0]
    assert got == pytest.approx([100, 101.5, 101.5, 1315 / 13, FAST_T3])


def test_ewmac_2_8_by_hand() -> None:
    """raw = (103.75 - 102.4490...) / sigma_p 2.0 = 0.65048; x AFTS scalar 12.1 = 7.8708."""
    sigma_p = col(2.0, 2.0, 2.0, 2.0)
    got = ewmac_forecast(col(100, 102, 101, 105), sigma_p, 2, 8)[:, 0]
    assert got[3] == pytest.approx((FAST_T3 - SLOW_T3) / 2.0 * 12.1)
    assert got[1] == pytest.approx((101.5 - 101.125) / 2.0 * 12.1)
    assert got[0] == 0.0


def test_ewmac_on_negative_back_adjusted_prices_is_the_same() -> None:
    """Panama adjustment shifts the whole history; the forecast sees only differences."""
    sigma_p = col(2.0, 2.0, 2.0, 2.0)
    shifted = ewmac_forecast(col(100, 102, 101, 105) - 250.0, sigma_p, 2, 8)
    assert shifted == pytest.approx(ewmac_forecast(col(100, 102, 101, 105), sigma_p, 2, 8))


def test_ewmac_is_capped_and_needs_a_volatility() -> None:
    got = ewmac_forecast(col(100, 102, 101, 105), col(nan, 0.1, 0.1, 0.1), 2, 8)[:, 0]
    assert np.isnan(got[0]) and got[1] == 20.0 and got[3] == 20.0  # 0.375 / 0.1 x 12.1 = 45.4 -> 20


def test_ewmac_scalars_are_afts_and_unknown_pairs_need_one() -> None:
    sigma_p = col(1.0, 1.0)
    assert ewmac_forecast(col(10, 11), sigma_p, 64)[1, 0] == pytest.approx(
        (own_day_ewma(col(10, 11), 64) - own_day_ewma(col(10, 11), 256))[1, 0] * 1.91)
    with pytest.raises(ValueError, match="no AFTS forecast scalar for EWMAC 3/12"):
        ewmac_forecast(col(10, 11), sigma_p, 3)


def test_price_vol_in_points() -> None:
    """sigma_p = held price x annual % vol / 16: 72 x 0.32 / 16 = 1.44 points a day."""
    assert price_vol_points(col(72.0), col(0.32))[0, 0] == pytest.approx(1.44)


def test_annualised_carry_by_hand() -> None:
    price = np.array([72.0, 130.0, 50.0, 95.0, 10.0])
    carry = np.array([72.3, 129.8, 49.0, 95.5, 10.0])
    price_contract = np.array([20240300, 20240300, 20240600, 20241200, 20240300])
    carry_contract = np.array([20240200, 20240600, 20240300, 20250300, 20240300])
    got = annualised_carry(price, carry, price_contract, carry_contract)
    # nearer carry contract priced above: (72 - 72.3) / (-1/12) = +3.6 (backwardation)
    # further carry contract priced below: (130 - 129.8) / (3/12) = +0.8 (backwardation)
    # nearer carry contract priced below: (50 - 49) / (-3/12) = -4 (contango)
    # across a year end: (95 - 95.5) / (2025.25 - 2025.0) = -2
    assert got[:4] == pytest.approx([3.6, 0.8, -4.0, -2.0])
    assert np.isnan(got[4])  # no second contract, no carry


def test_carry_forecast_by_hand() -> None:
    """Annual price vol in points 0.5 x 16 = 8; raw = 3.6 / 8 = 0.45 (day 1 has no carry: 0.45 stands),
    then 4.8 / 8 = 0.6. EWMA span 2: t3 = (0.6 + 0.45/3 + 0.45/9 + 0.45/27) / (40/27) = 0.55125; x 30."""
    got = carry_forecast(col(3.6, nan, 3.6, 4.8), col(0.5, 0.5, 0.5, 0.5), span=2)[:, 0]
    assert got == pytest.approx([13.5, 13.5, 13.5, 0.55125 * 30])
    assert carry_forecast(col(3.6, 4.8), col(0.1, 0.1), span=2)[1, 0] == 20.0  # 0.6 / 1.6 x 30 > 20: capped


def test_carry_smooths_over_own_trading_days_only() -> None:
    """Day 2 is a holiday for the instrument: its (stale) value is not averaged in."""
    traded = np.array([[True], [True], [False], [True]])
    got = carry_forecast(col(3.6, 4.8, 4.8, 3.6), col(0.5, 0.5, 0.5, 0.5), span=2, own_days=traded)[:, 0]
    # raw 0.45, 0.6, (skipped), 0.45: t1 (0.6 + 0.45/3) / (4/3) = 0.5625; t3 (0.45 + 0.6/3 + 0.45/9) / (13/9)
    assert got[1:] == pytest.approx([0.5625 * 30, 0.5625 * 30, (0.45 + 0.2 + 0.05) / (13 / 9) * 30])


def test_weights_renormalise_over_available_rules() -> None:
    forecasts = np.array([[[4.0, 8.0, nan], [nan, nan, nan]]])  # (T=1, N=2, R=3)
    w = available_weights(forecasts, np.array([0.3, 0.3, 0.4]))
    assert w[0, 0] == pytest.approx([0.5, 0.5, 0.0]) and (w[0, 1] == 0).all()
    combined, fdm = combine_forecasts(forecasts, np.array([0.3, 0.3, 0.4]), fdm=1.1)
    assert combined[0, 0] == pytest.approx(6.0 * 1.1) and np.isnan(combined[0, 1])


def test_combined_forecast_is_capped_again() -> None:
    forecasts = np.array([[[8.0, 16.0]]])
    combined, _ = combine_forecasts(forecasts, np.array([0.6, 0.4]), fdm=2.0)
    assert combined[0, 0] == 20.0  # (0.6 x 8 + 0.4 x 16) x 2 = 22.4


def test_pooled_correlation_by_hand() -> None:
    """Rule 1: 1, 2, 3; rule 2: 2, 4, 7 (one instrument). cov = 31/3 - 2 x 13/3 = 5/3,
    var1 = 14/3 - 4 = 2/3, var2 = 69/3 - 169/9 = 38/9: rho = (5/3) / sqrt(76/27)."""
    forecasts = np.array([[[1.0, 2.0]], [[2.0, 4.0]], [[3.0, 7.0]]])
    rho = pooled_correlations(forecasts, min_observations=3)
    assert rho[2, 0, 1] == pytest.approx((5 / 3) / np.sqrt(76 / 27)) and rho[2, 1, 0] == rho[2, 0, 1]
    assert rho[1, 0, 1] == 1.0  # two observations are not evidence yet: no diversification credit


def test_pooled_correlation_pools_instruments_and_pairs_only_shared_days() -> None:
    forecasts = np.array([[[1.0, 2.0], [3.0, nan]], [[2.0, 1.0], [5.0, 6.0]], [[4.0, 5.0], [nan, 9.0]]])
    rho = pooled_correlations(forecasts, min_observations=1)
    pairs = np.array([[1.0, 2.0], [2.0, 1.0], [5.0, 6.0], [4.0, 5.0]])  # instrument-days with both rules
    assert rho[2, 0, 1] == pytest.approx(np.corrcoef(pairs.T)[0, 1])


def whole_history_correlations(forecasts: np.ndarray, min_observations: int) -> np.ndarray:
    """The pooled correlations with every day's running totals held at once: one running sum per
    total over the whole history, as before blocks of days carried them."""
    present = (~np.isnan(forecasts)).astype(float)
    x = np.nan_to_num(forecasts, nan=0.0)
    n = np.cumsum(np.matmul(present.transpose(0, 2, 1), present), axis=0)
    sxy, sx, sxx = (np.cumsum(np.einsum("tir,tis->trs", a, b), axis=0) for a, b in ((x, x), (x, present), (x * x, present)))
    sy, syy = sx.transpose(0, 2, 1), sxx.transpose(0, 2, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = sx / n, sy / n
        corr = (sxy / n - mx * my) / np.sqrt((sxx / n - mx * mx) * (syy / n - my * my))
    corr = np.where((n >= min_observations) & np.isfinite(corr), np.clip(corr, -1.0, 1.0), 1.0)
    idx = np.arange(forecasts.shape[2])
    corr[:, idx, idx] = 1.0
    return corr


@pytest.mark.parametrize("days", [1, BLOCK_DAYS, BLOCK_DAYS + 1, 3 * BLOCK_DAYS + 17])
def test_pooled_correlations_in_blocks_of_days_are_the_whole_historys_bit_for_bit(days: int) -> None:
    """The running totals carried from block to block add the same numbers in the same order."""
    rng = np.random.default_rng(days)
    forecasts = rng.normal(0.0, 8.0, (days, 7, 4))
    forecasts[rng.random(forecasts.shape) < 0.3] = nan
    forecasts[: days // 3, :, 1] = nan  # a rule that starts late
    got = pooled_correlations(forecasts, min_observations=20)
    assert got.tobytes() == whole_history_correlations(forecasts, 20).tobytes()


def test_fdm_from_correlation() -> None:
    w = np.array([[[0.5, 0.5]]])
    assert diversification_multipliers(w, np.array([[[1, 0.5], [0.5, 1]]]), 2.5)[0, 0] == pytest.approx(1 / np.sqrt(0.75))
    # Negative correlations count as zero: 1 / sqrt(0.5)
    assert diversification_multipliers(w, np.array([[[1, -0.5], [-0.5, 1]]]), 2.5)[0, 0] == pytest.approx(np.sqrt(2))
    assert diversification_multipliers(w, np.array([[[1, 0.0], [0.0, 1]]]), 1.2)[0, 0] == 1.2  # capped


def test_instrument_weights_equal_per_asset_class_then_within() -> None:
    live = np.array([[True, True, True], [True, True, False], [False, False, False]])
    w = asset_class_weights(live, ["Bond", "Bond", "Equity"])
    assert w[0] == pytest.approx([0.25, 0.25, 0.5])
    assert w[1] == pytest.approx([0.5, 0.5, 0.0])  # equity not live yet: bonds take everything
    assert (w[2] == 0).all()


class FixedCorrelation:
    """Correlation usable on each day, as WeeklyCorrelation.at(t) hands it out."""

    def __init__(self, *matrices: np.ndarray) -> None:
        self.matrices = matrices

    def at(self, t: int) -> np.ndarray:
        return self.matrices[t]


def test_idm_from_return_correlation() -> None:
    """Weights 0.5/0.5: rho 0.5 -> 1 / sqrt(0.75); rho 0 -> sqrt(2); capped at 1.3."""
    w = np.array([[0.5, 0.5], [0.5, 0.5]])
    corr = FixedCorrelation(np.array([[1, 0.5], [0.5, 1]]), np.eye(2))
    assert instrument_diversification(w, corr, 2.5) == pytest.approx([1 / np.sqrt(0.75), np.sqrt(2)])
    corr = FixedCorrelation(np.array([[1, 0.5], [0.5, 1]]), np.eye(2))
    assert instrument_diversification(w, corr, 1.3) == pytest.approx([1 / np.sqrt(0.75), 1.3])


def test_carry_forecast_works_in_place_on_its_own_tables_only() -> None:
    """The carry rule divides and smooths in place: never in the caller's annualised carry, which
    every span reuses (with nothing to fill or with gaps alike)."""
    for ann in (np.array([[2.0, -1.0], [1.0, 0.5], [3.0, 0.25]]), np.array([[2.0, nan], [nan, 0.5], [3.0, nan]])):
        kept, sigma = ann.copy(), np.full(ann.shape, 0.5)
        first = carry_forecast(ann, sigma, 2)
        assert ann.tobytes() == kept.tobytes()
        assert carry_forecast(ann, sigma, 2).tobytes() == first.tobytes()


def forecasts_joining_late(days: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(days, 9, 5) forecasts, some NaN, and each instrument's first day (NaN before it)."""
    rng = np.random.default_rng(seed)
    forecasts = np.clip(rng.normal(0.0, 10.0, (days, 9, 5)), -20, 20)
    forecasts[rng.random(forecasts.shape) < 0.2] = nan
    first = np.array([0, 0, 5, BLOCK_DAYS - 1, BLOCK_DAYS, BLOCK_DAYS + 3, 2 * BLOCK_DAYS + 40, days - 1, days])
    for i, day in enumerate(first):
        forecasts[:day, i] = nan
    return forecasts, first


def written_in_blocks(forecasts: np.ndarray, first: np.ndarray | None, width: int) -> list:
    blocks = day_blocks(len(forecasts), forecasts.shape[1], forecasts.shape[2], first)
    for a in range(0, forecasts.shape[1], width):
        for r in range(forecasts.shape[2]):
            for block in blocks:
                block.write(slice(a, min(a + width, forecasts.shape[1])), r, forecasts[:, a:a + width, r])
    return blocks


@pytest.mark.parametrize("width", [1, 2, 4, 9])
def test_blocks_store_only_the_instruments_that_have_joined_and_give_back_the_whole_table(width: int) -> None:
    forecasts, first = forecasts_joining_late(3 * BLOCK_DAYS + 17, width)
    blocks = written_in_blocks(forecasts, first, width)
    day = 0
    for block in blocks:
        assert block.values.shape[1] == (first < day + len(block)).sum()
        assert block.forecasts().tobytes() == forecasts[day:day + len(block)].tobytes()
        day += len(block)


def test_a_forecast_before_an_instruments_first_day_is_refused_not_dropped() -> None:
    forecasts, first = forecasts_joining_late(2 * BLOCK_DAYS, 1)
    first[4] = 2 * BLOCK_DAYS  # instrument 4 is in no block now, but has a forecast in the second
    forecasts[BLOCK_DAYS + 5, 4, 2] = 3.0
    with pytest.raises(RuntimeError, match="before instrument 4's first possible day"):
        written_in_blocks(forecasts, first, 3)


@pytest.mark.parametrize("fdm", [None, 1.4])
def test_combining_packed_blocks_is_combining_the_whole_table_bit_for_bit(fdm: float | None) -> None:
    """Blocks holding only the instruments that have joined, each block's NaNs zeroed in place as it
    is combined, and no FDM table kept: the same combined forecast and FDM as the whole table,
    whose caller's copy is left as it was."""
    forecasts, first = forecasts_joining_late(4 * BLOCK_DAYS + 3, 7)
    kept = forecasts.copy()
    rule_w = np.array([0.3, 0.2, 0.2, 0.15, 0.15])
    combined, multiplier = combine_forecasts(forecasts, rule_w, fdm, min_observations=50)
    assert forecasts.tobytes() == kept.tobytes()
    packed = combine_forecast_blocks(written_in_blocks(forecasts, first, 4), rule_w, fdm, min_observations=50)
    assert packed[0].tobytes() == combined.tobytes() and packed[1].tobytes() == multiplier.tobytes()
    alone, none = combine_forecast_blocks(written_in_blocks(forecasts, first, 4), rule_w, fdm, min_observations=50,
                                          keep_fdm=False)
    assert alone.tobytes() == combined.tobytes() and none is None
    assert np.isnan(combined[:, -1]).all() and np.isfinite(combined[-1, :-2]).all()
