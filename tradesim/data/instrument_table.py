"""Instrument metadata from the user's own data: point value, currency, asset class, costs.

A config names futures by symbol only. What a contract *is* (currency per price point,
currency, asset class, what a trade costs) belongs to the data the user brings, so it
is read from their instrument table and merged into the config when it is loaded;
a field the config gives explicitly wins.

Tables understood (``read_instrument_table``):
- pysystemtrade's ``csvconfig/instrumentconfig.csv`` (Instrument, Description, Pointsize,
  Currency, AssetClass, PerBlock, Percentage, PerTrade, Region) with
  ``csvconfig/spreadcosts.csv`` (Instrument, SpreadCost);
- the daily layout's ``instruments.csv``: the same columns plus SpreadCost.
- the price cache's ``instruments`` table (``DatabaseInstruments``): multiplier, currency,
  asset class and kind, but no costs.

Costs follow the README's rule, which ``tradesim.costs`` implements:
n x SpreadCost x Pointsize + max(n x PerBlock, Percentage x notional, PerTrade), i.e.
CostModel(commission_per_unit=PerBlock, commission_pct=Percentage,
commission_min=PerTrade, half_spread=SpreadCost). A blank PerBlock, Percentage or
PerTrade means zero (pysystemtrade fills in only the fee that applies); a blank
SpreadCost or Pointsize is a hole in the data and an error for any instrument that
needs it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

import pandas as pd
from pydantic import ValidationError

from tradesim.errors import ConfigError, DataError
from tradesim.schema import PortfolioConfig, describe

# Fields of a config's [[instruments]] entry that an instrument table can supply.
METADATA_FIELDS = ("multiplier", "currency", "asset_class", "kind", "costs")

_REQUIRED_COLUMNS = ("Instrument", "Pointsize", "Currency", "AssetClass")
_FEE_COLUMNS = ("PerBlock", "Percentage", "PerTrade")


class MetadataSource(Protocol):
    label: str
    provides: frozenset[str]  # which of METADATA_FIELDS this table can fill
    strict: bool  # an instrument missing from the table is an error (else it keeps the config's values)

    def metadata(self, symbols: Sequence[str]) -> dict[str, dict]:
        """Fields by symbol for the symbols the table knows (a field left out: blank in the data)."""
        ...


@dataclass(frozen=True)
class InstrumentRow:
    symbol: str
    description: str
    pointsize: float  # NaN where blank
    currency: str
    asset_class: str
    per_block: float
    percentage: float
    per_trade: float
    spread_cost: float  # NaN where the data has none

    def fields(self) -> dict:
        out: dict = {"kind": "future"}
        if not math.isnan(self.pointsize):
            out["multiplier"] = self.pointsize
        if self.currency:
            out["currency"] = self.currency
        if self.asset_class:
            out["asset_class"] = self.asset_class
        if not math.isnan(self.spread_cost):
            out["costs"] = {"commission_per_unit": self.per_block, "commission_pct": self.percentage,
                            "commission_min": self.per_trade, "half_spread": self.spread_cost}
        return out

    def ledger_attributes(self, label: str) -> dict:
        """What the price cache's instruments table stores (the import writes it)."""
        if math.isnan(self.pointsize) or not self.currency:
            raise DataError(f"{label}: instrument {self.symbol!r}: blank Pointsize or Currency")
        return {"multiplier": self.pointsize, "currency": self.currency, "asset_class": self.asset_class or None,
                "description": self.description or None, "kind": "future"}


@dataclass(frozen=True)
class InstrumentTable:
    label: str  # the file(s) it was read from, for messages
    rows: dict[str, InstrumentRow]
    provides: frozenset[str] = frozenset(METADATA_FIELDS)
    strict: bool = True

    def metadata(self, symbols: Sequence[str]) -> dict[str, dict]:
        return {s: self.rows[s].fields() for s in symbols if s in self.rows}


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read instrument table: {exc}") from None


def _number(frame: pd.DataFrame, column: str, label: str, blank: float) -> list[float]:
    if column not in frame.columns:
        return [blank] * len(frame)
    out = []
    for k, (symbol, text) in enumerate(zip(frame["Instrument"], frame[column])):
        text = text.strip()
        if not text:
            out.append(blank)
            continue
        try:
            out.append(float(text))
        except ValueError:
            raise DataError(f"{label}: line {k + 2}: instrument {symbol!r}: field {column!r}: "
                            f"{text!r} is not a number") from None
    return out


def _spread_costs(path: Path) -> dict[str, float]:
    frame = _read_csv(path)
    for col in ("Instrument", "SpreadCost"):
        if col not in frame.columns:
            raise DataError(f"{path}: no {col!r} column")
    return dict(zip(frame["Instrument"].str.strip(), _number(frame, "SpreadCost", str(path), math.nan)))


