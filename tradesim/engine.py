"""One trading day, the same for replay and paper trading.

``Engine.step(book, t)`` takes the book as it stood after day t-1 and returns
the book after day t together with everything the ledger must record. It does
no I/O and never mutates its input, so a day that fails leaves nothing behind:
the caller writes the ``Day`` and swaps the book only once the database has
committed.

Within day t, in order:
0. apply the corporate actions whose ex-date is t (``tradesim.corporate_actions``):
   splits rescale holdings and pending orders, dividends are owed on the holdings;
1. fill the orders decided at t-1 at this bar (open where the data has one,
   else close), charging costs;
2. settle futures' variation margin and mark everything at t's close;
3. credit the owner's flows of the day (contributions, withdrawals, spending:
   ``tradesim.cash_flows``), so the decision sees the NAV they leave;
4. decide: the strategy's weights -> unrounded positions x*(t) -> the trigger
   -> whole positions x(t) -> orders x(t) - x(t-1), to fill at the next bar
   (or at this close when the config asks for same-close fills).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from strategies import is_built_in, make_strategy, where_raised
from strategies.base import AccountView, Strategy, StrategyContext
from tradesim.corporate_actions import CashFlowEntry, apply_splits, dividends
from tradesim.cash_flows import CashFlow, FlowSource, ScheduledFlows, SpendingRule, credit_cash_flows
from tradesim.accounting import fill_cash_flow, holdings_value, notional_exposure, variation_margin
from tradesim.costs import CostTable, volatility_deflator
from tradesim.errors import ConfigError, StrategyError
from tradesim.estimates import WeeklyCorrelation, annual_volatility
from tradesim.market import Market
from tradesim.schema import PortfolioConfig
from tradesim.sizing import Sizer, SizingResult
from tradesim.triggers.base import Trigger, make_trigger


@dataclass(frozen=True)
class Book:
    """The account between days: everything tomorrow's step needs."""

    t: int  # index of the last processed day; -1 before the first
    cash: float
    nav: float
    positions: np.ndarray  # (N,) float64
    pending: np.ndarray  # (N,) order quantities to fill at the next bar
    pending_reason: str | None = None
    # Dividends owed but not yet paid (dividends.credit_on = "pay_date"): (pay date, base
    # amount); part of NAV until the cash arrives.
    receivable: tuple[tuple[np.datetime64, float], ...] = ()
    # Whether the account has ever placed an order: until it has, any trigger invests on the
    # first day the strategy has targets (a calendar trigger must not sit in cash until its
    # first review; buy-and-hold must buy once).
    invested: bool = False
    # NAVs on the spending rule's past payment days, newest last: what its smoothing averages.
    spending_navs: tuple[float, ...] = ()

    @classmethod
    def opening(cls, capital: float, n: int, first: int = 0) -> "Book":
        """An empty account whose first trading day is index ``first``."""
        return cls(first - 1, capital, capital, np.zeros(n), np.zeros(n))


@dataclass(frozen=True)
class Fills:
    instrument: np.ndarray  # indices
    quantity: np.ndarray
    price: np.ndarray  # the price-series level filled at (back-adjusted for futures)
    notional_price: np.ndarray  # the held contract's price (= price for stocks)
    commission: np.ndarray  # instrument currency
    slippage: np.ndarray  # instrument currency
    fx: np.ndarray
    notional_base: np.ndarray  # |q| x contract price x multiplier x FX
    cancelled: np.ndarray  # indices of pending orders that could not fill (no price)

    @cached_property  # the day's accounting, its equity row and its fill rows all read it
    def cost_base(self) -> np.ndarray:
        return (self.commission + self.slippage) * self.fx


@dataclass(frozen=True)
class Orders:
    instrument: np.ndarray
    quantity: np.ndarray
    target: np.ndarray  # position aimed for
    optimal: np.ndarray  # the unrounded optimum behind it
    reason: str | None
    filled_same_day: bool


