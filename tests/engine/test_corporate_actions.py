"""Splits and dividends on arrays: the rules that must always hold, and the actions file's checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tradesim.corporate_actions import apply_splits, dividends
from tradesim.data.actions import read_actions_csv
from tradesim.errors import DataError

RATIOS = st.sampled_from([2.0, 3.0, 4.0, 1.5, 5 / 3, 1.25, 20.0, 0.5, 0.1, 1 / 3])


@given(held=st.integers(-10_000, 10_000), order=st.integers(-10_000, 10_000), ratio=RATIOS,
       close=st.floats(0.01, 10_000), fx=st.floats(0.1, 10))
def test_a_split_keeps_whole_shares_pays_the_fraction_and_never_moves_value(held: int, order: int, ratio: float,
                                                                           close: float, fx: float) -> None:
    one = lambda v: np.array([float(v)])  # noqa: E731
    out = apply_splits(one(held), one(order), one(ratio), one(close), one(1.0), one(fx), whole=True)
    kept, pending = out.positions[0], out.pending[0]
    assert kept == np.trunc(kept) and pending == np.trunc(pending)
    assert abs(kept) <= abs(held * ratio) + 1e-9 and abs(held * ratio - kept) < 1
    assert abs(order * ratio - pending) < 1 and abs(pending) <= abs(order * ratio) + 1e-9
    cash = sum(f.amount_base for f in out.flows)
    assert kept * close * fx + cash == pytest.approx(held * ratio * close * fx, rel=1e-12, abs=1e-9)
    assert all(f.kind == "split_cash" for f in out.flows) and len(out.flows) == (abs(held * ratio - kept) > 1e-9)


def test_fractional_accounts_keep_the_exact_product_and_no_split_leaves_arrays_alone() -> None:
    out = apply_splits(np.array([7.25]), np.array([0.5]), np.array([1.5]), np.array([10.0]), np.ones(1), np.ones(1),
                       whole=False)
    assert out.positions.tolist() == [10.875] and out.pending.tolist() == [0.75] and out.flows == ()
    positions = np.array([3.0])
    assert apply_splits(positions, positions, np.ones(1), np.ones(1), np.ones(1), np.ones(1), True).positions is positions


def test_a_short_pays_the_dividend_and_has_nothing_withheld() -> None:
    flows = dividends(np.array([-10.0, 20.0, 0.0]), np.array([0.5, 0.5, 0.5]), np.ones(3), np.array([1.0, 0.8, 1.0]),
                      0.3)
    assert [(f.instrument, f.kind, f.amount, f.amount_base) for f in flows] == [
        (0, "dividend", -5.0, -5.0), (1, "dividend", 10.0, 8.0), (1, "withholding", -3.0, pytest.approx(-2.4))]


@pytest.mark.parametrize("line, error", [
    ("X,2024-13-01,split,2,", "line 2: field 'ex_date': '2024-13-01' is not a date (YYYY-MM-DD)"),
    ("X,2024-03-01,dividend,-1,", "line 2: field 'value': dividend value must be positive, got '-1'"),
    ("X,2024-03-01,dividend,abc,", "line 2: field 'value': 'abc' is not a number"),
    ("X,2024-03-01,split,1,", "line 2: a split has no pay_date and a ratio other than 1"),
    ("X,2024-03-05,dividend,0.5,2024-03-01", "line 2: field 'pay_date': 2024-03-01 is before the ex-date 2024-03-05"),
    ("X,2024-03-01,split,2,\nX,2024-03-01,split,3,", "line 3: a second split of 'X' on 2024-03-01"),
])
def test_a_bad_actions_line_is_one_error_naming_file_line_and_field(tmp_path: Path, line: str, error: str) -> None:
    path = tmp_path / "actions.csv"
    path.write_text(f"symbol,ex_date,kind,value,pay_date\n{line}\n")
    with pytest.raises(DataError) as info:
        read_actions_csv(path, ["X"])
    assert str(info.value) == f"{path}: {error}"


def test_an_actions_file_without_its_columns_or_at_all_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "actions.csv"
    path.write_text("symbol,date,kind,value\n")
    with pytest.raises(DataError, match=r"no 'ex_date' column \(columns: symbol, ex_date, kind, value\[, pay_date\]\)$"):
        read_actions_csv(path, ["X"])
    with pytest.raises(DataError, match=r"missing.csv: actions file not found$"):
        read_actions_csv(tmp_path / "missing.csv", ["X"])
