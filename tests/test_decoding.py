"""Top-k and top-p (nucleus) filters: against plain references, with ties, special values, axes and dtypes.

The references work slice by slice in plain Python; the nucleus reference computes the
probabilities with mpmath at 50 digits and adds them group by group of tied scores.
"""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import companion
from companion import top_k_filter, top_p_filter

inf, nan = math.inf, math.nan

# Few distinct values, so that ties are common, plus the special values.
tied = st.sampled_from([-inf, -3.0, -1.0, 0.0, 0.0, 0.5, 2.0, 2.0, 7.0, inf, nan])
general = st.floats(min_value=-60, max_value=60, allow_nan=False) | st.sampled_from([-inf, inf, nan, 0.0])
slices = st.lists(tied, min_size=1, max_size=9) | st.lists(general, min_size=1, max_size=9)
finite_slices = st.lists(st.floats(min_value=-30, max_value=30) | st.sampled_from([0.0, 1.0, 1.0, -inf]),
                         min_size=1, max_size=9).filter(lambda v: max(v) > -inf)
probabilities = st.floats(min_value=1e-3, max_value=1.0, exclude_min=False)


def reference_top_k(v, k):
    if any(math.isnan(t) for t in v):
        return [nan] * len(v)
    kth = sorted(v, reverse=True)[min(k, len(v)) - 1]
    return [t if t >= kth else -inf for t in v]


def group_masses(v):
    """The distinct scores, largest first, and the softmax probability of each group of equal scores."""
    values = sorted(set(v), reverse=True)
    if inf in values:  # the limit: the +inf scores share everything
        return values, [1.0 if t == inf else 0.0 for t in values]
    with mpmath.workdps(50):
        top = mpmath.mpf(values[0])
        weight = {t: v.count(t) * mpmath.exp(mpmath.mpf(t) - top) for t in values if t > -inf}
        total = sum(weight.values())
        return values, [float(weight[t] / total) if t > -inf else 0.0 for t in values]


def reference_top_p(v, p):
    if any(math.isnan(t) for t in v):
        return [nan] * len(v)
    if p == 1.0 or max(v) == -inf:
        return list(v)
    values, masses = group_masses(v)
    reached = 0.0
    for t, m in zip(values, masses):
        reached += m
        if reached >= p:
            return [s if s >= t else -inf for s in v]
    return list(v)  # unreachable in exact arithmetic; rounding may leave p just out of reach


def far_from_every_partial_sum(v, p):
    """True if p is not within rounding error of the probability of any top group of v."""
    _, masses = group_masses(v)
    partial = np.cumsum(masses)
    return bool(np.all(np.abs(partial - p) > 1e-9))


def same(a, b):
    np.testing.assert_array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


@given(slices, st.integers(1, 12))
def test_top_k_matches_the_reference(v, k):
    same(top_k_filter(np.array(v), k), reference_top_k(v, k))


@given(slices, probabilities)
def test_top_p_matches_the_reference(v, p):
    if not any(math.isnan(t) for t in v):
        assume(far_from_every_partial_sum(v, p))
    same(top_p_filter(np.array(v), p), reference_top_p(v, p))


@given(finite_slices, st.integers(1, 12))
def test_top_k_keeps_at_least_k_and_is_order_free(v, k):
    x = np.array(v)
    out = top_k_filter(x, k)
    kept = out > -inf
    assert kept.sum() >= min(k, np.count_nonzero(x > -inf))
    assert np.all(out[kept] == x[kept]) and x[np.argmax(x)] == out.max()
    perm = np.random.default_rng(len(v)).permutation(len(v))
    same(top_k_filter(x[perm], k), out[perm])
    assert np.all(kept <= (top_k_filter(x, k + 1) > -inf))  # top-k inside top-(k+1)


