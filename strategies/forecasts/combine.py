"""Combining rules into one forecast per instrument and day.

    combined = clip(FDM x sum_r w_r x forecast_r, -cap, cap)

Weights are renormalised over the rules an instrument has that day (before the slow
EWMAs or the first carry price, or an instrument without carry data), so a missing rule
neither counts as a zero forecast nor silently drops the instrument.

The forecast diversification multiplier FDM = 1 / sqrt(w' rho+ w) restores the average
absolute forecast that averaging correlated-but-not-identical rules loses. rho is the
correlation between rules' forecasts pooled over all instruments and every day up to t
(expanding, so no look-ahead), with negative values floored at zero as Carver does, and
1 (no diversification credit) for a pair seen fewer than ``min_observations`` times.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# Days per block: every step works on one (day, instrument) or one day at a time, so blocks of
# days give the same numbers as the whole table at once, without (T, N, R) temporaries the
# size of the whole history (Jumbo's are 70 MB each).
BLOCK_DAYS = 128


# Blocks whose own sums are worked out at once, ahead of the running totals (see _correlation_blocks).
SUMS_AHEAD = 2


def _blocks(n_days: int):  # noqa: ANN202
    return (slice(a, min(a + BLOCK_DAYS, n_days)) for a in range(0, n_days, BLOCK_DAYS))


def day_blocks(n_days: int, n_instruments: int, n_rules: int) -> list[np.ndarray]:
    """Empty (days, N, R) tables of ``BLOCK_DAYS`` days each, in order, for rules' forecasts to be
    written into: ``combine_forecast_blocks`` drops each once it is combined."""
    return [np.empty((days.stop - days.start, n_instruments, n_rules)) for days in _blocks(n_days)]


def pooled_correlations(forecasts: np.ndarray, min_observations: int = 256) -> np.ndarray:
    """(T, R, R) correlation of rules' forecasts, pooled over instruments, days 0..t.

    ``forecasts`` is (T, N, R) with NaN where a rule has no forecast. Each pair uses the
    instrument-days where both rules have one.
    """
    T, _, R = forecasts.shape
    corr = np.empty((T, R, R))
    blocks = [forecasts[days] for days in _blocks(T)]
    for days, block in zip(_blocks(T), _correlation_blocks(blocks, min_observations)):
        corr[days] = block
    return corr


def _correlation_blocks(blocks: list[np.ndarray], min_observations: int) -> Iterator[np.ndarray]:
    """The pooled correlations of each block of days in turn (see ``pooled_correlations``), reading
    ``blocks[k]`` only shortly before block k's are asked for (``SUMS_AHEAD`` blocks ahead): the
    four running totals (pair counts, sums of xy, x and xx) are carried from block to block, never
    held for every day."""
    before: np.ndarray | None = None
    # Each block's own sums (most of the preparation's work on Jumbo) are worked out ahead on
    # other threads, SUMS_AHEAD blocks at once (einsum releases the GIL), while this one totals
    # the block before and the caller combines it: the same operations on the same arrays, so
    # the same bits, in less wall time with a core to spare (each block in flight holds about
    # 4 MB of temporaries on Jumbo).
    with ThreadPoolExecutor(SUMS_AHEAD, thread_name_prefix="forecast-sums") as ahead:
        coming = deque(ahead.submit(_day_sums, block) for block in blocks[:SUMS_AHEAD])
        for k in range(len(blocks)):
            sums = coming.popleft().result()
            if k + SUMS_AHEAD < len(blocks):
                coming.append(ahead.submit(_day_sums, blocks[k + SUMS_AHEAD]))
            if before is not None:
                sums[:, 0] += before  # then the same additions, in the same order, as one running sum
            np.cumsum(sums, axis=1, out=sums)
            before = sums[:, -1].copy()
            yield _pooled(*sums, min_observations)


def _day_sums(block: np.ndarray) -> np.ndarray:
    """(4, days, R, R): each day's pair counts and sums of xy, x and xx over the instruments."""
    present = (~np.isnan(block)).astype(float)
    x = np.nan_to_num(block, nan=0.0)
    sums = np.empty((4, *present.shape[:1], present.shape[2], present.shape[2]))
    # Counts are whole numbers, exact in any order of summation: a matrix product gives them
    # five times faster. The sums of forecasts keep einsum's order (another order changes bits).
    sums[0] = np.matmul(present.transpose(0, 2, 1), present)
    for total, a, b in ((sums[1], x, x), (sums[2], x, present), (sums[3], x * x, present)):
        total[:] = np.einsum("tir,tis->trs", a, b)
    return sums


