"""Splitting the work over threads never changes a result, bit for bit."""

import numpy as np
import pytest

import companion
from companion import _kernels, _parallel

SHAPES = [((300,), -1), ((40, 50), -1), ((50, 40), 0), ((64, 7), -1), ((6, 30, 3), 1), ((3, 200, 2), 1), ((100, 20), 0)]


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks of 16 elements and threads from 64 elements up: every path is split on small arrays."""
    monkeypatch.setattr(_kernels, "BLOCK", 16)
    monkeypatch.setattr(_parallel, "MIN_SIZE", 64)


@pytest.mark.parametrize("shape, axis", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_threads_give_identical_results(shape, axis, dtype, tiny_blocks, monkeypatch):
    x = (6 * np.random.default_rng(0).standard_normal(shape)).astype(dtype)
    x.flat[::17] = -np.inf
    results = {}
    for threads in ("1", "3"):
        monkeypatch.setenv("COMPANION_NUM_THREADS", threads)
        results[threads] = [
            companion.softmax(x, axis=axis),
            companion.log_softmax(x, axis=axis),
            companion.logsumexp(x, axis=axis),
            companion.softmax(x, axis=axis, temperature=0.3),
        ]
    for one, three in zip(results["1"], results["3"]):
        np.testing.assert_array_equal(one, three)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_row_chunks_give_identical_results(dtype, monkeypatch):
    """Axis 0 over a wide inner axis, at the default block size (the row-chunk path)."""
    monkeypatch.setattr(_parallel, "MIN_SIZE", 64)
    x = (4 * np.random.default_rng(2).standard_normal((700, 300))).astype(dtype)
    results = {}
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("COMPANION_NUM_THREADS", threads)
        results[threads] = [f(x, axis=0) for f in (companion.softmax, companion.log_softmax)]
    for other in ("2", "3"):
        for one, many in zip(results["1"], results[other]):
            np.testing.assert_array_equal(one, many)


def test_thread_count_setting(monkeypatch):
    monkeypatch.setenv("COMPANION_NUM_THREADS", "3")
    assert _parallel.configured_threads() == 3
    assert _parallel.threads_for(10) == 1
    monkeypatch.setenv("COMPANION_NUM_THREADS", "0")
    assert _parallel.configured_threads() == 1
    monkeypatch.setenv("COMPANION_NUM_THREADS", "many")
    with pytest.raises(ValueError, match="COMPANION_NUM_THREADS must be a positive integer"):
        _parallel.configured_threads()
    monkeypatch.delenv("COMPANION_NUM_THREADS")
    assert 1 <= _parallel.configured_threads() <= _parallel.MAX_THREADS


def test_split_covers_the_range():
    for n in (0, 1, 5, 17):
        for parts in (1, 2, 3, 8):
            pieces = _parallel.split(n, parts)
            assert [i for r in pieces for i in r] == list(range(n))
            assert all(len(r) for r in pieces) or n == 0


def test_float32_log1p_is_accurate():
    rng = np.random.default_rng(3)
    t = np.concatenate([[0.0, 1e-30, 1e-8, 0.5, 1.0, 3e7], np.geomspace(1e-12, 1e6, 20001), rng.random(20000)])
    t = t.astype(np.float32)
    got = _kernels.log1p(t)
    ref = np.log1p(t.astype(np.longdouble))  # 80-bit on x86: a reference independent of the float64 route
    assert got.dtype == np.float32
    spacing = np.spacing(np.maximum(ref, 1e-45).astype(np.float32)).astype(np.longdouble)
    ulps = np.abs(got.astype(np.longdouble) - ref) / spacing
    assert ulps.max() <= 0.5 + 1e-6  # the float64 value is good to far below a float32 ulp: one rounding
    with np.errstate(all="ignore"):  # as the kernels run
        special = _kernels.log1p(np.array([np.inf, np.nan, -1.0], dtype=np.float32))
        zero_d = _kernels.log1p(np.array(1e-9, dtype=np.float32))
    assert special[0] == np.inf and np.isnan(special[1]) and special[2] == -np.inf
    assert zero_d.shape == () and zero_d == np.float32(1e-9)
