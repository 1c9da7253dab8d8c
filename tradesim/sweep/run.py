"""A sweep from start to end: plan the variants, share the markets, run, record as results arrive.

The client loads each distinct market once (variants that change only the optimiser,
costs or capital share one) and scatters it to every worker; a task then carries only
its config. Results are recorded by this process, one variant per transaction, in the
order they finish. A variant that fails (its data, its config) is reported and not
recorded, so a rerun tries it again; the others carry on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from db.ledger import code_version
from db.session import open_engine
from tradesim.errors import ConfigError, TradesimError
from tradesim.market import Market
from tradesim.metrics import DAYS_PER_YEAR, daily_returns
from tradesim.schema import PortfolioConfig
from tradesim.sweep import record as ledger
from tradesim.sweep.grid import Variant, file_variants, grid_variants, sweep_id as make_sweep_id
from tradesim.sweep.task import VariantResult, run_variant, start_worker

log = logging.getLogger(__name__)

LEDGER_MODES = ("summary", "full")
WORKER_WAIT = 60  # seconds a sweep waits for the cluster's first worker
MAX_ATTEMPTS = 3  # submissions of one variant whose shared market keeps being lost


class NotReady(TradesimError):
    """The cluster has no workers yet: try again later."""

    exit_code = 3
IDEAL = "ideal"  # task-key prefix of the ideal runs a comparing sweep needs


@dataclass(frozen=True)
class Plan:
    sweep_id: str
    config: PortfolioConfig  # the base config (with any fixed --set)
    axes: dict[str, list]
    variants: list[Variant]
    configs: dict[str, PortfolioConfig]  # variant key -> its config
    ledger: str
    compare: bool


@dataclass
class Outcome:
    sweep_id: str
    recorded: dict[str, int] = field(default_factory=dict)  # variant key -> run id
    skipped: list[str] = field(default_factory=list)  # already in the ledger before this run
    failed: dict[str, TradesimError | Exception] = field(default_factory=dict)
    results: list[VariantResult] = field(default_factory=list)
    worker_start: dict[str, float] = field(default_factory=dict)  # worker -> seconds of start_worker

    @property
    def exit_code(self) -> int:
        codes = [getattr(e, "exit_code", 1) for e in self.failed.values()]
        return 1 if 1 in codes else max(codes, default=0)


def plan(load: Callable[[Sequence[str]], PortfolioConfig], grid: Sequence[str] = (), sweep_file: Path | None = None,
         sets: Sequence[str] = (), ledger_mode: str = "summary", compare: bool = False,
         name: str | None = None) -> Plan:
    """Every variant's config, validated before anything runs: a bad value stops the sweep here.

    ``load(sets)`` reads the base config with ``--set`` assignments applied (the CLI's
    ``load_config``, so a variant is exactly what ``replay --set`` would run).
    """
    if ledger_mode not in LEDGER_MODES:
        raise TradesimError(f"--ledger {ledger_mode!r}: choose summary or full")
    if bool(grid) == (sweep_file is not None):
        raise TradesimError("give the variants as --grid KEY=V1,V2,... or as --file SWEEP.toml (one of them)")
    if sweep_file is not None:
        axes, variants = {}, file_variants(sweep_file)
    else:
        axes, variants = grid_variants(grid)
    fixed = {s.partition("=")[0].strip() for s in sets}
    clash = fixed & {k for v in variants for k, _ in v.overrides}
    if clash:
        raise TradesimError(f"--set {sorted(clash)[0]}: the key is also swept; give it in one place")
    base = load(list(sets))
    configs = {}
    for v in variants:
        try:
            configs[v.key] = load([*sets, *v.sets])
        except ConfigError as exc:
            raise ConfigError(f"variant {v.label}: {exc}") from None
    sweep = name or make_sweep_id(base.canonical_json(), variants, ledger_mode + (":compare" if compare else ""))
    if len(sweep) > 64 or not sweep.replace("-", "").replace("_", "").isalnum():
        raise TradesimError(f"--id {sweep!r}: up to 64 letters, digits, '-' and '_'")
    return Plan(sweep, base, axes, variants, configs, ledger_mode, compare)


def market_key(config: PortfolioConfig) -> str:
    """What the prices depend on: variants equal here share one loaded market."""
    fields = ("data", "instruments", "start", "end", "base_currency", "calendar")
    return json.dumps(config.model_dump(mode="json", include=set(fields)), sort_keys=True)


def ideal_config(config: PortfolioConfig) -> PortfolioConfig:
    """The variant's ideal (fractional positions, no costs), with the optimiser settings that
    cannot move fractional positions at their defaults, so variants differing only there
    share one ideal run. The buffer stays when a trigger's bands are made of it."""
    from tradesim.compare import variant_config
    from tradesim.schema import OptimiserConfig

    ideal = variant_config(config, "none")
    inert = ["cost_multiplier", "polish", "start", "backend"] + (["buffer_fraction"] if config.trigger is None else [])
    defaults = {name: OptimiserConfig.model_fields[name].default for name in inert}
    return ideal.model_copy(update={"optimiser": ideal.optimiser.model_copy(update=defaults)})


