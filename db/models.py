"""The ledger's tables (SQLAlchemy 2).

Money columns are floats in the currency their name says (``*_base`` in the
portfolio's base currency, the rest in the instrument's). Dates are trading
days (``Date``); wall-clock times are stored in UTC.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean, Date, DateTime, Float, ForeignKey, ForeignKeyConstraint, Index, Integer, LargeBinary, String, Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Portfolio(Base):
    __tablename__ = "portfolios"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    base_currency: Mapped[str] = mapped_column(String(3))


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolios.id"), index=True)
    mode: Mapped[str] = mapped_column(String(16))  # replay | paper | compare:<variant>
    label: Mapped[str | None] = mapped_column(String(100))
    config: Mapped[str] = mapped_column(Text)  # canonical JSON of the validated config
    config_hash: Mapped[str] = mapped_column(String(64))
    code_version: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))  # running | finished | failed | interrupted (paper: active)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    error: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[int | None] = mapped_column(Integer)  # instrument-days without a price; NULL: not counted
    warning_text: Mapped[str | None] = mapped_column(Text)  # the warning lines the run logged
    # A sweep's variant: the sweep and the variant's overrides (canonical JSON, dotted keys).
    # Unique together, so no variant is ever recorded twice; NULL for runs outside sweeps.
    sweep_id: Mapped[str | None] = mapped_column(String(64))
    overrides: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("uq_runs_sweep_overrides", "sweep_id", "overrides", unique=True),)


class Sweep(Base):
    """Many variants of one config: the grid and the ledger mode its runs were written with."""

    __tablename__ = "sweeps"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolios.id"))
    config: Mapped[str] = mapped_column(Text)  # canonical JSON of the base config
    config_hash: Mapped[str] = mapped_column(String(64))
    axes: Mapped[str] = mapped_column(Text)  # JSON: {key: [values]} of the grid, {} for a sweep file
    ledger: Mapped[str] = mapped_column(String(8))  # summary | full
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RunSummary(Base):
    """A run's figures, computed once when it finishes: what a sweep's table and heatmaps read."""

    __tablename__ = "run_summaries"
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    annual_return: Mapped[float] = mapped_column(Float)
    annual_volatility: Mapped[float] = mapped_column(Float)
    sharpe: Mapped[float] = mapped_column(Float)
    sharpe_rf: Mapped[float | None] = mapped_column(Float)  # the annual risk-free rate the Sharpe ratio is over (NULL: older ledgers)
    max_drawdown: Mapped[float] = mapped_column(Float)
    total_costs: Mapped[float] = mapped_column(Float)
    annual_notional_turnover: Mapped[float] = mapped_column(Float)
    trades: Mapped[int] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer)
    start_nav: Mapped[float] = mapped_column(Float)
    end_nav: Mapped[float] = mapped_column(Float)
    tracking_error: Mapped[float] = mapped_column(Float)  # average daily TE against the unrounded optimum
    adjustment_factor: Mapped[float | None] = mapped_column(Float)  # average alpha on days the optimiser traded
    # Against the variant's ideal (fractional positions, free trading), when the sweep compares:
    drag: Mapped[float | None] = mapped_column(Float)  # the ideal's annual return minus this one's
    realised_te: Mapped[float | None] = mapped_column(Float)  # annualised std of daily return differences
    seconds: Mapped[float] = mapped_column(Float)  # the variant's compute time on its worker


class Instrument(Base):
    __tablename__ = "instruments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    symbol: Mapped[str] = mapped_column(String(64), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    multiplier: Mapped[float] = mapped_column(Float)
    asset_class: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="stock")
    description: Mapped[str | None] = mapped_column(String(200))


class Price(Base):
    """The price cache: every price fetched or imported lands here, so replays run offline."""

    __tablename__ = "prices"
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # NULL on a day the held contract changed without a price (a roll day in pysystemtrade's files).
    close: Mapped[float | None] = mapped_column(Float)
    open: Mapped[float | None] = mapped_column(Float)
    contract_price: Mapped[float | None] = mapped_column(Float)
    carry_price: Mapped[float | None] = mapped_column(Float)
    contract: Mapped[int | None] = mapped_column(Integer)
    carry_contract: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32))


class PriceSeries(Base):
    """An instrument's rows of ``prices`` packed as columns, for replays to read whole (``db.price_series``).

    ``days``: days since 1970-01-01 as little-endian int32, in order; each field: little-endian
    float64 per day (NaN for NULL), or NULL when the field has no value on any day. Derived
    data: rebuilt by whoever writes the rows, deleted by triggers on ``prices`` otherwise."""

    __tablename__ = "price_series"
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"), primary_key=True)
    days: Mapped[bytes] = mapped_column(LargeBinary)
    close: Mapped[bytes | None] = mapped_column(LargeBinary)
    open: Mapped[bytes | None] = mapped_column(LargeBinary)
    contract_price: Mapped[bytes | None] = mapped_column(LargeBinary)
    carry_price: Mapped[bytes | None] = mapped_column(LargeBinary)
    contract: Mapped[bytes | None] = mapped_column(LargeBinary)
    carry_contract: Mapped[bytes | None] = mapped_column(LargeBinary)


class CorporateAction(Base):
    """A split or cash dividend, as-traded (``tradesim.data.actions``), on the price record's basis."""

    __tablename__ = "corporate_actions"
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"), primary_key=True)
    ex_date: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # split | dividend
    value: Mapped[float] = mapped_column(Float)  # split: new shares per old; dividend: cash per share
    pay_date: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(32))


