"""The owner's money in and out of the account, credited at a day's close.

External flows (``contribution``, ``withdrawal``, ``spending``) share the ledger's
``cash_flows`` table with the income the holdings earn (dividends, withholding, cash in
lieu of a split: ``tradesim.corporate_actions``), marked ``external``: NAV moves by
them but they are not performance, so time-weighted returns take them out and P&L
excludes them.

The engine asks its flow sources for a day's flows after marking the book at the
close, credits them with ``credit_cash_flows`` and decides on the NAV that results,
so a contribution is invested (or a withdrawal raised) by the day's own decision.
A source is any callable ``source(t, positions, nav) -> Sequence[CashFlow]``, with
the positions carried into day t and the NAV at t's close before any flow: the
config's schedule below is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from tradesim.market import Market
    from tradesim.schema import PortfolioConfig

EXTERNAL_KINDS = frozenset({"contribution", "withdrawal", "spending"})
INCOME_KINDS = frozenset({"dividend", "withholding", "split_cash"})
# Payment days of a schedule: the last session of each period, on the exchange's calendar
# (so a paper account pays on the same day a replay does, whatever data has arrived).
PERIOD_CRON = {"M": "0 16 last * *", "Q": "0 16 last mar,jun,sep,dec *", "Y": "0 16 last dec *"}
PERIODS_PER_YEAR = {"M": 12, "Q": 4, "Y": 1}


@dataclass(frozen=True)
class CashFlow:
    kind: str  # one of EXTERNAL_KINDS | INCOME_KINDS
    amount: float  # signed: + into the account, in ``currency``
    currency: str
    fx: float = 1.0  # base-currency value of one unit of ``currency`` that day
    instrument: int | None = None  # the market's column for income; None for account-level flows
    note: str | None = None

    @property
    def external(self) -> bool:
        return self.kind in EXTERNAL_KINDS

    @property
    def amount_base(self) -> float:
        return self.amount * self.fx


class FlowSource(Protocol):
    def __call__(self, t: int, positions: np.ndarray, nav: float) -> Sequence[CashFlow]:
        ...


def credit_cash_flows(cash: float, flows: Sequence[CashFlow]) -> tuple[float, float]:
    """Cash after the flows, and the external part of them (base currency)."""
    external = sum(f.amount_base for f in flows if f.external)
    income = sum(f.amount_base for f in flows if not f.external)
    return cash + external + income, external


def period_ends(frequency: str, config: "PortfolioConfig", market: "Market") -> np.ndarray:
    """Boolean mask over the market's days: the last session of each month, quarter or year."""
    from tradesim.triggers.cron import review_days

    return review_days(PERIOD_CRON[frequency], config.calendar, market.dates, snap="previous")


class ScheduledFlows:
    """The config's dated ``[[cash_flows]]`` and ``[contributions]``: known in advance, one list per day."""

    def __init__(self, config: "PortfolioConfig", market: "Market") -> None:
        self.by_day: dict[int, list[CashFlow]] = {}
        ccy = config.base_currency
        days = market.dates.tz_localize(None) if market.dates.tz is not None else market.dates
        for flow in config.cash_flows:
            t = int(days.searchsorted(np.datetime64(flow.date)))  # a holiday's flow moves to the next session
            if t < len(days):
                kind = flow.kind or ("contribution" if flow.amount > 0 else "withdrawal")
                self.by_day.setdefault(t, []).append(CashFlow(kind, flow.amount, ccy, note=flow.note))
        plan = config.contributions
        if plan is not None:
            for t in np.flatnonzero(period_ends(plan.frequency, config, market)):
                day = days[t].date()
                if (plan.start is None or day >= plan.start) and (plan.end is None or day <= plan.end):
                    kind = "contribution" if plan.amount > 0 else "withdrawal"
                    self.by_day.setdefault(int(t), []).append(
                        CashFlow(kind, plan.amount, ccy, note=f"scheduled, {plan.frequency}"))

    def __call__(self, t: int, positions: np.ndarray, nav: float) -> Sequence[CashFlow]:
        return self.by_day.get(t, ())


class SpendingRule:
    """An endowment's payout: ``rate`` a year of NAV, paid each period, on a smoothed NAV.

    Each payment is rate / periods-a-year x the average of the NAV (at the close, before
    the payment) on this and the previous payment days within ``smoothing_years`` (a
    3-year smoothing paid quarterly averages 12 NAVs; fewer until there are that many).
    Smoothing makes the payout steadier than the markets, as endowments want.
    The NAVs behind the average travel in the book, so a paper account resumes exactly.
    """

    def __init__(self, config: "PortfolioConfig", market: "Market") -> None:
        rule = config.spending
        self.rate, self.frequency, self.currency = rule.rate, rule.frequency, config.base_currency
        self.per_year = PERIODS_PER_YEAR[rule.frequency]
        self.window = max(1, round(rule.smoothing_years * self.per_year))
        self.paydays = period_ends(rule.frequency, config, market)
        days = market.dates.tz_localize(None) if market.dates.tz is not None else market.dates
        if rule.start is not None:
            self.paydays &= np.asarray(days >= np.datetime64(rule.start))

    def pay(self, t: int, nav: float, history: tuple[float, ...]) -> tuple[CashFlow | None, tuple[float, ...]]:
        """Day t's payment (None off payment days) and the NAV history to carry forward."""
        if not self.paydays[t] or nav <= 0:
            return None, history
        history = (*history, nav)[-self.window:]
        base = sum(history) / len(history)
        amount = -self.rate / self.per_year * base
        days = f"{len(history)} payment day" + ("s" if len(history) > 1 else "")
        note = f"{self.rate:.2%} a year of {_money(base)}, the mean NAV of {days}"
        return CashFlow("spending", amount, self.currency, note=note), history


def _money(x: float) -> str:
    return f"{x:,.2f}"