def _pooled(n: np.ndarray, sxy: np.ndarray, sx: np.ndarray, sxx: np.ndarray, min_observations: int) -> np.ndarray:
    """Correlations from running totals over days (T, R, R); 1 where a pair has too few days."""
    sy, syy = sx.transpose(0, 2, 1), sxx.transpose(0, 2, 1)  # the second rule's sums over the same days
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = sx / n, sy / n
        cov = sxy / n - mx * my
        corr = cov / np.sqrt((sxx / n - mx * mx) * (syy / n - my * my))
    corr = np.where((n >= min_observations) & np.isfinite(corr), np.clip(corr, -1.0, 1.0), 1.0)
    idx = np.arange(n.shape[2])
    corr[:, idx, idx] = 1.0
    return corr


def diversification_multipliers(weights: np.ndarray, corr: np.ndarray, cap: float) -> np.ndarray:
    """(T, N) FDM for (T, N, R) rule weights and (T, R, R) correlations; 1 where no rule has weight."""
    variance = np.einsum("tir,trs,tis->ti", weights, np.maximum(corr, 0.0), weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        fdm = np.minimum(cap, 1.0 / np.sqrt(variance))
    return np.where(variance > 0, fdm, 1.0)


def available_weights(forecasts: np.ndarray, rule_weights: np.ndarray) -> np.ndarray:
    """(T, N, R) rule weights renormalised over the rules with a forecast at each (t, i)."""
    w = np.where(np.isnan(forecasts), 0.0, rule_weights)
    total = w.sum(axis=2, keepdims=True)
    # In place (the same divisions): two fewer temporaries the size of the block, at the peak of
    # Jumbo's preparation.
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(w, total, out=w)
    w[np.broadcast_to(~(total > 0), w.shape)] = 0.0
    return w


def combine_forecasts(forecasts: np.ndarray, rule_weights: np.ndarray, fdm: float | None = None,
                      cap: float = 20.0, fdm_cap: float = 2.5,
                      min_observations: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(combined (T, N), FDM (T, N)); combined is NaN where an instrument has no rule at all.

    ``fdm`` None estimates it from the pooled forecast correlation; a number fixes it.
    """
    blocks = [forecasts[days] for days in _blocks(forecasts.shape[0])]
    return combine_forecast_blocks(blocks, rule_weights, fdm, cap, fdm_cap, min_observations)


def combine_forecast_blocks(blocks: list[np.ndarray], rule_weights: np.ndarray, fdm: float | None = None,
                            cap: float = 20.0, fdm_cap: float = 2.5,
                            min_observations: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """``combine_forecasts`` of the forecasts in ``day_blocks``, each block dropped from the list
    once combined: the forecasts of every rule, day and instrument (on Jumbo 64 MB) shrink as the
    combined forecast grows, instead of both being held at the end."""
    rule_weights = np.asarray(rule_weights, dtype=float)
    n_days, n_instruments = sum(len(block) for block in blocks), blocks[0].shape[1]
    correlations = _correlation_blocks(blocks, min_observations) if fdm is None else None
    combined, multiplier = np.empty((n_days, n_instruments)), np.empty((n_days, n_instruments))
    for k, days in enumerate(_blocks(n_days)):
        corr = None if correlations is None else next(correlations)  # reads block k: before it is dropped
        forecasts, blocks[k] = blocks[k], None
        w = available_weights(forecasts, rule_weights)
        raw = np.einsum("tir,tir->ti", w, np.nan_to_num(forecasts, nan=0.0))
        del forecasts
        multiplier[days] = float(fdm) if corr is None else diversification_multipliers(w, corr, fdm_cap)
        has_rule = w.sum(axis=2) > 0
        combined[days] = np.where(has_rule, np.clip(raw * multiplier[days], -cap, cap), np.nan)
    return combined, multiplier
