"""Brinson attribution against hand-worked numbers, and its identities."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tradesim.attribution import brinson

SEGMENTS = ["equity", "bonds"]
# Period 1: overweight equity (60/40 against 50/50), and picked better within it.
P1 = dict(wp=[0.6, 0.4], rp=[0.10, 0.02], wb=[0.5, 0.5], rb=[0.08, 0.03])
# Period 2: on the benchmark's weights, equity picks lag by 1%.
P2 = dict(wp=[0.5, 0.5], rp=[-0.05, 0.01], wb=[0.5, 0.5], rb=[-0.04, 0.01])


def frames(*periods: dict) -> list[pd.DataFrame]:
    idx = pd.Index([f"p{k + 1}" for k in range(len(periods))], name="period")
    return [pd.DataFrame([p[key] for p in periods], index=idx, columns=SEGMENTS) for key in ("wp", "rp", "wb", "rb")]


def test_one_period_by_hand_brinson_fachler() -> None:
    a = brinson(*frames(P1))
    # Rp = 0.6x0.10 + 0.4x0.02 = 0.068; Rb = 0.5x0.08 + 0.5x0.03 = 0.055
    assert a.portfolio_return.iloc[0] == pytest.approx(0.068)
    assert a.benchmark_return.iloc[0] == pytest.approx(0.055)
    # allocation (wp - wb)(rb - Rb): +0.1 x 0.025, -0.1 x -0.025
    assert a.allocation.iloc[0].tolist() == pytest.approx([0.0025, 0.0025])
    # selection wb (rp - rb): 0.5 x 0.02, 0.5 x -0.01
    assert a.selection.iloc[0].tolist() == pytest.approx([0.010, -0.005])
    # interaction (wp - wb)(rp - rb): 0.1 x 0.02, -0.1 x -0.01
    assert a.interaction.iloc[0].tolist() == pytest.approx([0.002, 0.001])
    row = a.by_period().iloc[0]
    assert row["total"] == pytest.approx(0.013) and row["active_return"] == pytest.approx(0.013)


def test_one_period_by_hand_brinson_hood_beebower() -> None:
    a = brinson(*frames(P1), method="bhb")
    # allocation (wp - wb) rb: +0.1 x 0.08, -0.1 x 0.03; same total as BF, split differently
    assert a.allocation.iloc[0].tolist() == pytest.approx([0.008, -0.003])
    assert a.selection.iloc[0].tolist() == pytest.approx([0.010, -0.005])
    assert a.by_period()["total"].iloc[0] == pytest.approx(0.013)


def test_two_periods_link_to_the_compounded_active_return() -> None:
    a = brinson(*frames(P1, P2))
    # period 2: Rp = -0.02, Rb = -0.015; selection 0.5 x -0.01 on equity, nothing else
    assert a.selection.loc["p2"].tolist() == pytest.approx([-0.005, 0.0])
    assert a.allocation.loc["p2"].tolist() == pytest.approx([0.0, 0.0])
    compounded = 1.068 * 0.98 - 1.055 * 0.985  # 0.007465
    assert a.compounded_active_return == pytest.approx(compounded)
    total = a.total()
    assert total["total"] == pytest.approx(compounded, abs=1e-12)
    # The plain sums miss the compounding: 0.013 - 0.005 = 0.008.
    assert a.summed.to_numpy().sum() == pytest.approx(0.008)
    # Carino, by hand: each period scaled by k_t / K.
    k1 = (math.log(1.068) - math.log(1.055)) / 0.013
    k2 = (math.log(0.98) - math.log(0.985)) / -0.005
    K = (math.log(1.068 * 0.98) - math.log(1.055 * 0.985)) / compounded
    assert a.linked.loc["equity", "selection"] == pytest.approx((0.010 * k1 - 0.005 * k2) / K)
    assert a.linked.loc["bonds", "allocation"] == pytest.approx(0.0025 * k1 / K)


def test_arrays_and_an_unheld_segment() -> None:
    # The portfolio holds no bonds: its bond return is unknown and does not matter.
    a = brinson([1.0, 0.0], [0.05, np.nan], [0.5, 0.5], [0.04, 0.02])
    assert a.selection.iloc[0].tolist() == pytest.approx([0.005, 0.0])
    assert a.interaction.iloc[0].tolist() == pytest.approx([0.005, 0.0])
    # Rb = 0.03: allocation +0.5 x 0.01 and -0.5 x -0.01
    assert a.allocation.iloc[0].tolist() == pytest.approx([0.005, 0.005])
    assert a.by_period()["total"].iloc[0] == pytest.approx(0.05 - 0.03)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0.6, 0.3], [0.1, 0.0], [0.5, 0.5], [0.1, 0.0]), "portfolio weights in period 0 sum to 0.9"),
        (([0.5, 0.5], [0.1, np.nan], [0.5, 0.5], [0.1, 0.0]), "NaN or infinity in a segment the portfolio holds"),
        (([0.5, 0.5], [0.1, 0.0], [0.5, 0.5], [0.1]), "benchmark returns has shape"),
        (([0.5, 0.5], [0.1, 0.0], [0.5, 0.5], [np.nan, 0.0]), "benchmark returns contain a NaN"),
        (([1.0], [-1.0], [1.0], [0.0]), "-100%"),
    ],
)
def test_bad_input(args, message) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match=message):
        brinson(*args)


def test_unknown_method_and_mislabelled_frames() -> None:
    wp, rp, wb, rb = frames(P1)
    with pytest.raises(ValueError, match="method must be"):
        brinson(wp, rp, wb, rb, method="geometric")
    with pytest.raises(ValueError, match="not labelled like"):
        brinson(wp, rp, wb.rename(columns={"bonds": "credit"}), rb)


def _weights(raw: np.ndarray) -> np.ndarray:
    return raw / raw.sum(axis=1, keepdims=True)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 6).flatmap(lambda t: st.tuples(
        arrays(float, (t, 4), elements=st.floats(0.01, 1)), arrays(float, (t, 4), elements=st.floats(-0.3, 0.3)),
        arrays(float, (t, 4), elements=st.floats(0.01, 1)), arrays(float, (t, 4), elements=st.floats(-0.3, 0.3)))),
    st.sampled_from(["bf", "bhb"]),
)
def test_effects_add_up_per_period_and_linked(data, method) -> None:  # noqa: ANN001
    wp, rp, wb, rb = data
    a = brinson(_weights(wp), rp, _weights(wb), rb, method=method)
    by = a.by_period()
    np.testing.assert_allclose(by["total"], by["active_return"], atol=1e-12)
    assert a.total()["total"] == pytest.approx(a.compounded_active_return, abs=1e-10)
