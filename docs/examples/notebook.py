# Inverse-volatility weights, set at each month end, backtested on the bundled prices.
import pandas as pd

import tradesim
from tradesim.data.bundled import BundledSource

closes = BundledSource("sp500").load(["AAPL", "MSFT", "KO", "XOM"]).close.loc["2016":"2019"]

# Each month end, 15% risk split equally: weight = 0.15 / 4 / annualised volatility of the last
# 60 days (data up to that close only; the weight is first used at that close).
vol = closes.pct_change().rolling(60).std() * 256**0.5
month_ends = closes.groupby(closes.index.to_period("M")).tail(1).index
weights = (0.15 / 4 / vol).loc[month_ends].dropna()

result = tradesim.backtest(closes, weights=weights, capital=250_000, risk_target=0.15,
                           optimiser="dynamic", cost_multiplier=50, rebalance="weekly")
print({k: round(result.summary[k], 4) for k in ("annualized_return", "avg_tracking_error",
                                                "avg_adjustment_factor", "annual_turnover")})
print(result.equity["nav"].iloc[-1], len(result.trades), result.positions.iloc[-1].to_dict())

table = tradesim.compare(closes, weights=weights, capital=250_000, risk_target=0.15, rebalance="weekly")
print(table[["annualized_return", "avg_tracking_error", "total_turnover", "drag"]])
