"""The portfolio config's schema: frozen pydantic models and nothing of the engine.

Configs are frozen: a run stores the exact config it used (and its hash), so
nothing may change it after loading. Every validation failure becomes a single
line naming the file and the field.

This module imports no strategy, data source or market code: turning the names a
config holds into those things happens one floor above (``tradesim.config`` loads
a file, ``tradesim.resolve`` and the ``strategies`` registry resolve names), so the
engine's modules can all depend on the schema without depending on each other.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tradesim.calendar import DEFAULT_CALENDAR, CalendarName
from tradesim.errors import ConfigError
from tradesim.triggers.spec import TriggerConfig


class Frozen(BaseModel):
    # No inf or nan anywhere: TOML spells them (``capital = inf``) and no field means them.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class CostModel(Frozen):
    """Cost of one order, in the instrument's currency.

    commission = commission_fixed + max(commission_per_unit x |q|, commission_pct x notional, commission_min)
    slippage   = |q| x multiplier x (half_spread + price x half_spread_bps / 10,000)
    """

    # A fee per order on top of the rest: the course's "$10 + 0.1% a trade" is
    # commission_fixed = 10 with commission_pct = 0.001.
    commission_fixed: float = Field(0.0, ge=0)
    commission_per_unit: float = Field(0.0, ge=0)
    commission_pct: float = Field(0.0, ge=0, lt=1)
    commission_min: float = Field(0.0, ge=0)
    half_spread: float = Field(0.0, ge=0, description="half the bid-ask spread, in price points")
    half_spread_bps: float = Field(0.0, ge=0, description="half the bid-ask spread, in basis points of price")
    # Scale each day's cost by the price volatility then over its value on the last day
    # (AFTS's deflated costs): a portfolio-wide choice, read from [costs] only.
    deflate_by_volatility: bool = False


class Instrument(Frozen):
    symbol: str = Field(min_length=1)
    multiplier: float = Field(1.0, gt=0)
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    asset_class: str = "Equity"
    kind: Literal["stock", "future"] = "stock"
    costs: CostModel | None = None


class DataConfig(Frozen):
    # "dataframe": prices passed in from Python (tradesim.backtest), nothing to load.
    source: Literal["bundled", "csv", "pysystemtrade", "database", "yfinance", "bundled_with_safe", "dataframe"] = "bundled"
    dataset: str = "sp500"
    path: str | None = None
    opens: str | None = None
    fx: str | None = None
    # Where instruments' multiplier, currency, asset class and costs come from when a
    # [[instruments]] entry gives only its symbol: a pysystemtrade instrument table (file or
    # folder). Unset: the data source's own table (pysystemtrade folder, price cache).
    instrument_table: str | None = None
    # A sanity limit on one day's move (as a fraction of the previous price): anything
    # larger is taken for a bad print (a price in pence, a missed split) and stops the
    # run naming the instrument and date. The bundled stocks' largest real move is 67%.
    max_daily_move: float | None = Field(0.75, gt=0)
    # A CSV source of as-traded prices: its corporate actions (splits, cash dividends), in
    # the format of tradesim.data.actions. Unset: the CSV holds total-return adjusted closes.
    actions: str | None = None


class DividendConfig(Frozen):
    """How cash dividends reach the account (stocks and ETFs with corporate actions)."""

    # "ex_date": the cash is credited on the ex-date, the day the price drops by it, so NAV
    # never dips. "pay_date": credited on the payment date, as a broker's cash balance shows
    # it; the entitlement is fixed on the ex-date and counted in NAV until paid. Needs pay
    # dates in the actions (an actions file's pay_date column; Yahoo gives none).
    credit_on: Literal["ex_date", "pay_date"] = "ex_date"
    # Tax withheld at source, as a fraction of each dividend received (0.15: a US dividend
    # paid to a treaty resident). Its own negative cash-flow row beside the dividend's.
    withholding_tax: float = Field(0.0, ge=0, lt=1)


class StrategyConfig(Frozen):
    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class OptimiserConfig(Frozen):
    # "dynamic": whole positions by dynamic optimisation, with the search that finds the
    # integer optimum of f (or very nearly); "greedy": Carver's own greedy search
    # (AFTS ch. 25, pysystemtrade's results), the reference; "round": rint(x*);
    # "none": fractional x* (the ideal of `tradesim compare`); "buffered": rint(x*) with
    # Carver's static position buffer (AFTS ch. 8; `position_buffer` below).
    method: Literal["dynamic", "greedy", "round", "buffered", "none"] = "dynamic"
    cost_multiplier: float = Field(50.0, ge=0)
    buffer_fraction: float = Field(0.05, ge=0, le=1)
    # method "buffered": no trade while the position stays within x* +- this fraction of
    # the average absolute position (an EWMA of |x*| over about a year), else trade to
    # the nearer edge, rounded.
    position_buffer: float = Field(0.1, ge=0)
    # The earlier searches, kept so that old configs run as they did: with method
    # "greedy" (or "dynamic", as configs before the new search said), polish = true is
    # greedy then +-1 moves, start = "rounded" is +-2^k moves from rint(x*); with
    # method "dynamic", polish = false or start = "zero" given explicitly is the greedy.
    # Leave both out for the new dynamic search.
    polish: bool | None = None
    start: Literal["zero", "rounded"] | None = None
    # The optimiser's loops: "numba" (compiled; its first use in a process costs about 0.4 s
    # of start-up, loading numba's cache), "numpy" (no start-up, slower
    # per step), or "auto" (numba). Both take identical decisions.
    backend: Literal["auto", "numba", "numpy"] = "auto"

    @property
    def search(self) -> str:
        """The optimiser's method name (tradesim.optimiser.METHODS) these settings select."""
        if self.method in ("round", "buffered", "none"):
            return self.method
        if self.method == "dynamic" and self.polish is None and self.start is None:
            return "dynamic"
        if self.start == "rounded":
            return "rounded+polish"
        return "greedy+polish" if self.polish else "greedy"


