"""Mathematical properties of softmax, log-softmax and log-sum-exp, checked with Hypothesis.

SciPy is a test-only reference here; the companion itself depends on NumPy alone.
"""

import mpmath
import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import companion

finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)
vectors = arrays(np.float64, array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6), elements=finite)


@given(vectors)
def test_softmax_is_a_probability_vector(x):
    s = companion.softmax(x)
    assert np.all(s >= 0) and np.all(s <= 1)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=0, atol=8 * np.finfo(float).eps * x.shape[-1])


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


def _sigmoid_reference(z):
    return np.array([float(1 / (1 + mpmath.exp(-mpmath.mpf(float(v))))) for v in z])


@given(arrays(np.float64, st.integers(1, 50), elements=finite))
def test_sigmoid_matches_mpmath(z):
    # SciPy's expit flushes sigmoid(-710) to 0; the companion keeps the subnormal 4.5e-309.
    np.testing.assert_allclose(companion.sigmoid(z), _sigmoid_reference(z), rtol=4 * np.finfo(float).eps, atol=1e-320)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_dtypes_are_preserved(dtype):
    x = np.array([1.0, 2.0, 3.0], dtype=dtype)
    for f in (companion.softmax, companion.log_softmax, companion.hardmax, companion.sigmoid):
        assert f(x).dtype == dtype
    assert companion.logsumexp(x).dtype == dtype


@pytest.mark.parametrize("x", [[1, 2, 3], [True, False]])
def test_integer_and_bool_input_compute_in_float64(x):
    assert companion.softmax(x).dtype == np.float64


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array(["a", "b"]), np.array([object(), 1], dtype=object)])
def test_non_real_input_is_rejected_with_a_clear_message(bad):
    with pytest.raises(TypeError, match="real numbers"):
        companion.softmax(bad)


def test_axis_out_of_range_raises_axis_error():
    with pytest.raises(np.exceptions.AxisError):
        companion.softmax(np.zeros((2, 3)), axis=2)


@pytest.mark.parametrize("t", [0.0, -1.0, np.inf, np.nan])
def test_bad_temperature_is_rejected(t):
    with pytest.raises(ValueError, match="positive and finite"):
        companion.softmax([1.0, 2.0], temperature=t)


def test_seed_examples():
    """The next-word scores of the seed articles, and [0, 100, 0]: what a reader will check first."""
    for scores in ([10.01, 7.4, 5.1, 3.7], [13.0, 31.0, 5.0], [0.0, 100.0, 0.0]):
        exps = [mpmath.exp(mpmath.mpf(v)) for v in scores]
        reference = [float(e / mpmath.fsum(exps)) for e in exps]
        np.testing.assert_allclose(companion.softmax(scores), reference, rtol=4 * np.finfo(float).eps)
    q = companion.softmax([0.0, 100.0, 0.0])
    assert q[1] == 1.0 and q[0] > 0  # 1 - 2e-44 rounds to 1.0, yet the small entries are not 0
