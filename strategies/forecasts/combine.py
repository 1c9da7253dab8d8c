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
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from tradesim.allocator import release_free_memory

# Days per block: every step works on one (day, instrument) or one day at a time, so blocks of
# days give the same numbers as the whole table at once, without (T, N, R) temporaries the
# size of the whole history (Jumbo's are 70 MB each). Each block in flight (SUMS_AHEAD of them on
# other threads, one here) holds a few such temporaries: on Jumbo 1.3 MB each for 128 days.
BLOCK_DAYS = 64

# Days per DayBlock, in which the rules' forecasts are written and kept until combined: twice the
# days combined at once, so half as many writes while the rules are computed.
DAYS_KEPT = 2 * BLOCK_DAYS


# Blocks combined between two returns of the heap's free pages to the system: each returned page is
# faulted in again by a later allocation (every 4 blocks cost Jumbo's preparation about 50 ms of CPU;
# every 16 keeps the same peak at no measurable cost).
TRIM_EVERY = 16

# Blocks whose own sums are worked out at once, ahead of the running totals (see _correlation_blocks).
SUMS_AHEAD = 2


def _blocks(n_days: int, size: int | None = None):  # noqa: ANN202
    size = size or BLOCK_DAYS
    return (slice(a, min(a + size, n_days)) for a in range(0, n_days, size))


class DayBlock:
    """``DAYS_KEPT`` days of every rule's forecast, (days, N, R), holding only the instruments that
    can have a forecast by the block's last day: the others' are all NaN and are not stored (on Jumbo,
    whose instruments join over the years, a third of the history: 23 MB at the preparation's peak).
    ``forecasts()`` gives the whole table, NaN where nothing is stored."""

    def __init__(self, days: slice, live: np.ndarray, n_instruments: int, n_rules: int,
                 values: np.ndarray | None = None) -> None:
        self.days, self.live, self.n_instruments = days, live, n_instruments
        self.values = np.empty((days.stop - days.start, len(live), n_rules)) if values is None else values
        self._where: dict[tuple[int, int], tuple[int, int, np.ndarray | None, np.ndarray | None]] = {}

    def parts(self, n_days: int) -> list[DayBlock]:
        """This block as blocks of ``n_days`` days each, views of its values (freed with the last)."""
        return [DayBlock(slice(self.days.start + days.start, self.days.start + days.stop), self.live,
                         self.n_instruments, self.values.shape[2], self.values[days])
                for days in _blocks(len(self), n_days)]

    def __len__(self) -> int:
        return len(self.values)

    @property
    def shape(self) -> tuple[int, int, int]:
        """The whole table's."""
        return len(self.values), self.n_instruments, self.values.shape[2]

    def write(self, columns: slice, r: int, forecast: np.ndarray) -> None:
        """Rule ``r``'s forecasts, (all days, instruments ``columns``), for this block's days."""
        lo, hi, taken, left_out = self._columns(columns.start, columns.stop)
        rows = forecast[self.days]
        if left_out is not None and not np.isnan(rows[:, left_out]).all():
            raise RuntimeError(f"a forecast before instrument {columns.start + left_out[0]}'s first possible day")
        self.values[:, lo:hi, r] = rows if taken is None else rows[:, taken]

    def _columns(self, start: int, stop: int) -> tuple[int, int, np.ndarray | None, np.ndarray | None]:
        """Where instruments start..stop-1 are stored (lo:hi), which of them (None: all) and which not."""
        if (start, stop) not in self._where:
            lo, hi = (int(i) for i in np.searchsorted(self.live, [start, stop]))
            if hi - lo == stop - start:
                self._where[start, stop] = (lo, hi, None, None)
            else:
                kept = self.live[lo:hi] - start
                self._where[start, stop] = (lo, hi, kept, np.setdiff1d(np.arange(stop - start), kept))
        return self._where[start, stop]

    def forecasts(self) -> np.ndarray:
        if len(self.live) == self.n_instruments:
            return self.values
        whole = np.full(self.shape, np.nan)
        whole[:, self.live] = self.values
        return whole


def day_blocks(n_days: int, n_instruments: int, n_rules: int, first_day: np.ndarray | None = None) -> list[DayBlock]:
    """Empty blocks of ``DAYS_KEPT`` days each, in order, for rules' forecasts to be written into:
    ``combine_forecast_blocks`` drops each once it is combined. ``first_day[i]``: the first day on
    which instrument i can have a forecast (None: any day); before it every rule's must be NaN
    (``DayBlock.write`` checks)."""
    first_day = np.zeros(n_instruments, dtype=np.int64) if first_day is None else np.asarray(first_day)
    return [DayBlock(days, np.flatnonzero(first_day < days.stop), n_instruments, n_rules)
            for days in _blocks(n_days, DAYS_KEPT)]


def _whole(block: np.ndarray | DayBlock) -> np.ndarray:
    return block if isinstance(block, np.ndarray) else block.forecasts()


def pooled_correlations(forecasts: np.ndarray, min_observations: int = 256) -> np.ndarray:
    """(T, R, R) correlation of rules' forecasts, pooled over instruments, days 0..t.

    ``forecasts`` is (T, N, R) with NaN where a rule has no forecast. Each pair uses the
    instrument-days where both rules have one.
    """
    T, _, R = forecasts.shape
    corr = np.empty((T, R, R))
    blocks = [forecasts[days] for days in _blocks(T)]
    for days, (_, block) in zip(_blocks(T), _correlation_blocks(blocks, min_observations)):
        corr[days] = block
    return corr