class FillConfig(Frozen):
    # "next": next bar's open where the data has opens, else its close.
    # "same_close": fill at the decision bar's close (optimistic; opt-in only).
    timing: Literal["next", "next_close", "same_close"] = "next"


class EstimatesConfig(Frozen):
    vol_span: int = Field(35, ge=2)
    long_run_vol_weight: float = Field(0.3, ge=0, le=1)
    long_run_vol_days: int = Field(2520, ge=20)
    vol_floor: float = Field(0.05, ge=0)
    corr_span_weeks: int = Field(25, ge=2)
    corr_shrinkage: float = Field(0.5, ge=0, le=1)


class NotifyConfig(Frozen):
    """Where a paper run sends each evening's summary (``[notify]`` in the portfolio file)."""

    # apprise URLs: "mailto://user:password@example.com?to=me@example.com", "json://host/path", ...
    urls: tuple[str, ...] = Field(min_length=1)
    # A link or path the summary points at for the full report (e.g. where a cron job writes
    # `tradesim report`); unset: the summary names the command that builds it.
    report: str | None = None


class PaperSettings(Frozen):
    # Sessions to wait for a missing bar: once this many sessions after the first one an
    # instrument missed have prices, sessions go ahead with it held (and say so).
    patience: int = Field(3, ge=0)
    # When prices are late, ``paper schedule`` tries again this often until this long after
    # the first try (then the next scheduled run catches up).
    retry_minutes: int = Field(30, gt=0)
    retry_hours: float = Field(6.0, ge=0)


Frequency = Literal["M", "Q", "Y"]  # paid on the last session of each month, quarter or year


class DatedCashFlow(Frozen):
    """One ``[[cash_flows]]`` entry: money in (+) or out (-) at the close of ``date``
    (or of the next session, if the exchange is shut that day)."""

    date: date
    amount: float
    kind: Literal["contribution", "withdrawal", "spending"] | None = None  # unset: by the amount's sign
    note: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _signed(self) -> "DatedCashFlow":
        if self.amount == 0:
            raise ValueError("amount must not be 0")
        if self.kind == "contribution" and self.amount < 0 or self.kind in ("withdrawal", "spending") and self.amount > 0:
            raise ValueError(f"a {self.kind} of {self.amount:g}: contributions are positive, "
                             "withdrawals and spending negative")
        return self


class SpendingRule(Frozen):
    """An endowment's spending: ``rate`` a year of NAV, paid every period, the NAV smoothed
    over the trailing ``smoothing_years`` of payment days (0: the day's NAV alone)."""

    rate: float = Field(gt=0, lt=1)
    frequency: Frequency = "Q"
    smoothing_years: float = Field(0.0, ge=0, le=50)
    start: date | None = None


class ContributionPlan(Frozen):
    """The same amount in (+) or out (-) at the end of every period between ``start`` and ``end``."""

    amount: float
    frequency: Frequency = "M"
    start: date | None = None
    end: date | None = None

    @field_validator("amount")
    @classmethod
    def _nonzero(cls, amount: float) -> float:
        if amount == 0:
            raise ValueError("amount must not be 0")
        return amount


# Rate series shipped in tradesim/data/datasets, named in a config as "bundled:NAME"
# (tradesim.risk_free reads them).
BUNDLED_RATE_PREFIX = "bundled:"
BUNDLED_RATES = ("us_tbill_3m",)