@given(finite_slices, probabilities, probabilities)
def test_top_p_nucleus_is_the_smallest_top_set_that_reaches_p(v, p, q):
    x = np.array(v)
    out = top_p_filter(x, p)
    s = companion.softmax(x)
    kept = out > -inf
    assert kept[np.argmax(x)] and np.all(out[kept] == x[kept])
    assert s[kept].sum() >= p - 1e-12
    smallest_kept = x[kept].min()
    assert np.all(x[~kept] < smallest_kept)  # the kept classes are the most probable ones
    assert s[x > smallest_kept].sum() < p + 1e-12  # without the last group, p is not reached
    perm = np.random.default_rng(len(v)).permutation(len(v))
    same(top_p_filter(x[perm], p), out[perm])
    lo, hi = sorted((p, q))
    assert np.all((top_p_filter(x, lo) > -inf) <= (top_p_filter(x, hi) > -inf))  # nested in p


@given(finite_slices, st.integers(1, 12), probabilities)
def test_softmax_of_the_result_is_the_renormalised_truncation(v, k, p):
    x = np.array(v)
    s = companion.softmax(x)
    for out in (top_k_filter(x, k), top_p_filter(x, p)):
        kept = out > -inf
        np.testing.assert_allclose(companion.softmax(out), np.where(kept, s / s[kept].sum(), 0.0),
                                   rtol=1e-10, atol=1e-300)


def entropy(x):
    s = companion.softmax(x)
    return -float(np.sum(s * np.where(s > 0, companion.log_softmax(x), 0.0)))


@given(finite_slices, st.integers(1, 12), probabilities)
def test_truncation_lowers_the_entropy_by_at_least_minus_log_of_the_kept_mass(v, k, p):
    # The book's bound (chapter "Choosing the next token"): H(truncated) <= H(s) + log(kept mass).
    x = np.array(v)
    s = companion.softmax(x)
    for out in (top_k_filter(x, k), top_p_filter(x, p)):
        mass = s[out > -inf].sum()
        assert entropy(out) <= entropy(x) + np.log(mass) + 1e-9


def test_ties_at_the_cut_are_all_kept():
    x = np.array([1.0, 3.0, 2.0, 3.0, 2.0])
    same(top_k_filter(x, 1), [-inf, 3, -inf, 3, -inf])
    same(top_k_filter(x, 3), [-inf, 3, 2, 3, 2])  # the 3rd largest is tied: four survive
    same(top_p_filter(x, 0.01), [-inf, 3, -inf, 3, -inf])
    same(top_p_filter(np.zeros(6), 0.4), np.zeros(6))  # six equal classes: all or none
    s = companion.softmax(top_k_filter(x, 3))
    assert s[1] == s[3] and s[2] == s[4]


def test_reaching_p_exactly_is_enough():
    x = np.array([1.0, 0.0, -1.0])
    top = float(companion.softmax(x)[0])
    same(top_p_filter(x, top), [1.0, -inf, -inf])  # "at least p": the top class alone reaches it
    same(top_p_filter(x, np.nextafter(top, 1.0)), [1.0, 0.0, -inf])


def test_k_and_p_at_their_limits():
    x = np.array([0.3, -2.0, 5.0, 1.0])
    same(top_k_filter(x, 4), x)
    same(top_k_filter(x, 40), x)
    same(top_p_filter(x, 1.0), x)
    same(top_k_filter(x, 1), top_p_filter(x, 1e-9))  # both are greedy with a unique maximum
    same(top_k_filter(x, 1), np.where(companion.hardmax(x) == 1, x, -inf))


