"""How far a call travels through the package, and that it is safe in forked processes.

The numerical core is meant to be read: a call such as ``softmax([1.0, 2.0, 3.0])`` or
``log_softmax(x, axis=0)`` on a large array crosses at most 12 distinct companion
functions. And since the package keeps no threads, pools or caches between calls, a child
process forked after the parent has used it works like any other.
"""

import multiprocessing
import sys
from pathlib import Path

import numpy as np
import pytest

import companion

PACKAGE = Path(companion.__file__).resolve().parent


def route(f, *args, **kwargs) -> set[str]:
    """The distinct companion functions (module:qualified name) that run during ``f(*args, **kwargs)``."""
    seen = set()

    def profiler(frame, event, arg):
        path = Path(frame.f_code.co_filename)
        if event == "call" and path.is_relative_to(PACKAGE) and "<" not in frame.f_code.co_name:  # no comprehensions
            seen.add(f"{path.stem}:{frame.f_code.co_qualname}")

    sys.setprofile(profiler)
    try:
        f(*args, **kwargs)
    finally:
        sys.setprofile(None)
    return seen


BIG = 4 * np.random.default_rng(0).standard_normal((1024, 512))


@pytest.mark.parametrize(
    "call",
    [
        lambda: companion.softmax([1.0, 2.0, 3.0]),
        lambda: companion.log_softmax([1.0, 2.0, 3.0]),
        lambda: companion.softmax(BIG),
        lambda: companion.softmax(BIG, axis=0),
        lambda: companion.log_softmax(BIG, axis=0),
        lambda: companion.log_softmax(BIG[:, :10]),  # short rows, laid side by side
        lambda: companion.logsumexp(BIG, axis=0),
        lambda: companion.log_softmax(BIG - 1e4, axis=0),  # a shift
    ],
    ids=["softmax 3", "log_softmax 3", "softmax rows", "softmax axis 0", "log_softmax axis 0",
         "log_softmax short rows", "logsumexp axis 0", "log_softmax shifted"],
)
def test_a_call_crosses_at_most_twelve_functions(call):
    functions = route(call)
    assert 5 <= len(functions) <= 12, sorted(functions)


def test_the_route_is_what_the_book_prints():
    """The numerics chapter explains these functions line by line: they are the ones that run."""
    functions = route(companion.log_softmax, BIG, axis=0)
    for name in ("_slices", "_blocks", "_shift", "_sum_exp", "_pairwise_sum", "_log_partition", "_log_softmax_block"):
        assert f"_core:{name}" in functions


def _log_softmax_sum(x: np.ndarray) -> float:
    return float(companion.log_softmax(x).sum())


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform")
def test_a_forked_worker_completes_after_the_parent_used_the_package():
    """The reproduction of the old hang: a large call in the parent, then the same call in forked workers."""
    x = 4 * np.random.default_rng(1).standard_normal((2048, 1024))
    expected = _log_softmax_sum(x)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        got = pool.map_async(_log_softmax_sum, [x, x]).get(timeout=120)
    assert got == [expected, expected]