@dataclass(frozen=True)
class Day:
    t: int
    fills: Fills
    orders: Orders
    positions: np.ndarray
    prices: np.ndarray
    exposure: np.ndarray  # signed notional, base currency
    fx: np.ndarray  # (N,) base-currency value of one unit of each instrument's currency
    nav: float
    cash: float
    costs: float  # commission + slippage + roll costs, base currency
    roll_costs: float
    gross_pnl: float
    net_pnl: float
    tracking_error: float
    adjustment_factor: float
    path: str
    passes: int
    optimiser_seconds: float
    reason: str | None
    warnings: tuple[str, ...] = field(default_factory=tuple)
    # Corporate actions: the day's cash-flow rows, and the NAV change split as
    # price_pnl + income - costs = net_pnl (income: dividends net of withholding, earned on
    # the ex-date whenever they are paid).
    cash_flows: tuple[CashFlowEntry, ...] = ()
    income: float = 0.0
    price_pnl: float = 0.0
    # The owner's money in or out (contributions, withdrawals, spending): not P&L.
    external_flows: tuple[CashFlow, ...] = ()
    external_flow: float = 0.0  # their sum, base currency: + in, - out


# Days per step of the tables the engine computes for all days at once, element by element.
PRECOMPUTE_DAYS = 512