def compare_with_ideal(result: VariantResult, ideal: VariantResult) -> ledger.Comparison:
    """As ``tradesim compare`` defines them: drag in annual return, TE of daily returns."""
    base = daily_returns(ideal.nav, ideal.config.capital)
    r = daily_returns(result.nav, result.config.capital)
    te = float(np.std(r - base, ddof=1) * np.sqrt(DAYS_PER_YEAR)) if len(r) > 1 else 0.0
    return ledger.Comparison(ideal.summary.annual_return - result.summary.annual_return, te)


def run(plan: Plan, db_url: str, client=None, *, load_market: Callable[[PortfolioConfig], Market],  # noqa: ANN001
        on_start: Callable[[int, int], None] | None = None,
        on_variant: Callable[[str, int | None, BaseException | None], None] | None = None) -> Outcome:
    """Run the variants not yet recorded; ``client`` None runs them here, one after another.

    ``on_start(todo, already)`` and ``on_variant(key, run_id, error)`` report progress.
    """
    db = open_engine(db_url)
    try:
        ledger.open_sweep(db, plan.sweep_id, plan.config, plan.axes, plan.ledger)
        done = ledger.recorded(db, plan.sweep_id)
        outcome = Outcome(plan.sweep_id, skipped=[v.key for v in plan.variants if v.key in done])
        todo = [v for v in plan.variants if v.key not in done]
        if on_start is not None:
            on_start(len(todo), len(outcome.skipped))
        if not todo:
            return outcome
        labels = {v.key: v.label for v in plan.variants}
        markets: dict[str, Market] = {}
        jobs: dict[str, tuple[PortfolioConfig, str]] = {}  # task key -> (config, market key)
        ideal_of: dict[str, str] = {}
        unloadable: dict[str, TradesimError] = {}
        for v in todo:
            cfg = plan.configs[v.key]
            mkey = market_key(cfg)
            if mkey not in markets and mkey not in unloadable:
                try:
                    markets[mkey] = load_market(cfg)
                except TradesimError as exc:  # this variant's data (a sanity limit, a date range): it alone fails
                    unloadable[mkey] = exc
            if mkey in unloadable:
                outcome.failed[v.key] = unloadable[mkey]
                if on_variant is not None:
                    on_variant(v.key, None, unloadable[mkey])
                continue
            jobs[v.key] = (cfg, mkey)
            if plan.compare:
                ideal = ideal_config(cfg)
                ideal_of[v.key] = f"{IDEAL}:{ideal.config_hash()}"
                jobs.setdefault(ideal_of[v.key], (ideal, mkey))
        version = code_version()
        ideals: dict[str, VariantResult] = {}
        waiting: dict[str, list[VariantResult]] = {}

        def finish(result: VariantResult, ideal: VariantResult | None) -> None:
            comparison = compare_with_ideal(result, ideal) if ideal is not None else None
            run_id = ledger.record(db, plan.sweep_id, labels[result.key], result,
                                   markets[jobs[result.key][1]].dates, comparison, version)
            if run_id is not None:
                outcome.recorded[result.key] = run_id
            else:
                outcome.skipped.append(result.key)
            outcome.results.append(_light(result))
            if on_variant is not None:
                on_variant(result.key, run_id, None)

        for key, result, error in _execute(client, plan, jobs, markets, outcome):
            if error is not None:
                if key.startswith(IDEAL):  # every variant waiting on this ideal fails with it
                    for k in [k for k, i in ideal_of.items() if i == key and k not in outcome.recorded]:
                        outcome.failed[k] = error
                        if on_variant is not None:
                            on_variant(k, None, error)
                else:
                    outcome.failed[key] = error
                    if on_variant is not None:
                        on_variant(key, None, error)
            elif key.startswith(IDEAL):
                ideals[key] = result
                for waiting_result in waiting.pop(key, []):
                    finish(waiting_result, result)
            elif key in ideal_of and ideal_of[key] not in ideals:
                waiting.setdefault(ideal_of[key], []).append(result)
            else:
                finish(result, ideals.get(ideal_of.get(key, "")))
        return outcome
    finally:
        db.dispose()