class PriceBasis(Base):
    """The price record's basis: from ``first_day`` on, a fetch's prices were stored times ``factor``.

    Cached days are never rewritten. When a re-fetch gives a cached day a different
    price (a data vendor rebased its history), the new days are converted onto the
    record's basis by the factor between the two on that day, and this row says so.
    An instrument whose rows predate the table has none: its rows are on the
    total-return adjusted basis they were fetched on.
    """

    __tablename__ = "price_bases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"), index=True)
    first_day: Mapped[date] = mapped_column(Date)  # first stored day converted by ``factor``
    checked_day: Mapped[date | None] = mapped_column(Date)  # the cached day the new fetch was compared on
    basis: Mapped[str] = mapped_column(String(16))  # as_traded (what the fetch delivered)
    factor: Mapped[float] = mapped_column(Float)  # record price / fetched price on checked_day
    source: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FxRate(Base):
    __tablename__ = "fx_rates"
    pair: Mapped[str] = mapped_column(String(6), primary_key=True)  # 'EURUSD': USD per EUR
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    rate: Mapped[float] = mapped_column(Float)


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    day: Mapped[date] = mapped_column(Date)  # decision date (that day's close)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"))
    quantity: Mapped[float] = mapped_column(Float)  # signed
    side: Mapped[str] = mapped_column(String(4))  # BUY | SELL
    target: Mapped[float] = mapped_column(Float)  # position aimed for
    optimal: Mapped[float] = mapped_column(Float)  # the unrounded optimum
    reason: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # pending | filled | cancelled
    __table_args__ = (
        UniqueConstraint("run_id", "day", "instrument_id", name="uq_order_run_day_instrument"),
        # The history queries ask for one run's orders of one instrument over a date range.
        Index("ix_orders_run_instrument_day", "run_id", "instrument_id", "day"),
    )


class Fill(Base):
    """A fill belongs to the order decided on ``decided_on`` for the same run and instrument."""

    __tablename__ = "fills"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    day: Mapped[date] = mapped_column(Date)  # fill date
    decided_on: Mapped[date] = mapped_column(Date)  # the order's decision date
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"))
    quantity: Mapped[float] = mapped_column(Float)
    price: Mapped[float] = mapped_column(Float)  # filled at (back-adjusted level for futures)
    contract_price: Mapped[float] = mapped_column(Float)  # held contract's price (= price for stocks)
    commission: Mapped[float] = mapped_column(Float)  # instrument currency
    slippage: Mapped[float] = mapped_column(Float)  # instrument currency
    fx: Mapped[float] = mapped_column(Float)
    cost_base: Mapped[float] = mapped_column(Float)
    notional_base: Mapped[float] = mapped_column(Float)
    __table_args__ = (
        ForeignKeyConstraint(["run_id", "decided_on", "instrument_id"],
                             ["orders.run_id", "orders.day", "orders.instrument_id"], name="fk_fill_order"),
        Index("ix_fills_run_day", "run_id", "day"),
        # Also what P&L sums (migration 0011): an instrument's fills over a period are one range of it.
        Index("ix_fills_run_instrument_day", "run_id", "instrument_id", "day", "quantity", "price", "fx", "cost_base"),
    )


