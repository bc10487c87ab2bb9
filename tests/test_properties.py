"""Mathematical properties of softmax, log-softmax and log-sum-exp, checked with Hypothesis.

SciPy and mpmath are test-only references here; the companion itself depends on NumPy alone.
"""

import mpmath
import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import companion

finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)
vectors = arrays(np.float64, array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6), elements=finite)
vectors32 = arrays(
    np.float32, array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=20),
    elements=st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False, width=32)
)
any_floats = arrays(
    np.float64,
    array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40),
    elements=st.floats(allow_nan=True, allow_infinity=True, width=64),
)


@given(vectors)
def test_softmax_is_a_probability_vector(x):
    s = companion.softmax(x)
    assert np.all(s >= 0) and np.all(s <= 1)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=0, atol=8 * np.finfo(float).eps * x.shape[-1])


@given(vectors32)
def test_float32_softmax_is_a_probability_vector(x):
    s = companion.softmax(x, axis=0)
    assert s.dtype == np.float32 and np.all(s >= 0) and np.all(s <= 1)
    np.testing.assert_allclose(s.sum(axis=0), 1.0, rtol=0, atol=8 * np.finfo(np.float32).eps * x.shape[0])


@given(vectors, st.floats(min_value=-1e3, max_value=1e3))
def test_softmax_is_shift_invariant(x, c):
    np.testing.assert_allclose(companion.softmax(x + c), companion.softmax(x), rtol=1e-9, atol=1e-300)


@given(arrays(np.float64, st.integers(2, 8), elements=finite))
def test_softmax_preserves_order(x):
    s = companion.softmax(x)
    for i in range(x.size):
        for j in range(x.size):
            if x[i] > x[j]:
                assert s[i] >= s[j]
    assert np.argmax(s) == np.argmax(x) or s[np.argmax(s)] == s[np.argmax(x)]


@given(vectors)
def test_softmax_matches_scipy(x):
    np.testing.assert_allclose(companion.softmax(x), scipy.special.softmax(x, axis=-1), rtol=1e-12, atol=1e-300)


@given(vectors)
def test_log_softmax_and_logsumexp_match_scipy(x):
    np.testing.assert_allclose(companion.logsumexp(x), scipy.special.logsumexp(x, axis=-1), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(
        companion.log_softmax(x), scipy.special.log_softmax(x, axis=-1), rtol=1e-12, atol=1e-12
    )


@given(vectors)
def test_the_three_agree(x):
    ls = companion.log_softmax(x)
    np.testing.assert_allclose(np.exp(ls), companion.softmax(x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(ls, x - companion.logsumexp(x, keepdims=True), rtol=1e-12, atol=1e-11)


@given(any_floats)
def test_a_slice_never_depends_on_its_neighbours(x):
    """Row by row or all at once, bit for bit, whatever the values (NaN and infinities included)."""
    with np.errstate(all="raise"):
        for f in (companion.softmax, companion.log_softmax, companion.logsumexp, companion.hardmax):
            whole = f(x)
            for i in range(x.shape[0]):
                np.testing.assert_array_equal(whole[i], f(x[i]))


@given(vectors, st.sampled_from([0.5, 3.0, 0.1]))
def test_temperature_is_a_division_of_the_scores(x, t):
    np.testing.assert_array_equal(companion.softmax(x, temperature=t), companion.softmax(x / t))
    np.testing.assert_array_equal(companion.log_softmax(x, temperature=t), companion.log_softmax(x / t))


@given(vectors)
def test_logsumexp_is_a_smooth_max(x):
    lse = companion.logsumexp(x)
    m = x.max(axis=-1)
    assert np.all(lse >= m)
    assert np.all(lse <= m + np.log(x.shape[-1]) + 1e-12 * np.maximum(1, np.abs(m)))


@given(vectors)
def test_hardmax_is_the_one_hot_of_argmax(x):
    h = companion.hardmax(x)
    expected = np.zeros_like(x)
    np.put_along_axis(expected, np.argmax(x, axis=-1)[..., None], 1.0, axis=-1)
    np.testing.assert_array_equal(h, expected)


@given(arrays(np.float64, st.integers(2, 8), elements=st.integers(-50, 50).map(float), unique=True))
def test_hardmax_is_the_zero_temperature_limit(x):
    np.testing.assert_allclose(companion.softmax(x, temperature=1e-3), companion.hardmax(x), atol=1e-300)


def _sigmoid_reference(z):
    return np.array([float(1 / (1 + mpmath.exp(-mpmath.mpf(float(v))))) for v in z])


@given(arrays(np.float64, st.integers(1, 50), elements=finite))
def test_sigmoid_matches_mpmath(z):
    # SciPy's expit flushes sigmoid(-710) to 0; the companion keeps the subnormal 4.5e-309.
    np.testing.assert_allclose(companion.sigmoid(z), _sigmoid_reference(z), rtol=4 * np.finfo(float).eps, atol=1e-320)


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-30, 30)))
def test_sigmoid_is_the_two_class_softmax(z):
    two = companion.softmax(np.stack([z, np.zeros_like(z)], axis=-1))[..., 0]
    np.testing.assert_allclose(companion.sigmoid(z), two, rtol=4 * np.finfo(float).eps)