class Engine:
    def __init__(self, config: PortfolioConfig, market: Market, trigger: Trigger | None = None,
                 strategy: Strategy | None = None) -> None:
        """``strategy``: an instance to run instead of the one ``config.strategy`` names (the Python API's)."""
        self.config, self.market = config, market
        est = config.estimates
        self.returns = market.percentage_returns()
        self.vol = annual_volatility(self.returns, est.vol_span, est.long_run_vol_weight, est.long_run_vol_days,
                                     est.vol_floor)
        self.correlation = WeeklyCorrelation(market.dates, self.returns, est.corr_span_weeks)
        self.costs = CostTable.from_config(config)
        self.sizer = Sizer(config.optimiser, config.risk_target)
        started = time.perf_counter()
        self.strategy = strategy if strategy is not None else make_strategy(config.strategy.name, config.strategy.params)
        self.users_strategy = not is_built_in(self.strategy)
        try:
            self.strategy.prepare(StrategyContext(market, config, self.returns, self.vol))
        except ValueError as exc:  # a strategy's own check on its parameters against the data
            raise ConfigError(f"field 'strategy.params': {config.strategy.name}: {exc}") from None
        except Exception as exc:
            if not self.users_strategy:
                raise  # ours: a bug, with its traceback
            raise StrategyError(f"strategy {config.strategy.name}: prepare failed: {where_raised(exc)}") from exc
        self.strategy_seconds = time.perf_counter() - started
        self.trigger = trigger or make_trigger(config, market)
        # Sources of the owner's flows each day (income from holdings is step 0's).
        self.flow_sources: list[FlowSource] = []
        if config.cash_flows or config.contributions is not None:
            self.flow_sources.append(ScheduledFlows(config, market))
        self.spending = SpendingRule(config, market) if config.spending is not None else None
        self._precompute()

    def _precompute(self) -> None:
        """What the loop needs each day that does not depend on the account, for all days at once."""
        m = self.market
        # Historical costs deflated by price volatility ([costs] deflate_by_volatility): the
        # optimiser's cost per contract and every fill and roll pay the same factor.
        self.cost_deflator = volatility_deflator(m.close) if self.config.costs.deflate_by_volatility else None
        # Notional of one unit in the base currency, and the cost of trading it: element by
        # element, so a few hundred days at a time (the same numbers, without temporaries the
        # size of the whole history: on Jumbo 6.4 MB each, at the run's peak).
        self.unit_notional, self.unit_cost = np.empty(m.close.shape), np.empty(m.close.shape)
        for first in range(0, m.n_days, PRECOMPUTE_DAYS):
            days = slice(first, first + PRECOMPUTE_DAYS)
            price, fx = m.contract_price[days], m.fx[days]
            with np.errstate(invalid="ignore"):
                unit = m.multiplier * price * fx
                self.unit_notional[days] = np.where(np.isfinite(unit) & (unit > 0), unit, np.nan)
                cost = self.costs.per_unit_cost(price, m.multiplier) * fx
            self.unit_cost[days] = cost if self.cost_deflator is None else cost * self.cost_deflator[days]
        c = self.costs
        # The cost table's columns side by side, so a day's instruments take one fancy index.
        self._cost_columns = np.vstack(np.broadcast_arrays(c.per_unit, c.pct, c.minimum, c.half_spread,
                                                           c.half_spread_bps, c.fixed))
        # Futures whose held contract changed from the day before (a roll, if held), all days at once.
        self.rolled = None
        if m.contract is not None:
            with np.errstate(invalid="ignore"):
                changed = (m.contract[1:] != m.contract[:-1]) & ~np.isnan(m.contract[1:]) & ~np.isnan(m.contract[:-1])
            self.rolled = np.zeros(m.close.shape, dtype=bool)
            self.rolled[1:] = changed & m.is_future
        # The covariance takes a day's volatility with 0 for none (np.nan_to_num, nan=0): built day
        # by day, not kept as a second days x instruments copy. Without infinities (a price of 0
        # can make one) a NaN-to-0 where() gives the same numbers four times faster.
        self._vol_has_inf = bool(np.isinf(self.vol).any())
        self.any_stale = (~m.has_price).any(axis=1)
        # Calendar days, boxed once: pandas' per-element access costs more than the day's accounting.
        self.days = [d.date() for d in m.dates]
        self.days64 = [np.datetime64(d, "D") for d in self.days]
        self.has_futures = bool(m.is_future.any())
        self._corr_seen: np.ndarray | None = None
        self._clear_day, self._clearing_tables = None, ()
        self._sizing_inputs = self._covariance = None
        # Days are cleared by one compiled call where numba is loaded anyway and no split or
        # dividend can come (tradesim.clearing: the same numbers); elsewhere by numpy, step by step.
        compiled = compiled_loops(self.config)
        if m.split is None and compiled:
            from tradesim.clearing import clear_day, takes

            tables = self.clearing_tables()
            if takes(tables):
                self._clear_day, self._clearing_tables = clear_day, tables
        # The decision's inputs likewise (tradesim.decision_inputs), for float64 tables.
        if compiled and all(a.dtype == np.float64 for a in (self.unit_notional, self.unit_cost, self.vol)):
            from tradesim.decision_inputs import advance_correlation, correlation_of, covariance, sizing_inputs

            self._sizing_inputs, self._covariance = sizing_inputs, covariance
            if self.correlation.weekly.dtype == np.float64:
                self.correlation.compiled(advance_correlation, correlation_of)
        if compiled:
            # Loading these from numba's cache touched LLVM's library pages again (about 10 MB on
            # Jumbo, for the rest of the run): given back, as after the optimiser's loops.
            from tradesim.allocator import release_library_pages

            release_library_pages("libllvmlite")

    def clearing_tables(self) -> tuple:
        """tradesim.clearing.clear_day's arguments after the day and the book."""
        m, no_table = self.market, np.zeros((1, 1))
        return (m.close, m.open, m.has_price, m.contract_price, m.fx, m.multiplier, m.is_future, self._cost_columns,
                no_table if self.cost_deflator is None else self.cost_deflator, self.cost_deflator is not None,
                no_table.astype(bool) if self.rolled is None else self.rolled, self.rolled is not None,
                self.has_futures)
        self._shrunk: np.ndarray | None = None

    def covariance(self, t: int) -> np.ndarray:
        """Sigma for day t; the shrunk correlation changes weekly and is checked once when it does."""
        corr = self.correlation.at(t)
        if corr is not self._corr_seen:
            from tradesim.estimates.covariance import shrink
            from tradesim.optimiser import check_covariance

            self._shrunk = shrink(corr, self.config.estimates.corr_shrinkage)
            check_covariance(self._shrunk, self.market.symbols)
            self._corr_seen = corr
        if self._covariance is not None and not self._vol_has_inf:  # (numpy's path warns of an overflow there)
            return self._covariance(t, self._shrunk, self.vol)
        vol = self.vol[t]
        vol = np.nan_to_num(vol, nan=0.0) if self._vol_has_inf else np.where(vol == vol, vol, 0.0)
        return self._shrunk * (vol[:, None] * vol)  # np.outer's products, without its wrapper

    def opening_book(self, first: int = 0) -> Book:
        return Book.opening(self.config.capital, self.market.n_instruments, first)

    # -- the day -------------------------------------------------------------

    def step(self, book: Book, t: int) -> tuple[Book, Day]:
        if t != book.t + 1:
            raise ValueError(f"step({t}) after day {book.t}: days must be processed in order")
        m = self.market
        close, fx = m.close[t], m.fx[t]
        at_close = self.config.fills.timing != "next"
        if self._clear_day is not None:
            # Steps 0-2 in one compiled call: no splits or dividends in this market, the same numbers.
            cash, receivable = self._receivables(book, t)
            flows, income = (), 0.0
            (idx, cancelled, table, positions, exposure, variation, flow, fill_costs, roll_costs, value,
             stale) = self._clear_day(t, book.pending, book.positions, at_close, *self._clearing_tables)
            fills = Fills(idx, *table[:7], cancelled)
            fills.__dict__["cost_base"] = table[7]  # cached_property's slot, filled: the same products
            warnings = self._missing_price_warnings(book, t) if stale else ()
            if t > 0 and self.has_futures:
                cash += variation
            cash += flow - fill_costs
            cash -= roll_costs
            owed = sum(amount for _, amount in receivable)
            nav = cash + owed + value
        else:
            warnings = self._missing_price_warnings(book, t)

            # 0. today's splits and dividends, before anything trades at today's (as-traded) prices.
            positions, pending, cash, receivable, flows, income = self._corporate_actions(book, t)

            # 1. yesterday's orders fill at this bar.
            fills = self._fill(pending, t, at_close=at_close)
            positions[fills.instrument] += fills.quantity
            if t > 0 and self.has_futures:
                cash += variation_margin(book.positions, m.close[t - 1], close, m.multiplier, fx, m.is_future)
            cash += self._settle(fills, t)
            roll_costs = self._roll_costs(book.positions, t)
            cash -= roll_costs

            # 2. mark at this close.
            owed = sum(amount for _, amount in receivable)
            nav = cash + owed + holdings_value(positions, close, m.multiplier, fx, m.is_future)
            fill_costs = None

        # 3. credit the owner's flows of the day.
        external_flows, spending_navs = self._external_flows(t, book, nav)
        external = 0.0
        if external_flows:
            cash, external = credit_cash_flows(cash, external_flows)
            nav += external
        if self._clear_day is None:
            exposure = notional_exposure(positions, m.contract_price[t], m.multiplier, fx)

        # 4. decide at this close.
        orders, sizing = self._decide(t, cash, nav, positions, exposure, book.invested, external)
        same_close = None
        if self.config.fills.timing == "same_close" and len(orders.instrument):
            qty = np.zeros(m.n_instruments)
            qty[orders.instrument] = orders.quantity
            same_close = self._fill(qty, t, at_close=True)
            positions[same_close.instrument] += same_close.quantity
            exposure = notional_exposure(positions, m.contract_price[t], m.multiplier, fx)
            cash += self._settle(same_close, t)
            nav = cash + owed + holdings_value(positions, close, m.multiplier, fx, m.is_future)
            fills = _merge(fills, same_close)

        costs = (fill_costs if fill_costs is not None and same_close is None else float(fills.cost_base.sum())) + roll_costs
        pending = np.zeros(m.n_instruments)
        if same_close is None:
            pending[orders.instrument] = orders.quantity
        new_book = Book(t, cash, nav, positions, pending, orders.reason, receivable,
                        invested=book.invested or len(orders.instrument) > 0, spending_navs=spending_navs)
        day = Day(
            t=t, fills=fills, orders=orders, positions=positions, prices=close,
            exposure=exposure,
            fx=fx,
            nav=nav, cash=cash, costs=costs, roll_costs=roll_costs,
            # The owner's money in or out is not P&L; income from holdings is.
            gross_pnl=nav - book.nav - external + costs, net_pnl=nav - book.nav - external,
            tracking_error=sizing.tracking_error, adjustment_factor=sizing.adjustment_factor,
            path=sizing.path, passes=sizing.passes, optimiser_seconds=sizing.seconds,
            reason=orders.reason, warnings=warnings,
            cash_flows=flows, income=income, price_pnl=nav - book.nav - external + costs - income,
            external_flows=external_flows, external_flow=external,
        )
        return new_book, day

    # -- parts of the day ------------------------------------------------------

    def _receivables(self, book: Book, t: int) -> tuple[float, tuple]:
        """Cash and receivables once the dividends whose pay date has come are paid."""
        cash, receivable = book.cash, book.receivable
        if receivable:
            today = self.days64[t]
            cash += sum(amount for pay, amount in receivable if pay <= today)
            receivable = tuple(r for r in receivable if r[0] > today)
        return cash, receivable

    def _corporate_actions(self, book: Book, t: int) -> tuple[np.ndarray, np.ndarray, float, tuple, tuple, float]:
        """Positions, pending orders, cash, receivables, cash-flow rows and income after
        day t's splits and dividends, and the receivables whose pay date has come."""
        m = self.market
        today = self.days64[t]
        cash, receivable = self._receivables(book, t)
        if m.split is None:
            return book.positions.copy(), book.pending, cash, receivable, (), 0.0
        split = apply_splits(book.positions, book.pending, m.split[t], m.close[t], m.multiplier, m.fx[t],
                             whole=self.config.optimiser.method != "none")
        pay = m.dividend_pay[t] if self.config.dividends.credit_on == "pay_date" else None
        owed = dividends(split.positions, m.dividend[t], m.multiplier, m.fx[t],
                         self.config.dividends.withholding_tax, pay)
        flows = split.flows + owed
        later = [f.pay_date is not None and f.pay_date > today for f in flows]
        cash += sum(f.amount_base for f, wait in zip(flows, later) if not wait)
        receivable += tuple((f.pay_date, f.amount_base) for f, wait in zip(flows, later) if wait)
        positions = split.positions if split.positions is not book.positions else book.positions.copy()
        return positions, split.pending, cash, receivable, flows, sum(f.amount_base for f in owed)

    def _external_flows(self, t: int, book: Book, nav: float) -> tuple[tuple[CashFlow, ...], tuple[float, ...]]:
        """Day t's flows from every source (``nav``: at the close, before them), and the
        spending rule's NAV history after today."""
        flows: list[CashFlow] = []
        for source in self.flow_sources:
            flows.extend(source(t, book.positions, nav))
        history = book.spending_navs
        if self.spending is not None:
            paid, history = self.spending.pay(t, nav, history)
            if paid is not None:
                flows.append(paid)
        return tuple(flows), history

    def _fill(self, qty: np.ndarray, t: int, at_close: bool) -> Fills:
        m = self.market
        wanted = np.flatnonzero(qty)
        can = m.has_price[t, wanted]
        idx, cancelled = wanted[can], wanted[~can]
        q = qty[idx]
        price = m.close[t, idx] if at_close else np.where(np.isnan(m.open[t, idx]), m.close[t, idx], m.open[t, idx])
        # Futures: fees scale with the held contract's price; a fill at the open
        # shifts it by the same move as the back-adjusted series.
        notional = np.where(m.is_future[idx], m.contract_price[t, idx] + (price - m.close[t, idx]), price)
        mult, fx = m.multiplier[idx], m.fx[t, idx]
        costs = self.costs_for(idx)
        commission, slippage = costs.commission(q, notional, mult), costs.slippage(q, notional, mult)
        if self.cost_deflator is not None:
            commission, slippage = commission * self.cost_deflator[t, idx], slippage * self.cost_deflator[t, idx]
        return Fills(idx, q, price, notional, commission, slippage, fx, np.abs(q) * np.abs(notional) * mult * fx,
                     cancelled)

    def costs_for(self, idx: np.ndarray) -> CostTable:
        return CostTable(*self._cost_columns[:, idx])

    def _settle(self, fills: Fills, t: int) -> float:
        m, idx = self.market, fills.instrument
        flow = fill_cash_flow(fills.quantity, fills.price, m.close[t, idx], m.multiplier[idx], fills.fx, m.is_future[idx])
        return flow - float(fills.cost_base.sum())

    def _roll_costs(self, held: np.ndarray, t: int) -> float:
        """A futures position whose held contract changed today was rolled: closing the old
        contract and opening the new one costs two trades of the whole position."""
        m = self.market
        if self.rolled is None or t == 0:
            return 0.0
        idx = np.flatnonzero(self.rolled[t] & (held != 0))
        if not len(idx):
            return 0.0
        q, price, mult = np.abs(held[idx]), m.contract_price[t, idx], m.multiplier[idx]
        costs = self.costs_for(idx)
        per_leg = costs.commission(q, price, mult) + costs.slippage(q, price, mult)
        if self.cost_deflator is not None:
            per_leg = per_leg * self.cost_deflator[t, idx]
        return float(np.sum(2.0 * per_leg * m.fx[t, idx]))

    def _decide(self, t: int, cash: float, nav: float, positions: np.ndarray,
                exposure: np.ndarray, invested: bool = True, external: float = 0.0) -> tuple[Orders, SizingResult]:
        m = self.market
        if nav <= 0:
            capital = np.nan  # a wiped-out account sizes nothing
        else:
            capital = nav if self.config.sizing_capital == "nav" else self.config.capital
        with np.errstate(invalid="ignore", divide="ignore"):
            view = AccountView(nav, cash, positions, exposure / nav if nav > 0 else np.zeros_like(exposure))
            weights = self._target_weights(t, view)
            # No price today, no trade: the position is valued at its last price and held.
            if self._sizing_inputs is not None and weights.dtype == np.float64 and weights.ndim == 1:
                v, x_star, cost_per_contract, tradable = self._sizing_inputs(
                    t, self.unit_notional, self.unit_cost, m.has_price, weights, float(capital))
            else:
                v = self.unit_notional[t] / capital
                sizable = np.isfinite(v)
                v = np.where(sizable, v, 0.0)
                x_star = np.where(sizable & np.isfinite(weights), weights / np.where(sizable, v, 1.0), 0.0)
                cost_per_contract = np.where(sizable, self.unit_cost[t] / capital, 0.0)
                tradable = m.has_price[t] & sizable
        sigma = self.covariance(t)
        reason = self.trigger.due(t, positions, x_star, v, sigma)
        if reason is None and not invested and np.any(x_star[tradable] != 0):
            reason = "initial"
        if reason is None and external and invested and getattr(self.trigger, "trades_cash_flows", False):
            reason = "cash_flow"
        if reason is None:
            sizing = self.sizer.hold(positions, x_star, tradable, v, sigma)
        elif reason == "cash_flow":
            sizing = self.sizer.scale(positions, nav / (nav - external), tradable, x_star, v, sigma)
        else:
            sizing = self.sizer.size(x_star, positions, tradable, v, sigma, cost_per_contract, first_day=t == 0)
        target = sizing.positions
        trade = target - positions
        idx = np.flatnonzero(trade)
        orders = Orders(idx, trade[idx], target[idx], x_star[idx], reason if len(idx) else None,
                        self.config.fills.timing == "same_close")
        return orders, sizing

    def _target_weights(self, t: int, view: AccountView) -> np.ndarray:
        try:
            weights = self.strategy.target_weights(t, view)
        except Exception as exc:
            if not self.users_strategy:
                raise
            raise StrategyError(f"strategy {self.config.strategy.name}: target_weights failed on "
                                f"{self.market.dates[t].date()}: {where_raised(exc)}") from exc
        if self.users_strategy:
            weights = np.asarray(weights, dtype=float)
            if weights.shape != (self.market.n_instruments,):
                raise StrategyError(f"strategy {self.config.strategy.name}: target_weights returned shape "
                                    f"{weights.shape} on {self.market.dates[t].date()}, expected "
                                    f"({self.market.n_instruments},), one weight per instrument")
        return weights

    def _missing_price_warnings(self, book: Book, t: int) -> tuple[str, ...]:
        m = self.market
        if not self.any_stale[t]:
            return ()
        stale = np.flatnonzero(~m.has_price[t] & (book.positions != 0))
        day = self.days[t]
        return tuple(f"{m.symbols[j]} has no price on {day}: valued at its last price, not traded" for j in stale)


def compiled_loops(config: PortfolioConfig) -> bool:
    """Whether the run's optimiser loads numba's loops (so compiled accounting costs no start-up)."""
    optimiser = config.optimiser
    if optimiser.method not in ("dynamic", "greedy") or optimiser.backend == "numpy":
        return False
    try:
        from tradesim.optimiser.search import kernels

        kernels("numba")
    except ImportError:
        return False
    return True


def _merge(a: Fills, b: Fills) -> Fills:
    cat = lambda x, y: np.concatenate([x, y])  # noqa: E731
    return Fills(cat(a.instrument, b.instrument), cat(a.quantity, b.quantity), cat(a.price, b.price),
                 cat(a.notional_price, b.notional_price), cat(a.commission, b.commission),
                 cat(a.slippage, b.slippage), cat(a.fx, b.fx), cat(a.notional_base, b.notional_base),
                 cat(a.cancelled, b.cancelled))