def _light(result: VariantResult) -> VariantResult:
    """What the caller keeps of a recorded result: figures, not the days."""
    from dataclasses import replace

    return replace(result, equity={}, diagnostics={}, days=None)


def _execute(client, plan: Plan, jobs: dict, markets: dict[str, Market],  # noqa: ANN001
             outcome: Outcome) -> Iterator[tuple]:
    """(task key, result, error) as tasks finish: on Dask, or here one after another."""
    full = plan.ledger == "full"
    if client is None:
        for key, (cfg, mkey) in jobs.items():
            try:
                yield key, run_variant(key, cfg, markets[mkey], full), None
            except TradesimError as exc:
                yield key, None, exc
        return
    from distributed import as_completed

    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT)
    except TimeoutError:
        raise NotReady(f"Dask scheduler {client.scheduler.address}: no worker joined within {WORKER_WAIT} s") from None
    backends = tuple(sorted({cfg.optimiser.backend for cfg, _ in jobs.values() if cfg.optimiser.method == "dynamic"}))
    outcome.worker_start.update(client.run(start_worker, backends))
    shared: dict = {}
    attempts: dict[str, int] = {}

    def submit(key: str):  # noqa: ANN202
        cfg, mkey = jobs[key]
        if mkey not in shared or shared[mkey].status != "finished":
            # Scattered once to every worker: each task then refers to its market by key. A
            # market is scattered again only if every worker holding it died.
            shared[mkey] = client.scatter(markets[mkey], broadcast=True, hash=False)
        attempts[key] = attempts.get(key, 0) + 1
        return client.submit(run_variant, key, cfg, shared[mkey], full, pure=False,
                             key=f"{plan.sweep_id}-{_short(key)}-{attempts[key]}")

    futures = {submit(key): key for key in jobs}
    pending = as_completed(futures)
    try:
        for future in pending:
            key = futures.pop(future)
            if future.cancelled() and attempts[key] < MAX_ATTEMPTS:
                # Its market was lost with the workers that held it (Dask itself reruns a
                # task whose worker died, but cannot recompute scattered data).
                log.warning("variant %s lost its market data: resubmitted", key)
                retry = submit(key)
                futures[retry] = key
                pending.add(retry)
            elif future.status == "error" or future.cancelled():
                yield key, None, _task_error(future)
            else:
                yield key, future.result(), None
            future.release()  # the result is recorded: the cluster can forget it
    finally:
        client.cancel(list(futures))
        for market in shared.values():
            market.release()


def _task_error(future) -> BaseException:  # noqa: ANN001
    if future.cancelled():
        return RuntimeError(f"task {future.key} was cancelled by the cluster")
    return future.exception()


def _short(key: str) -> str:
    from hashlib import sha256

    return sha256(key.encode()).hexdigest()[:12]
