"""Each day's covariance worked out ahead of a replay's loop, on a thread of its own.

A replay's days come in order, and each day's covariance depends on the market alone: the
weekly correlation's update, its shrinkage and check (a Cholesky) and the day's products
(Jumbo: about 0.5 s of the loop's thread) can run beside the loop, on the core it leaves
free. The loop takes them ready, one handover a week.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence

import numpy as np

# Weeks worked out and waiting (each a few days' N x N arrays: about 0.6 MB a week on Jumbo).
WEEKS_AHEAD = 2


class CovariancesAhead:
    """``covariance(t)`` for the days of ``weeks`` in turn, worked out on a thread of its own;
    called as ``ahead(t)`` for those days in the same order. ``covariance`` is then called by
    that thread alone. An error it raises is raised by ``ahead(t)`` on the day it belongs to."""

    def __init__(self, covariance: Callable[[int], np.ndarray], weeks: Sequence[range]) -> None:
        self._ready: queue.Queue = queue.Queue(maxsize=WEEKS_AHEAD)
        self._stopping = threading.Event()
        self._days: range = range(0)
        self._sigmas: list[np.ndarray] | BaseException = []
        self._thread = threading.Thread(target=self._work, args=(covariance, weeks), name="covariances-ahead",
                                        daemon=True)
        self._thread.start()

    def _work(self, covariance: Callable[[int], np.ndarray], weeks: Sequence[range]) -> None:
        for days in weeks:
            sigmas: list[np.ndarray] = []
            for t in days:
                try:
                    sigmas.append(covariance(t))
                except BaseException as exc:  # noqa: BLE001 (raised on the loop's thread, on day t)
                    if sigmas:
                        self._hand_over(range(days.start, t), sigmas)
                    self._hand_over(range(t, t + 1), exc)
                    return
            if not self._hand_over(days, sigmas):
                return

    def _hand_over(self, days: range, sigmas: list[np.ndarray] | BaseException) -> bool:
        """Queue one week's covariances (or the error of its day); False once told to stop."""
        while not self._stopping.is_set():
            try:
                self._ready.put((days, sigmas), timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __call__(self, t: int) -> np.ndarray:
        if t not in self._days:
            expected = self._days.stop if self._days else None
            if expected is not None and t != expected:
                raise ValueError(f"covariance({t}) asked for after day {expected - 1}: days must come in order")
            self._days, self._sigmas = self._ready.get()
            if t != self._days.start:
                raise ValueError(f"covariance({t}) asked for, day {self._days.start} is next")
        if isinstance(self._sigmas, BaseException):
            raise self._sigmas
        return self._sigmas[t - self._days.start]

    def stop(self) -> None:
        """End the thread (the loop is done, or stopped early); waits for the week in hand."""
        self._stopping.set()
        self._thread.join()
        while not self._ready.empty():  # what it had queued, dropped now rather than with the engine
            self._ready.get_nowait()