def _correlation_blocks(blocks: list[np.ndarray | DayBlock],
                        min_observations: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Each block of days' forecasts, whole, and their pooled correlations (see
    ``pooled_correlations``), in turn, reading ``blocks[k]`` only shortly before block k's are asked
    for (``SUMS_AHEAD`` blocks ahead) and dropping it from the list: the four running totals (pair
    counts, sums of xy, x and xx) are carried from block to block, never held for every day."""
    before: np.ndarray | None = None
    # Each block's own sums (most of the preparation's work on Jumbo) are worked out ahead on
    # other threads, SUMS_AHEAD blocks at once (einsum releases the GIL), while this one totals
    # the block before and the caller combines it: the same operations on the same arrays, so
    # the same bits, in less wall time with a core to spare (each block in flight holds about
    # 4 MB of temporaries on Jumbo).
    with ThreadPoolExecutor(SUMS_AHEAD, thread_name_prefix="forecast-sums") as ahead:
        def submit(j: int) -> Future:
            block, blocks[j] = blocks[j], None
            return ahead.submit(_whole_and_sums, block)

        coming = deque(submit(j) for j in range(min(SUMS_AHEAD, len(blocks))))
        for k in range(len(blocks)):
            whole, sums = coming.popleft().result()
            if k + SUMS_AHEAD < len(blocks):
                coming.append(submit(k + SUMS_AHEAD))
            if before is not None:
                sums[:, 0] += before  # then the same additions, in the same order, as one running sum
            np.cumsum(sums, axis=1, out=sums)
            before = sums[:, -1].copy()
            yield whole, _pooled(*sums, min_observations)


def _whole_and_sums(block: np.ndarray | DayBlock) -> tuple[np.ndarray, np.ndarray]:
    whole = _whole(block)
    return whole, _day_sums(whole)


def _day_sums(block: np.ndarray) -> np.ndarray:
    """(4, days, R, R): each day's pair counts and sums of xy, x and xx over the instruments."""
    present = (~np.isnan(block)).astype(float)
    x = np.nan_to_num(block, nan=0.0)
    sums = np.empty((4, *present.shape[:1], present.shape[2], present.shape[2]))
    # Counts are whole numbers, exact in any order of summation: a matrix product gives them
    # five times faster. The sums of forecasts keep einsum's order (another order changes bits).
    sums[0] = np.matmul(present.transpose(0, 2, 1), present)
    sums[1] = np.einsum("tir,tis->trs", x, x)
    sums[2] = np.einsum("tir,tis->trs", x, present)
    # x x x squared where x was (the same products): one table fewer per block in flight, on
    # Jumbo at the preparation's peak.
    sums[3] = np.einsum("tir,tis->trs", np.multiply(x, x, out=x), present)
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
    return _combine(blocks, rule_weights, fdm, cap, fdm_cap, min_observations, owned=False)


def combine_forecast_blocks(blocks: list[DayBlock], rule_weights: np.ndarray, fdm: float | None = None,
                            cap: float = 20.0, fdm_cap: float = 2.5, min_observations: int = 256,
                            keep_fdm: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """``combine_forecasts`` of the forecasts in ``day_blocks``, each block dropped from the list
    once combined: the forecasts of every rule, day and instrument (on Jumbo 44 MB as DayBlocks
    keep them) shrink as the combined forecast grows, instead of both being held at the end. The
    blocks are the caller's to give up: each is overwritten as it is combined. ``keep_fdm`` False:
    no (T, N) table of the FDM (None), only the combined forecast."""
    parts = [part for block in blocks for part in block.parts(BLOCK_DAYS)]
    blocks.clear()
    return _combine(parts, rule_weights, fdm, cap, fdm_cap, min_observations, owned=True, keep_fdm=keep_fdm)


def _combine(blocks: list[np.ndarray | DayBlock], rule_weights: np.ndarray, fdm: float | None, cap: float,
             fdm_cap: float, min_observations: int, owned: bool,
             keep_fdm: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """``combine_forecast_blocks``; ``owned`` blocks have their NaNs zeroed in place once their
    weights are known, not in a copy (views of a caller's table are left as they are)."""
    rule_weights = np.asarray(rule_weights, dtype=float)
    n_days, n_instruments = sum(len(block) for block in blocks), blocks[0].shape[1]
    correlations = _correlation_blocks(blocks, min_observations) if fdm is None else None
    combined = np.empty((n_days, n_instruments))
    multiplier = np.empty((n_days, n_instruments)) if keep_fdm else None
    lengths = [len(block) for block in blocks]
    for k, days in enumerate(slice(end - n, end) for n, end in zip(lengths, np.cumsum(lengths).tolist())):
        if correlations is None:
            forecasts, blocks[k], corr = _whole(blocks[k]), None, None
        else:
            forecasts, corr = next(correlations)
        w = available_weights(forecasts, rule_weights)
        raw = np.einsum("tir,tir->ti", w, np.nan_to_num(forecasts, copy=not owned, nan=0.0))
        del forecasts
        block_fdm = np.full(raw.shape, float(fdm)) if corr is None else diversification_multipliers(w, corr, fdm_cap)
        if multiplier is not None:
            multiplier[days] = block_fdm
        has_rule = w.sum(axis=2) > 0
        combined[days] = np.where(has_rule, np.clip(raw * block_fdm, -cap, cap), np.nan)
        if k % TRIM_EVERY == TRIM_EVERY - 1:
            # The blocks of the early years, with few instruments, are too small for mappings of
            # their own: their memory goes back to the system as they are dropped, not at the end
            # (on Jumbo the combined forecast's table would otherwise grow on top of them).
            release_free_memory()
    return combined, multiplier
