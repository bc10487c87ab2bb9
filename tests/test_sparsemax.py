"""Sparsemax: against an exact reference, with properties, special values, axes and dtypes.

The reference works slice by slice in exact rational arithmetic (``fractions.Fraction``):
it sorts the scores and tries each support size k until the KKT conditions hold
(the top k scores above the threshold tau_k = (their sum - 1) / k, the others at or
below it). It shares no code, and not the support test, with the companion.
"""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import companion
from companion import sparsemax

inf, nan = math.inf, math.nan
EPS = {np.float64: 2.0**-52, np.float32: 2.0**-23}


def exact_threshold(v):
    """The exact threshold tau of finite scores v (Fractions), by trying each support size in turn."""
    desc = sorted(v, reverse=True)
    total = Fraction(0)
    for k, t in enumerate(desc, 1):
        total += t
        tau = (total - 1) / k
        if t > tau and (k == len(desc) or desc[k] <= tau):
            return tau
    raise AssertionError("no support size satisfies the KKT conditions")  # pragma: no cover


def exact_sparsemax(v):
    """Exact sparsemax of a list of floats, as Fractions (NaN where the result is NaN)."""
    if any(math.isnan(t) for t in v) or all(t == -inf for t in v):
        return [nan] * len(v)
    if inf in v:  # the limit: the +inf scores share everything
        return [Fraction(1, v.count(inf)) if t == inf else Fraction(0) for t in v]
    tau = exact_threshold([Fraction(t) for t in v if t > -inf])
    return [max(Fraction(t) - tau, Fraction(0)) if t > -inf else Fraction(0) for t in v]


def assert_close_to_exact(got, v, tol):
    """Every entry of `got` within `tol` of the exact sparsemax of `v`; NaN exactly where it is NaN."""
    want = exact_sparsemax(v)
    for g, w in zip(np.asarray(got, dtype=float).tolist(), want):
        if isinstance(w, float):  # NaN
            assert math.isnan(g), (v, got)
        else:
            assert abs(Fraction(g) - w) <= tol, (v, g, float(w))


# Few distinct values, so that ties and leads of exactly 1 are common, plus the special values.
tied = st.sampled_from([-inf, -3.0, -1.0, 0.0, 0.0, 0.5, 1.0, 2.0, 2.0, 7.0, inf, nan])
finite = st.floats(allow_nan=False, allow_infinity=False)
moderate = st.floats(min_value=-30, max_value=30)
near_ties = st.builds(lambda base, offsets: [base + o for o in offsets],
                      st.floats(min_value=-1e17, max_value=1e17),
                      st.lists(st.floats(min_value=-2, max_value=2) | st.floats(min_value=-1e-9, max_value=1e-9),
                               min_size=1, max_size=12))
finite_slices = (st.lists(finite, min_size=1, max_size=12) | st.lists(moderate, min_size=1, max_size=12)
                 | near_ties | st.lists(st.sampled_from([-3.0, -1.0, 0.0, 0.5, 1.0, 2.0]), min_size=1, max_size=12))


@given(finite_slices)
def test_matches_the_exact_reference_to_a_few_eps(v):
    assert_close_to_exact(sparsemax(np.array(v)), v, 4 * EPS[np.float64])


@given(st.lists(tied, min_size=1, max_size=9))
def test_special_values_match_the_reference(v):
    assert_close_to_exact(sparsemax(np.array(v)), v, 4 * EPS[np.float64])


@given(st.lists(moderate, min_size=1, max_size=12).map(lambda v: [float(np.float32(t)) for t in v]))
def test_float32_matches_the_exact_reference_to_a_few_float32_eps(v):
    got = sparsemax(np.array(v, dtype=np.float32))
    assert got.dtype == np.float32
    assert_close_to_exact(got, v, 4 * EPS[np.float32])


@given(st.lists(st.floats(min_value=-8, max_value=8, width=16), min_size=1, max_size=40)
       | st.lists(st.floats(min_value=-1, max_value=0, width=16), min_size=1, max_size=40))
def test_float16_is_computed_in_float32_and_rounded_once(v):
    got = sparsemax(np.array(v, dtype=np.float16))
    assert got.dtype == np.float16
    assert_close_to_exact(got, v, 2.0**-12 + 8 * EPS[np.float32])  # half a float16 ulp of 1, and a little


