"""Benchmark loading a futures market from pysystemtrade's files against the price cache they were imported into.

    python scripts/bench_price_cache.py [--config strategies/configs/jumbo.toml] [--data PATH] [--db PATH]
                                        [--repeat 3]

--data is the folder of pysystemtrade files (default: the shared futures data beside the
repository); --db a price cache already imported from it (default: a temporary one,
imported first, which takes a while). Each load builds the config's whole market
(prices, FX, alignment) the way a replay does; the figures are the median of --repeat
loads, files and cache alternating, and their ratio. The two markets are checked equal.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from peak import this_process_mb  # beside this script

from tradesim.cli.data import import_pysystemtrade
from tradesim.config import load_config
from tradesim.data.cached import CachedSource
from tradesim.data.pysystemtrade import PysystemtradeSource
from tradesim.market import build_market

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path | None:
    for up in ("..", "../.."):
        folder = (REPO / up / "shared" / "data" / "futures").resolve()
        if (folder / "instruments.csv").is_file():
            return folder
    return None


def config_for(path: Path, data: Path, folder: Path):  # noqa: ANN201
    """The config with its data pointed at ``data`` (its own relative path may not reach it)."""
    text = re.sub(r'(?m)^path = ".*"$', f'path = "{data}"', path.read_text(), count=1)
    copy = folder / path.name
    copy.write_text(text)
    return load_config(copy)


def same_market(a, b) -> bool:  # noqa: ANN001
    """The same days and every price, contract, FX rate and has-price flag equal (NaN where NaN)."""
    return a.dates.equals(b.dates) and all(
        np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True)
        for f in ("close", "has_price", "contract_price", "fx", "contract", "carry_contract", "carry_price"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "strategies" / "configs" / "jumbo.toml")
    parser.add_argument("--data", type=Path, default=shared_data())
    parser.add_argument("--db", help="a price cache imported from --data (default: import into a temporary one)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.data is None or not (args.data / "instruments.csv").is_file() and not (args.data / "csvconfig").is_dir():
        raise SystemExit("no futures data: pass --data (a folder of pysystemtrade files)")
    with tempfile.TemporaryDirectory() as tmp:
        config = config_for(args.config, args.data, Path(tmp))
        url = args.db if args.db and "://" in args.db else f"sqlite:///{args.db or Path(tmp) / 'cache.db'}"
        if args.db is None:
            t0 = time.perf_counter()
            import_pysystemtrade(args.data, url, symbols=config.symbols)
            print(f"imported {len(config.symbols)} instruments into {url} in {time.perf_counter() - t0:.1f} s")
        first = config.start.replace(year=config.start.year - 2) if config.start else None
        times: dict[str, list[float]] = {"files": [], "cache": []}
        markets = {}
        for _ in range(args.repeat):
            for name in times:
                source = PysystemtradeSource(args.data) if name == "files" else CachedSource(url)
                t0 = time.perf_counter()
                markets[name] = build_market(config, source.load(config.symbols, first, config.end))
                times[name].append(time.perf_counter() - t0)
    a, b = markets["files"], markets["cache"]
    same = same_market(a, b)
    print(f"market: {a.n_instruments} instruments x {a.n_days:,} days; files and cache equal: {same}")
    files, cache = statistics.median(times["files"]), statistics.median(times["cache"])
    print(f"{'load':<8} {'median s':>9} {'best s':>7}")
    for name, ts in times.items():
        print(f"{name:<8} {statistics.median(ts):>9.2f} {min(ts):>7.2f}")
    print(f"cache / files: {cache / files:.2f}x")
    print(f"peak RSS of this process (both markets held): {this_process_mb():.0f} MB")
    if not same:
        raise SystemExit("the price cache's market differs from the files'")


if __name__ == "__main__":
    main()
