"""Parameter sweeps: many variants of one config, run on ``dask.distributed``.

- ``grid``: the variants (``--grid KEY=V1,V2`` axes or a sweep file) and the sweep's id;
- ``task``: what a worker does with one variant (a replay kept in memory) and the compact
  result it sends back;
- ``record``: the one writer, which puts each finished variant in the ledger in one
  transaction, so a variant is recorded once however often the sweep is rerun;
- ``cluster``: the Dask client, on a local cluster or an existing scheduler;
- ``run``: the sweep itself: markets loaded once and scattered, variants submitted,
  results recorded as they arrive.
"""
