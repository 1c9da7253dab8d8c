"""A small portfolio on seeded random-walk prices, for the kill and signal tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tradesim.calendar import sessions

INSTRUMENTS = ("AAA", "BBB", "CCC", "DDD")
START, AS_OF = "2022-01-03", "2023-06-30"
CONFIG = f"""name = "kill"
capital = 100000
start = "{START}"
[data]
source = "csv"
path = "closes.csv"
[strategy]
name = "fixed_weights"
params = {{ weights = {{ AAA = 0.3, BBB = 0.3, CCC = 0.2, DDD = 0.1 }} }}
""" + "".join(f'[[instruments]]\nsymbol = "{s}"\n' for s in INSTRUMENTS)


def write_portfolio(path: Path) -> Path:
    """A config and 2021-2023 random-walk prices on every XNYS session (seeded), in ``path``."""
    days = sessions("XNYS", "2021-01-04", AS_OF)
    rng = np.random.default_rng(11)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.015, (len(days), len(INSTRUMENTS))), axis=0))
    rows = [",".join([d.date().isoformat(), *(f"{p:.4f}" for p in row)]) for d, row in zip(days, prices)]
    (path / "closes.csv").write_text("\n".join(["Date," + ",".join(INSTRUMENTS), *rows]) + "\n")
    (path / "kill.toml").write_text(CONFIG)
    return path


@pytest.fixture(scope="session")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_portfolio(tmp_path_factory.mktemp("kill"))
