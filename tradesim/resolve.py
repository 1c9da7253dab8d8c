"""Names in a config turned into things: price sources and instrument tables.

One floor above the schema (``tradesim.schema``) and the data sources: the schema
holds names such as ``source = "pysystemtrade"``, the sources know nothing of
configs' names, and this module is the one place that joins them. Strategy names
are resolved the same way by the ``strategies`` registry.
"""

from __future__ import annotations

from pathlib import Path

from tradesim.data.instrument_table import (DatabaseInstruments, MetadataSource, complete_instruments,
                                            read_instrument_table, wants_metadata)
from tradesim.data.source import PriceSource
from tradesim.errors import ConfigError, DataError
from tradesim.schema import PortfolioConfig


def source_for(config: PortfolioConfig, database_url: str | None = None) -> PriceSource:
    """The price source a config asks for."""
    kind = config.data.source
    if kind == "bundled":
        from tradesim.data.bundled import BundledSource

        return BundledSource(config.data.dataset)
    if kind == "csv":
        from tradesim.data.csv_source import CsvSource

        return CsvSource.from_config(config)
    if kind == "pysystemtrade":
        from tradesim.data.pysystemtrade import PysystemtradeSource

        return PysystemtradeSource(config.data.path)
    if kind == "database":
        from tradesim.data.cached import CachedSource

        return CachedSource(database_url)
    if kind == "yfinance":
        from db.session import database_url as resolve_url
        from tradesim.data.yahoo import YahooSource

        # Every fetched price is cached in the ledger database, so a replay from
        # [data] source = "database" needs no network.
        return YahooSource(cache_url=resolve_url(database_url, config.database))
    if kind == "bundled_with_safe":  # bundled prices plus synthetic SAFE@r% instruments
        from tradesim.data.bundled import BundledSource
        from tradesim.data.synthetic import SafeAssetSource

        return SafeAssetSource(BundledSource(config.data.dataset))
    if kind == "dataframe":
        raise ConfigError('[data] source = "dataframe" is for tradesim.backtest(prices=...), which passes the prices '
                          "itself; a config file names a source that loads them")
    raise AssertionError(f"unhandled data source {kind!r}")  # pydantic's Literal rules this out


def metadata_source_for(config: PortfolioConfig) -> MetadataSource | None:
    """``[data] instrument_table`` if given, else the data source's own table, if it has one."""
    data = config.data
    if data.instrument_table:
        return read_instrument_table(Path(data.instrument_table).expanduser())
    if data.source == "pysystemtrade":
        from tradesim.data.pysystemtrade import PysystemtradeSource

        return PysystemtradeSource(data.path).instrument_table()
    if data.source == "database":
        from db.session import database_url

        return DatabaseInstruments(database_url(None, config.database))
    return None


def with_instrument_metadata(config: PortfolioConfig, source: str) -> PortfolioConfig:
    """The config with each instrument's unstated fields taken from its data's instrument table."""
    if not wants_metadata(config):
        return config  # every field given: no table to read
    try:
        table = metadata_source_for(config)
    except (DataError, ConfigError) as exc:
        raise ConfigError(f"{source}: field 'data': {exc}") from None
    return complete_instruments(config, source, table)