def test_special_values():
    same(top_k_filter([-inf, -inf], 1), [-inf, -inf])
    same(top_p_filter([-inf, -inf], 0.5), [-inf, -inf])
    same(top_k_filter([inf, 1.0, inf], 1), [inf, -inf, inf])
    same(top_p_filter([inf, 1.0, inf], 0.99), [inf, -inf, inf])
    same(top_p_filter([inf, 1.0, inf], 1.0), [inf, 1.0, inf])
    same(top_k_filter([2.0, -inf, 1.0], 3), [2.0, -inf, 1.0])
    same(top_p_filter([0.0, -inf, -800.0], 0.999), [0.0, -inf, -inf])
    x = np.array([[1.0, 2.0, 3.0], [nan, 0.0, 0.0]])
    same(top_k_filter(x, 1), [[-inf, -inf, 3.0], [nan, nan, nan]])  # NaN stays in its own slice
    same(top_p_filter(x, 0.5), [[-inf, -inf, 3.0], [nan, nan, nan]])
    same(top_p_filter(x, 0.5, axis=0), [[nan, 2.0, 3.0], [nan, -inf, -inf]])
    for f, arg in ((top_k_filter, 2), (top_p_filter, 0.5)):
        assert f(np.zeros((3, 0)), arg).shape == (3, 0)


@given(arrays(np.float64, array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=5), elements=tied),
       st.integers(1, 6), probabilities)
def test_every_axis_gives_the_same_as_the_last(x, k, p):
    for axis in range(x.ndim):
        moved = np.moveaxis(x, axis, -1)
        same(top_k_filter(x, k, axis=axis), np.moveaxis(top_k_filter(moved, k), -1, axis))
        same(top_p_filter(x, p, axis=axis - x.ndim), np.moveaxis(top_p_filter(moved, p), -1, axis))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_dtypes_are_kept(dtype):
    x = np.array([[0.5, 2.0, -1.0, 2.0], [3.0, 0.0, 0.0, 1.0]], dtype=dtype)
    for out in (top_k_filter(x, 1), top_p_filter(x, 0.6)):
        assert out.dtype == dtype
        same(out, [[-inf, 2.0, -inf, 2.0], [3.0, -inf, -inf, -inf]])


@pytest.mark.parametrize("x", [np.array([1, 5, 2]), np.array([True, False, True]), [1, 5, 2]])
def test_integer_and_bool_scores_are_computed_in_float64(x):
    assert top_k_filter(x, 1).dtype == np.float64 and top_p_filter(x, 0.5).dtype == np.float64


def test_filtered_scores_are_what_the_samplers_draw_from():
    x = np.array([10.01, 7.4, 5.1, 3.7])
    rng = np.random.default_rng(17)
    draws = companion.gumbel_max_sample(top_p_filter(x, 0.95), rng, size=5000)
    assert set(np.unique(draws)) == {0, 1}
    draws = companion.gumbel_max_sample(top_k_filter(x, 3), rng, size=5000)
    assert 3 not in draws


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array([object()], dtype=object), ["a", "b"]])
def test_non_real_scores_are_a_type_error(bad):
    for f, arg in ((top_k_filter, 1), (top_p_filter, 0.5)):
        with pytest.raises(TypeError, match="must hold real numbers"):
            f(bad, arg)


def test_bad_k_p_and_axis():
    x = np.zeros((2, 3))
    for k, error in ((0, ValueError), (-1, ValueError), (1.0, TypeError), (True, TypeError), ("2", TypeError)):
        with pytest.raises(error, match="k must"):
            top_k_filter(x, k)
    for p, error in ((0.0, ValueError), (-0.1, ValueError), (1.5, ValueError), (nan, ValueError),
                     (True, TypeError), ("0.9", TypeError), (None, TypeError)):
        with pytest.raises(error, match="p must"):
            top_p_filter(x, p)
    assert top_k_filter(x, np.int64(2)).shape == (2, 3) and top_p_filter(x, np.float32(0.5)).shape == (2, 3)
    for f, arg in ((top_k_filter, 1), (top_p_filter, 0.5)):
        with pytest.raises(ValueError, match="exactly one axis"):
            f(x, arg, axis=(0, 1))
        with pytest.raises(ValueError, match="exactly one axis"):
            f(x, arg, axis=None)
        with pytest.raises(np.exceptions.AxisError):
            f(x, arg, axis=2)
        with pytest.raises(np.exceptions.AxisError):
            f(np.float64(1.0), arg)
        with pytest.raises(TypeError, match="axis must be an int"):
            f(x, arg, axis=1.0)