def parse_instrument_table(config_csv: Path, spreads_csv: Path | None = None) -> InstrumentTable:
    """Rows of ``config_csv``; SpreadCost from its own column or from ``spreads_csv``."""
    frame = _read_csv(config_csv)
    label = str(config_csv)
    missing = [c for c in _REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{label}: no {missing[0]!r} column")
    frame["Instrument"] = frame["Instrument"].str.strip()
    dupes = frame["Instrument"][frame["Instrument"].duplicated()]
    if len(dupes):
        raise DataError(f"{label}: instrument {dupes.iloc[0]!r} is listed twice")
    if spreads_csv is not None:
        spreads = _spread_costs(spreads_csv)
        spread = [spreads.get(s, math.nan) for s in frame["Instrument"]]
        label = f"{config_csv} + {spreads_csv.name}"
    else:
        spread = _number(frame, "SpreadCost", label, math.nan)
    pointsize = _number(frame, "Pointsize", label, math.nan)
    fees = {c: _number(frame, c, label, 0.0) for c in _FEE_COLUMNS}
    # Each text column stripped once (not once a row: 233 rows x 3 columns was 0.1-0.3 s of every load).
    description, currency, asset_class = (frame[c].str.strip().tolist() if c in frame.columns else [""] * len(frame)
                                          for c in ("Description", "Currency", "AssetClass"))
    rows = {}
    for k, symbol in enumerate(frame["Instrument"]):
        rows[symbol] = InstrumentRow(symbol, description[k], pointsize[k], currency[k], asset_class[k],
                                     fees["PerBlock"][k], fees["Percentage"][k], fees["PerTrade"][k], spread[k])
    return InstrumentTable(label, rows)


def read_instrument_table(path: Path) -> InstrumentTable:
    """A table from a file, or from a folder in either of the two pysystemtrade layouts."""
    if path.is_dir():
        if (path / "instruments.csv").is_file():
            return parse_instrument_table(path / "instruments.csv")
        config_csv = path / "csvconfig" / "instrumentconfig.csv"
        if config_csv.is_file():
            spreads = path / "csvconfig" / "spreadcosts.csv"
            return parse_instrument_table(config_csv, spreads if spreads.is_file() else None)
        raise DataError(f"{path}: no instruments.csv or csvconfig/instrumentconfig.csv")
    if not path.is_file():
        raise DataError(f"{path}: instrument table not found")
    spreads = path.parent / "spreadcosts.csv"
    if path.name == "instrumentconfig.csv" and spreads.is_file():
        return parse_instrument_table(path, spreads)
    return parse_instrument_table(path)


class DatabaseInstruments:
    """The price cache's instruments table: what an import or a fetch recorded (no costs).

    Not strict: a paper portfolio's stocks reach the table only on their first fetch, so
    an instrument (or a database) not there yet keeps the values its config gives.
    """

    provides = frozenset({"multiplier", "currency", "asset_class", "kind"})
    strict = False

    def __init__(self, url: str) -> None:
        self.url = url
        self.label = f"instruments table of {url}"

    def metadata(self, symbols: Sequence[str]) -> dict[str, dict]:
        from sqlalchemy import inspect, select

        from db.models import Instrument
        from db.session import open_engine

        if self.url.startswith("sqlite:///") and not Path(self.url.removeprefix("sqlite:///")).exists():
            return {}
        engine = open_engine(self.url, create=False)  # reading metadata must not create or migrate a ledger
        try:
            with engine.connect() as conn:
                if not inspect(conn).has_table(Instrument.__tablename__):
                    return {}
                rows = conn.execute(select(Instrument.symbol, Instrument.multiplier, Instrument.currency,
                                           Instrument.asset_class, Instrument.kind)
                                    .where(Instrument.symbol.in_(list(symbols)))).all()
        finally:
            engine.dispose()
        out = {}
        for r in rows:
            fields = {"multiplier": r.multiplier, "currency": r.currency, "kind": r.kind}
            if r.asset_class:
                fields["asset_class"] = r.asset_class
            out[r.symbol] = fields
        return out


def _needs(inst) -> set[str]:  # noqa: ANN001
    return set(METADATA_FIELDS) - inst.model_fields_set


def wants_metadata(config: PortfolioConfig) -> bool:
    """Whether any instrument leaves a field for the instrument table to fill."""
    return any(_needs(i) for i in config.instruments)


def complete_instruments(config: PortfolioConfig, source: str, table: MetadataSource | None) -> PortfolioConfig:
    """The config with each instrument's unstated fields taken from the instrument table.

    Only fields the table provides are filled; a field the table should have but is
    blank for that instrument is a ConfigError naming the instrument and the table.
    """
    wanting = [i for i in config.instruments if _needs(i)]
    if not wanting or table is None:
        return config
    try:
        found = table.metadata([i.symbol for i in wanting])
    except DataError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    entries = []
    for k, inst in enumerate(config.instruments):
        given = inst.model_dump(include=inst.model_fields_set)
        fill = _needs(inst) & table.provides
        if not fill:
            entries.append(given)
            continue
        if inst.symbol not in found and not table.strict:
            entries.append(given)
            continue
        if inst.symbol not in found:
            raise ConfigError(f"{source}: field 'instruments.{k}.symbol': instrument {inst.symbol!r} "
                              f"is not in {table.label}")
        blank = sorted(fill - set(found[inst.symbol]))
        if blank:
            raise ConfigError(f"{source}: field 'instruments.{k}': {table.label} has no {blank[0]} for "
                              f"instrument {inst.symbol!r}; give it in the config")
        entries.append({**{f: found[inst.symbol][f] for f in fill}, **given})
    raw = config.model_dump()
    raw["instruments"] = entries
    try:
        return PortfolioConfig.model_validate(raw)
    except ValidationError as exc:  # a value from the table that the config's rules reject
        raise ConfigError(describe(exc, f"{source} (with {table.label})")) from None