class PositionRow(Base):
    """Non-zero holdings at each day's close (a missing row means flat)."""

    __tablename__ = "positions"
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"), primary_key=True)
    quantity: Mapped[float] = mapped_column(Float)
    price: Mapped[float] = mapped_column(Float)
    notional_base: Mapped[float] = mapped_column(Float)
    # Base-currency value of one unit of the instrument's currency that day: with it, P&L per
    # instrument comes from the ledger alone (NULL only in rows older than the column).
    fx: Mapped[float | None] = mapped_column(Float)


class Equity(Base):
    __tablename__ = "equity"
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    nav: Mapped[float] = mapped_column(Float)
    cash: Mapped[float] = mapped_column(Float)
    costs: Mapped[float] = mapped_column(Float)  # commission + slippage + rolls, base currency
    roll_costs: Mapped[float] = mapped_column(Float, default=0.0)  # futures: the part spent rolling contracts
    gross_pnl: Mapped[float] = mapped_column(Float)
    net_pnl: Mapped[float] = mapped_column(Float)
    gross_exposure: Mapped[float] = mapped_column(Float)
    traded_notional: Mapped[float] = mapped_column(Float)
    # net_pnl = price_pnl + income - costs (NULL in rows older than the columns)
    price_pnl: Mapped[float | None] = mapped_column(Float)
    income: Mapped[float | None] = mapped_column(Float)  # dividends net of withholding, on their ex-date


class Diagnostic(Base):
    """What the sizing step saw each day: how far from ideal, and why it (did not) trade."""

    __tablename__ = "diagnostics"
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tracking_error: Mapped[float] = mapped_column(Float)
    adjustment_factor: Mapped[float] = mapped_column(Float)
    path: Mapped[str] = mapped_column(String(40))
    passes: Mapped[int] = mapped_column(Integer)
    optimiser_seconds: Mapped[float] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(String(64))
    rebalanced: Mapped[bool] = mapped_column(Boolean)


class CashFlow(Base):
    """Cash that enters or leaves the account other than by trading.

    ``external`` flows (contribution, withdrawal, spending) are money moved in or out by the
    owner: NAV moves by them but they are not performance, so time-weighted returns take
    them out. The rest (dividend, withholding, split_cash: a fractional share settled in
    cash) is income the holdings earned, and is P&L.
    """

    __tablename__ = "cash_flows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    day: Mapped[date] = mapped_column(Date)  # the trading day the cash moves (ex-date, pay date, flow date)
    kind: Mapped[str] = mapped_column(String(24))  # contribution | withdrawal | spending | dividend | withholding | split_cash
    external: Mapped[bool] = mapped_column(Boolean)
    instrument_id: Mapped[int | None] = mapped_column(ForeignKey("instruments.id"))  # NULL for account-level flows
    amount: Mapped[float] = mapped_column(Float)  # signed: + into the account; in ``currency``
    currency: Mapped[str] = mapped_column(String(3))
    fx: Mapped[float] = mapped_column(Float)  # base-currency value of one unit of ``currency`` that day
    amount_base: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(200))  # e.g. "4:1 split", "0.24/share, 15% withheld"
    __table_args__ = (Index("ix_cash_flows_run_day", "run_id", "day"),)


class ProcessedDay(Base):
    """Exactly once: written in the same transaction as the day's rows."""

    __tablename__ = "processed_days"
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Notification(Base):
    """A paper session's summary owed to the people watching: pending until a send succeeds."""

    __tablename__ = "notifications"
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # pending | sent
    warnings: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # the session's instrument-days without a price
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)  # the last failed send's reason
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