@given(arrays(np.float64, st.integers(1, 6), elements=st.floats(0, 50)), st.floats(0.1, 10), st.floats(0.5, 2))
def test_boltzmann_is_softmax_of_minus_energy_over_kt(e, t, k):
    np.testing.assert_allclose(companion.boltzmann(e, t, k=k), companion.softmax(-e / (k * t)), rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_dtypes_are_preserved(dtype):
    x = np.array([1.0, 2.0, 3.0], dtype=dtype)
    for f in (companion.softmax, companion.log_softmax, companion.hardmax, companion.sigmoid):
        assert f(x).dtype == dtype
    assert companion.logsumexp(x).dtype == dtype
    assert companion.boltzmann(x, 1.0).dtype == dtype


@pytest.mark.parametrize("x", [[1, 2, 3], [True, False]])
def test_integer_and_bool_input_compute_in_float64(x):
    assert companion.softmax(x).dtype == np.float64


# Arrays past the block size: a slab wider than a block (groups of columns, the last one
# partial), many rows (several blocks of rows), short rows laid side by side, and a slice
# longer than a block. Each is filled from a few drawn values so that ties, -inf and
# shifted maxima land anywhere, including on block boundaries.
BLOCK = companion._core.BLOCK
large_shapes = st.sampled_from([((BLOCK // 64 + 3, 65), 0), ((BLOCK // 40 + 7, 41), 1), ((BLOCK // 5 + 1, 5), 1),
                                ((BLOCK + 17,), 0), ((3, BLOCK // 90, 91), 1)])
fill = st.lists(st.one_of(finite, st.just(-np.inf), st.floats(-1e5, -50.0)), min_size=1, max_size=6)


@settings(max_examples=30, deadline=None)
@given(large_shapes, fill, st.integers(0, 2**32 - 1))
def test_large_arrays_across_block_boundaries(shape_axis, values, seed):
    shape, axis = shape_axis
    x = np.random.default_rng(seed).choice(np.array(values), size=shape)
    with np.errstate(all="ignore"):
        s, ls, lse = (companion.softmax(x, axis=axis), companion.log_softmax(x, axis=axis),
                      companion.logsumexp(x, axis=axis, keepdims=True))
        ref_ls = scipy.special.log_softmax(x, axis=axis)
        ref_lse = scipy.special.logsumexp(x, axis=axis, keepdims=True)
    defined = np.isfinite(np.max(x, axis=axis, keepdims=True))  # a slice that is all -inf gives NaN
    ok = np.broadcast_to(defined, x.shape)
    assert np.isnan(s[~ok]).all() and np.isnan(ls[~ok]).all()
    np.testing.assert_allclose(s[ok], np.exp(ref_ls)[ok], rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(ls[ok], ref_ls[ok], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(lse, ref_lse, rtol=1e-14)
    # a slice alone (or a column with one neighbour) gives the same bits as inside the large array
    if len(shape) == 2 and axis == 1:
        np.testing.assert_array_equal(s[-1], companion.softmax(x[-1]))
    if len(shape) == 2 and axis == 0:
        np.testing.assert_array_equal(ls[:, -1], companion.log_softmax(x[:, [-1, -1]], axis=0)[:, 0])
