"""The compiled searches' exact choices, however they are computed: the first lowest
candidate found with running minima side by side, and a day's starts shared with a second
thread. Both must take the very decisions of the plain scan and of one thread."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradesim.optimiser import dynamic
from tradesim.optimiser.dynamic import dynamic_search
from tradesim.optimiser.problem import prepare_problem

from test_optimiser_properties import SETTINGS, problems

kn = pytest.importorskip("tradesim.optimiser.kernels_numba")

# Ties, signed zeros, infinities and NaNs: where a scan's "first strictly lower" matters.
values = st.lists(st.sampled_from([0.0, -0.0, 1.0, 1.5, 2.0, -3.0, np.inf, np.nan]), min_size=1, max_size=13)


def _scan_first_minimum(f):
    best = 0
    for i in range(1, len(f)):
        if f[i] < f[best]:
            best = i
    return best


def _scan_first_lowest_below(up, down, threshold):
    best_f, best = threshold, -1
    for i in range(len(up)):
        if up[i] < best_f:
            best_f, best = up[i], 2 * i
        if down[i] < best_f:
            best_f, best = down[i], 2 * i + 1
    return best


@SETTINGS
@given(values)
def test_first_minimum_is_the_scans(f):
    f = np.array(f)
    assert kn._first_minimum(f) == _scan_first_minimum(f)
    if not np.isnan(f).any():
        assert kn._first_minimum(f) == int(np.argmin(f))


@SETTINGS
@given(values, values, st.sampled_from([2.0, 1.5, 0.0, np.inf, np.nan]))
def test_first_lowest_below_is_the_scans(up, down, threshold):
    n = min(len(up), len(down))
    up, down = np.array(up[:n]), np.array(down[:n])
    assert kn._first_lowest_below(up, down, threshold) == _scan_first_lowest_below(up, down, threshold)


@SETTINGS
@given(values, st.integers(0, 12), st.sampled_from([2.0, 0.0, np.inf, np.nan]))
def test_lowest_is_the_scans_minimum(f, start, bound):
    f = np.array(f)
    start = min(start, len(f))
    expected = bound
    for value in f[start:]:
        if value < expected:
            expected = value
    got = kn._lowest(f, start, len(f), bound)
    assert (np.isnan(got) and np.isnan(expected)) or got == expected


def _alone_and_shared(problem, monkeypatch):
    """dynamic_search on one thread, then with the second thread forced on (whatever the cores)."""
    monkeypatch.setattr(dynamic, "SIDE_THREAD_FROM", 0)
    monkeypatch.setattr(dynamic, "_side_thread", False)
    alone = dynamic_search(problem)
    with ThreadPoolExecutor(1) as pool:
        monkeypatch.setattr(dynamic, "_side_thread", pool)
        shared = dynamic_search(problem)
    return alone, shared


@SETTINGS
@given(problems())
def test_starts_shared_with_a_second_thread_end_as_one_threads_do(args):
    """The same positions, passes and moves: a search that does not know the other thread's
    minima only re-checks their pairs, and a start both threads have is counted once."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        alone, shared = _alone_and_shared(prepare_problem(**args), monkeypatch)
    assert np.array_equal(shared.x, alone.x)
    assert (shared.passes, shared.polish_moves) == (alone.passes, alone.polish_moves)


@pytest.mark.parametrize("name", [f"{kind}_prob_N{n:03d}_0{k}.json" for kind, n in
                                  (("dense", 50), ("dense", 100), ("sparse", 100)) for k in range(6)])
def test_reference_problems_end_alike_on_one_or_two_threads(name, load_problem, monkeypatch):
    alone, shared = _alone_and_shared(prepare_problem(**load_problem(name)), monkeypatch)
    assert np.array_equal(shared.x, alone.x)
    assert (shared.passes, shared.polish_moves) == (alone.passes, alone.polish_moves)


def test_the_second_thread_starts_only_for_books_big_enough(monkeypatch):
    """Handing work over costs tens of microseconds: a 20-stock book keeps its searches here."""
    calls = []
    monkeypatch.setattr(dynamic, "side_thread", lambda: calls.append(1))
    rng = np.random.default_rng(3)
    for n in (20, dynamic.SIDE_THREAD_FROM):
        A = rng.normal(size=(n, n))
        Sigma = 0.01 * (A @ A.T) / n + 0.01 * np.eye(n)
        dynamic_search(prepare_problem(rng.normal(0, 5, n), np.zeros(n, dtype=np.int64), np.full(n, 0.05),
                                       (Sigma + Sigma.T) / 2, np.full(n, 0.001)))
    assert calls == [1]


def _big_problem(n=60, seed=5):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))
    Sigma = 0.01 * (A @ A.T) / n + 0.01 * np.eye(n)
    return prepare_problem(rng.normal(0, 5, n), rng.integers(-3, 4, n), np.full(n, 0.05), (Sigma + Sigma.T) / 2,
                           np.full(n, 0.001))


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="no fork on this platform")
def test_a_forked_child_searches_on_its_own_second_thread(monkeypatch):
    """A notebook replays Jumbo (the second thread starts), then forks workers: the child has no
    such thread, only the parent's record of it, and work handed to it would wait for ever."""
    import multiprocessing

    monkeypatch.setattr(dynamic, "_side_thread", None)
    with ThreadPoolExecutor(1) as pool:
        monkeypatch.setattr(dynamic, "_side_thread", pool)
        expected = dynamic_search(_big_problem())  # the parent's thread has run work
        context = multiprocessing.get_context("fork")
        queue = context.Queue()

        # The child inherits the parent's pool object; the fork hook must make it start its own.
        process = context.Process(target=_search_in_child, args=(queue,))
        process.start()
        process.join(60)
        alive = process.is_alive()
        if alive:
            process.kill()
        assert not alive, "the forked child's search waited for a thread that is not there"
        x, passes, moves = queue.get(timeout=5)
    assert x == expected.x.tolist() and (passes, moves) == (expected.passes, expected.polish_moves)


def _search_in_child(queue):
    dynamic.SIDE_THREAD_FROM = 0
    assert dynamic._side_thread is None  # reset by the fork hook
    found = dynamic_search(_big_problem())
    queue.put((found.x.tolist(), found.passes, found.polish_moves))


def test_the_side_thread_hands_back_values_and_errors_in_order():
    """Work runs in the order handed over, on another thread; an error is raised where the result
    is asked for, and the thread goes on serving."""
    import threading

    side = dynamic.SideThread()
    seen = []
    first = side.submit(lambda a, b: seen.append(threading.current_thread().name) or a + b, 2, 3)
    failed = side.submit(lambda: 1 / 0)
    last = side.submit(lambda: len(seen))
    assert first.result() == 5 and first.result() == 5  # asked twice: the same value
    with pytest.raises(ZeroDivisionError):
        failed.result()
    assert last.result() == 1
    assert seen == ["optimiser-search"]
