"""Gumbel sampling: the right distribution, reproducible from a Generator, never NumPy's global state."""

import numpy as np
import pytest
from scipy import stats

import companion


def test_gumbel_max_draws_follow_softmax():
    p = np.array([0.5, 0.25, 0.15, 0.1])
    draws = companion.gumbel_max_sample(np.log(p), np.random.default_rng(2026), size=40_000)
    counts = np.bincount(draws, minlength=4)
    assert stats.chisquare(counts, 40_000 * p).pvalue > 0.01


def test_gumbel_max_is_reproducible_and_leaves_global_state_alone():
    state = np.random.get_state()[1].copy()
    a = companion.gumbel_max_sample(np.zeros((3, 5)), np.random.default_rng(7), size=(2, 4))
    b = companion.gumbel_max_sample(np.zeros((3, 5)), np.random.default_rng(7), size=(2, 4))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (2, 4, 3) and a.dtype.kind == "i"
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_gumbel_max_special_logits():
    rng = np.random.default_rng(3)
    draws = companion.gumbel_max_sample(np.array([0.0, -np.inf, 5.0, -np.inf]), rng, size=2000)
    assert not np.isin(draws, [1, 3]).any()
    draws = companion.gumbel_max_sample(np.array([np.inf, 1e300, np.inf]), rng, size=4000)
    counts = np.bincount(draws, minlength=3)
    assert counts[1] == 0 and abs(counts[0] - counts[2]) < 300  # the +inf classes, equally often
    assert companion.gumbel_max_sample(np.array([2.0]), rng).shape == ()


def test_gumbel_softmax_is_on_the_simplex_and_sharpens_as_t_goes_to_zero():
    logits = np.log(np.array([0.6, 0.3, 0.1]))
    soft = companion.gumbel_softmax(np.tile(logits, (1000, 1)), 1.0, np.random.default_rng(4))
    np.testing.assert_allclose(soft.sum(axis=-1), 1.0, rtol=1e-15)
    sharp = companion.gumbel_softmax(np.tile(logits, (1000, 1)), 0.01, np.random.default_rng(4))
    hard = companion.gumbel_max_sample(np.tile(logits, (1000, 1)), np.random.default_rng(4))
    assert (sharp.max(axis=-1) > 0.99).mean() > 0.95
    # The same noise decides both: argmax of the relaxed sample is the Gumbel-max draw.
    np.testing.assert_array_equal(sharp.argmax(axis=-1), hard)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_gumbel_softmax_keeps_the_dtype(dtype):
    y = companion.gumbel_softmax(np.zeros((2, 3), dtype=dtype), 0.5, np.random.default_rng(5), axis=0)
    assert y.dtype == dtype and y.shape == (2, 3)
    np.testing.assert_allclose(y.sum(axis=0).astype(float), 1.0, rtol=1e-2 if dtype == np.float16 else 1e-6)
