"""Carver's static position buffer (optimiser method "buffered"), by hand."""

import numpy as np
import pytest

from tradesim.config import OptimiserConfig
from tradesim.sizing import AVERAGE_POSITION_SPAN, Sizer


def _size(sizer, x_star, previous, first_day=False):
    n = len(x_star)
    return sizer.size(np.array(x_star, dtype=float), np.array(previous, dtype=float), np.ones(n, dtype=bool),
                      np.full(n, 0.1), 0.04 * np.eye(n), np.zeros(n), first_day).positions


def test_holds_inside_the_buffer_and_trades_to_its_edge():
    sizer = Sizer(OptimiserConfig(method="buffered"), 0.2)
    # Day 1 sets the average absolute position to |x*| = (20, 40, 10) and takes rint(x*).
    assert _size(sizer, [20.0, -40.0, 10.0], [0, 0, 0], first_day=True).tolist() == [20, -40, 10]
    # Day 2, x* unchanged: the average stays, widths 2, 4, 1. 21 is inside 18..22: held;
    # -45 is below -44 (-40 - 4): trades to -44; 12 is above 11 (10 + 1): trades to 11.
    assert _size(sizer, [20.0, -40.0, 10.0], [21, -45, 12]).tolist() == [21, -44, 11]


def test_the_average_position_is_an_ewma_of_abs_x_star():
    sizer = Sizer(OptimiserConfig(method="buffered", position_buffer=0.5), 0.2)
    _size(sizer, [10.0], [0], first_day=True)
    _size(sizer, [-30.0], [0])
    k = 2.0 / (AVERAGE_POSITION_SPAN + 1)
    assert sizer.average_position[0] == pytest.approx(10 + (30 - 10) * k)
    # width 0.5 * that, about 5.16: the edge of -30 - 5.16 and -30 + 5.16 rounded is -35 and -25.
    assert _size(sizer, [-30.0], [0]).tolist() == [-25]
    assert _size(sizer, [-30.0], [-40]).tolist() == [-35]