class RiskFreeSeries(Frozen):
    """A risk-free rate that changes: a CSV of dates and annual rates (0.04 for 4%), each
    rate holding until the next date. ``column``: the rate's column (default: the second)."""

    file: str = Field(min_length=1)
    column: str | None = None


class PortfolioConfig(Frozen):
    name: str = Field(min_length=1)
    base_currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    capital: float = Field(gt=0)
    risk_target: float = Field(0.2, gt=0, le=1)
    # Capital positions are sized on: "nav" compounds (today's NAV), "fixed" keeps the
    # starting capital as AFTS's backtests do, so a small account stays small.
    sizing_capital: Literal["nav", "fixed"] = "nav"
    start: date | None = None
    end: date | None = None
    database: str | None = None
    data: DataConfig = DataConfig()
    costs: CostModel = CostModel()
    instruments: tuple[Instrument, ...] = Field(min_length=1)
    strategy: StrategyConfig
    optimiser: OptimiserConfig = OptimiserConfig()
    fills: FillConfig = FillConfig()
    estimates: EstimatesConfig = EstimatesConfig()
    dividends: DividendConfig = DividendConfig()
    trigger: TriggerConfig | None = None  # None: rebalance every day
    # The daily paper job's time, "HH:MM" in the exchange's timezone; unset: 30 minutes after the close.
    schedule_time: str | None = Field(None, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    paper: PaperSettings = PaperSettings()
    calendar: CalendarName = DEFAULT_CALENDAR  # exchange_calendars name: trading sessions and the cron clock
    notify: NotifyConfig | None = None  # the paper run's daily summary; not part of the config's hash
    # The annual rate every Sharpe ratio is measured against: a constant (0.04), a series
    # from a file, or a bundled series ("bundled:us_tbill_3m").
    risk_free: Annotated[float, Field(ge=-0.1, le=1)] | RiskFreeSeries | str = 0.0
    cash_flows: tuple[DatedCashFlow, ...] = ()
    spending: SpendingRule | None = None
    contributions: ContributionPlan | None = None

    @field_validator("risk_free")
    @classmethod
    def _known_bundled_rate(cls, rf: float | RiskFreeSeries | str) -> float | RiskFreeSeries | str:
        if isinstance(rf, str):
            if rf.removeprefix(BUNDLED_RATE_PREFIX) not in BUNDLED_RATES or not rf.startswith(BUNDLED_RATE_PREFIX):
                known = ", ".join(f'"{BUNDLED_RATE_PREFIX}{name}"' for name in BUNDLED_RATES)
                raise ValueError(f"{rf!r} is not a rate: give a number (0.04), a [risk_free] file, or {known}")
        return rf

    @field_validator("instruments")
    @classmethod
    def _unique_symbols(cls, instruments: tuple[Instrument, ...]) -> tuple[Instrument, ...]:
        seen: set[str] = set()
        for inst in instruments:
            if inst.symbol in seen:
                raise ValueError(f"instrument {inst.symbol!r} is listed twice")
            seen.add(inst.symbol)
        return instruments

    @model_validator(mode="after")
    def _deflation_is_portfolio_wide(self) -> "PortfolioConfig":
        for inst in self.instruments:
            if inst.costs is not None and inst.costs.deflate_by_volatility:
                raise ValueError(f"instrument {inst.symbol!r}: costs.deflate_by_volatility is set in [costs] "
                                 "for the whole portfolio, not per instrument")
        return self

    @model_validator(mode="after")
    def _dates_in_order(self) -> "PortfolioConfig":
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(i.symbol for i in self.instruments)

    def cost_model(self, inst: Instrument) -> CostModel:
        return inst.costs if inst.costs is not None else self.costs

    def config_hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()[:16]

    def canonical_json(self) -> str:
        # Who gets the evening summary is no part of the strategy: changing an address must not
        # make a paper portfolio's config "changed", nor give older configs a new hash.
        return json.dumps(self.model_dump(mode="json", exclude={"notify"}), sort_keys=True, separators=(",", ":"))


def describe(error: ValidationError, source: str) -> str:
    """A pydantic error as one line: the source, the first failing field and why."""
    first = error.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = first["msg"].removeprefix("Value error, ")
    extra = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{source}: field '{loc}': {msg}{extra}"


def validate_config(raw: dict[str, Any], source: str = "<config>") -> PortfolioConfig:
    """The schema's verdict on a raw config (a parsed TOML table): a config or a one-line ConfigError."""
    try:
        return PortfolioConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe(exc, source)) from None