def test_large_support_is_accurate():
    # 20,000 scores just above max - 1 give a support of 20,000 classes, the top one holding nearly all
    # the probability; the running sum then carries an error of many eps, which the correction removes.
    rng = np.random.default_rng(20000)
    v = np.concatenate([[0.0], -1 + 1e-6 + rng.uniform(0, 1e-9, size=19_999)])
    p = sparsemax(v)
    assert np.count_nonzero(p) > 5000
    assert_close_to_exact(p, v.tolist(), 4 * EPS[np.float64])


def test_huge_scores():
    np.testing.assert_array_equal(sparsemax([1e16, 1e16]), [0.5, 0.5])  # the plain sum would round 2e16 - 1
    np.testing.assert_array_equal(sparsemax([1e300, 1e300, -1e300]), [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(sparsemax([1.7e308, -1.7e308]), [1.0, 0.0])  # x - max overflows to -inf
    np.testing.assert_array_equal(sparsemax([2.0**60, 2.0**60 - 256]), [1.0, 0.0])


def test_special_values():
    np.testing.assert_array_equal(sparsemax([0.0, -inf, inf, inf]), [0, 0, 0.5, 0.5])
    np.testing.assert_array_equal(sparsemax([inf, -inf]), [1.0, 0.0])
    np.testing.assert_array_equal(sparsemax([inf, inf, inf, inf]), [0.25] * 4)
    np.testing.assert_array_equal(sparsemax([2.0, -inf, 1.5]), [0.75, 0.0, 0.25])
    np.testing.assert_array_equal(sparsemax([-inf, -inf]), [nan, nan])  # undefined, as in softmax
    np.testing.assert_array_equal(sparsemax([nan, inf]), [nan, nan])
    x = np.array([[1.0, 2.0, 3.0], [nan, 0.0, 0.0], [-inf, -inf, -inf]])
    np.testing.assert_array_equal(sparsemax(x), [[0, 0, 1], [nan, nan, nan], [nan, nan, nan]])  # no leak
    np.testing.assert_array_equal(sparsemax(x, axis=0), [[nan, 1, 1], [nan, 0, 0], [nan, 0, 0]])


def shifted_exact(v):
    """The exact shifted scores x - max(x) and the exact threshold of those, as Fractions."""
    f = [Fraction(t) for t in v]
    z = [t - max(f) for t in f]
    return z, exact_threshold(z)


@given(finite_slices)
def test_on_the_simplex_with_exact_zeros_below_the_threshold(v):
    p = sparsemax(np.array(v))
    eps = EPS[np.float64]
    assert np.all(p >= 0) and np.all(p <= 1)
    assert abs(math.fsum(p) - 1) <= 4 * len(v) * eps
    z, tau = shifted_exact(v)
    for pi, zi in zip(p, z):
        if zi <= tau - 8 * eps:
            assert pi == 0.0  # exactly 0, not a tiny number
        if zi >= tau + 8 * eps:
            assert pi > 0.0


@given(st.lists(st.integers(-1280, 1280), min_size=1, max_size=12), st.integers(-2**30, 2**30))
def test_shift_invariance(k, c):
    x = np.array(k) / 64.0                             # multiples of 1/64: x + c is exact
    np.testing.assert_array_equal(sparsemax(x + c), sparsemax(x))


@given(finite_slices, st.randoms(use_true_random=False))
def test_order_is_kept_and_classes_can_be_reordered(v, random):
    x = np.array(v)
    p = sparsemax(x)
    for i in range(len(v)):
        for j in range(len(v)):
            if x[i] > x[j]:
                assert p[i] >= p[j]
            if x[i] == x[j]:
                assert p[i] == p[j]
    perm = list(range(len(v)))
    random.shuffle(perm)
    np.testing.assert_array_equal(sparsemax(x[perm]), p[perm])


@given(st.lists(moderate, min_size=2, max_size=12))
def test_hardmax_exactly_when_the_lead_is_at_least_one(v):
    x = np.array(v)
    top2 = np.sort(x)[-2:]
    lead = top2[1] - top2[0]
    assume(abs(lead - 1) > 1e-12)
    p = sparsemax(x)
    if lead >= 1:
        np.testing.assert_array_equal(p, companion.hardmax(x))
    else:
        assert np.count_nonzero(p) >= 2


def test_a_lead_of_exactly_one_is_one_hot():
    np.testing.assert_array_equal(sparsemax([1.0, 0.0]), [1.0, 0.0])
    np.testing.assert_array_equal(sparsemax([0.0, 1.0, 0.0]), [0.0, 1.0, 0.0])


@given(moderate, moderate)
def test_two_classes_give_the_clipped_line(a, b):
    p = sparsemax(np.array([a, b]))
    assert abs(p[0] - min(max((1 + a - b) / 2, 0.0), 1.0)) <= 2 * EPS[np.float64] * max(1.0, abs(a - b))


@given(st.lists(moderate, min_size=1, max_size=8), st.integers(0, 2**32 - 1))
def test_closest_point_of_the_simplex(v, seed):
    x = np.array(v)
    p = sparsemax(x)
    q = np.random.default_rng(seed).dirichlet(np.ones(x.size), size=50)   # other points of the simplex
    assert np.all(np.sum((q - x) ** 2, axis=1) >= np.sum((p - x) ** 2) - 1e-9)


def test_jacobian_on_the_support():
    # Away from the kinks: d p_i / d x_j = delta_ij - 1/|S| on the support S, 0 elsewhere.
    rng = np.random.default_rng(2016)
    checked = 0
    for _ in range(50):
        x = rng.normal(scale=0.8, size=6)
        p = sparsemax(x)
        z, tau = shifted_exact(x.tolist())
        if min(abs(float(zi - tau)) for zi in z) < 1e-3:
            continue                                      # too close to a kink for a finite difference
        s = (p > 0).astype(float)
        want = np.diag(s) - np.outer(s, s) / s.sum()
        np.testing.assert_allclose(companion.numerical_gradient(sparsemax, x), want, atol=1e-7)
        checked += 1
    assert checked >= 30


@given(arrays(np.float64, array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=5), elements=tied))
def test_every_axis_gives_the_same_as_the_last(x):
    for axis in range(x.ndim):
        moved = np.moveaxis(x, axis, -1)
        want = np.moveaxis(sparsemax(moved), -1, axis)
        np.testing.assert_array_equal(sparsemax(x, axis=axis), want)
        np.testing.assert_array_equal(sparsemax(x, axis=axis - x.ndim), want)
        np.testing.assert_array_equal(sparsemax(np.asfortranarray(x), axis=axis), want)


def test_bit_for_bit_whatever_the_order_axis_or_layout():
    # Large supports of nearly tied scores, where every sum rounds: the result must not depend on the
    # order of the classes, on which axis holds them, or on the memory layout.
    rng = np.random.default_rng(17)
    x = rng.uniform(-0.01, 0.0, size=(6, 300)) + rng.normal(size=(6, 1))
    p = sparsemax(x)
    assert np.all(np.count_nonzero(p, axis=1) > 100)
    perm = rng.permutation(300)
    np.testing.assert_array_equal(sparsemax(x[:, perm]), p[:, perm])
    np.testing.assert_array_equal(sparsemax(np.asfortranarray(x)), p)
    np.testing.assert_array_equal(sparsemax(np.ascontiguousarray(x.T), axis=0), p.T)
    np.testing.assert_array_equal(sparsemax(x[::-1, ::-1])[::-1, ::-1], p)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_dtypes_are_kept(dtype):
    x = np.array([[0.5, 2.0, -1.0, 2.0], [3.0, 0.0, 0.0, 1.0]], dtype=dtype)
    out = sparsemax(x)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, [[0, 0.5, 0, 0.5], [1, 0, 0, 0]])


@pytest.mark.parametrize("x", [np.array([1, 5, 2]), np.array([True, False, True]), [1, 5, 2]])
def test_integer_and_bool_scores_are_computed_in_float64(x):
    assert sparsemax(x).dtype == np.float64


def test_empty_slices():
    for shape in [(3, 0), (0, 3), (0,)]:
        out = sparsemax(np.zeros(shape))
        assert out.shape == shape and out.dtype == np.float64
    assert sparsemax(np.zeros((2, 0), dtype=int)).dtype == np.float64


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array([object()], dtype=object), ["a", "b"]])
def test_non_real_scores_are_a_type_error(bad):
    with pytest.raises(TypeError, match="must hold real numbers"):
        sparsemax(bad)


def test_bad_axis():
    x = np.zeros((2, 3))
    for axis in [(0, 1), None]:
        with pytest.raises(ValueError, match="exactly one axis"):
            sparsemax(x, axis=axis)
    with pytest.raises(np.exceptions.AxisError):
        sparsemax(x, axis=2)
    with pytest.raises(np.exceptions.AxisError):
        sparsemax(np.float64(1.0))
    with pytest.raises(TypeError, match="axis must be an int"):
        sparsemax(x, axis=1.0)
