"""The dataset shipped inside the package: skfolio's daily adjusted closes (BSD-3).

Prices are split- and dividend-adjusted, so early prices are far below what was
actually traded (AAPL 0.26 in 1990): right for returns, optimistic for
whole-share sizing in the early years.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Sequence

import pandas as pd

from tradesim.data.frames import read_wide_csv, select
from tradesim.data.source import PriceBars
from tradesim.errors import DataError

DATASETS = {
    "sp500": "sp500_dataset.csv.gz",  # 20 US stocks, 1990-01-02 .. 2022-12-28
    "sp500_index": "sp500_index.csv.gz",  # the S&P 500 level, same dates
    "factors": "factors_dataset.csv.gz",  # 5 iShares factor ETFs, 2014 .. 2022
}


@lru_cache(maxsize=None)
def _read(dataset: str) -> pd.DataFrame:
    with resources.files("tradesim.data.datasets").joinpath(DATASETS[dataset]).open("rb") as fh:
        return read_wide_csv(fh, f"bundled dataset {dataset!r}", date_column="Date", compression="gzip")


def bundled_prices(dataset: str) -> pd.DataFrame:
    if dataset not in DATASETS:
        raise DataError(f"unknown bundled dataset {dataset!r} (known: {', '.join(DATASETS)})")
    return _read(dataset)


class BundledSource:
    name = "bundled"

    def __init__(self, dataset: str = "sp500") -> None:
        self.dataset = dataset

    def load(self, symbols: Sequence[str], start: date | None = None, end: date | None = None) -> PriceBars:
        if self.dataset == "all":
            frame = pd.concat([bundled_prices(d) for d in DATASETS], axis=1)
        else:
            frame = bundled_prices(self.dataset)
        return PriceBars(close=select(frame, symbols, start, end, f"bundled dataset {self.dataset!r}"))
