"""Prices from the user's own wide CSV files (Date + one column per symbol).

By default the closes are taken to be total-return adjusted (dividends and splits
folded into past prices), and no corporate actions apply. With an actions file
(``[data] actions``, format in ``tradesim.data.actions``) they are as traded, and
the engine applies the file's splits and dividends to the account.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from tradesim.data.actions import read_actions_csv, select_actions
from tradesim.data.frames import read_wide_csv, select
from tradesim.data.source import PriceBars
from tradesim.errors import ConfigError

if TYPE_CHECKING:
    from tradesim.schema import PortfolioConfig


class CsvSource:
    """Closes from ``path``; optional opens, FX (columns like 'EURUSD') and corporate-actions files."""

    name = "csv"

    def __init__(self, path: Path, opens: Path | None = None, fx: Path | None = None,
                 actions: Path | None = None) -> None:
        self.path, self.opens, self.fx, self.actions = path, opens, fx, actions

    @classmethod
    def from_config(cls, config: "PortfolioConfig", base: Path | None = None) -> "CsvSource":
        if not config.data.path:
            raise ConfigError("field 'data.path': a csv source needs the path of its price file")
        here = base or Path.cwd()  # load_config has already made config paths absolute
        resolve = lambda p: None if p is None else (here / p).expanduser()  # noqa: E731
        return cls(resolve(config.data.path), resolve(config.data.opens), resolve(config.data.fx),
                   resolve(config.data.actions))

    def load(self, symbols: Sequence[str], start: date | None = None, end: date | None = None) -> PriceBars:
        for p in (self.path, self.opens, self.fx):
            if p is not None and not p.is_file():
                raise ConfigError(f"{p}: price file not found")
        close = select(read_wide_csv(self.path, str(self.path)), symbols, start, end, str(self.path))
        opens = None
        if self.opens is not None:
            opens = select(read_wide_csv(self.opens, str(self.opens)), symbols, start, end, str(self.opens))
        fx = read_wide_csv(self.fx, str(self.fx)) if self.fx is not None else None
        actions = None
        if self.actions is not None:
            actions = select_actions(read_actions_csv(self.actions, symbols), symbols, start, end)
        return PriceBars(close=close, open=opens, actions=actions, **({"fx": fx} if fx is not None else {}))
