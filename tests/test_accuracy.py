"""Accuracy in ulps against a 256-bit mpmath reference, on the adversarial battery of tests/_battery.py.

The bounds tested are the ones the docstrings and the book's *Companion API* page state:

* float64: softmax and log_softmax within 4 ulp when every ``x_i - max(x)`` is exact;
  otherwise softmax no worse than SciPy's (up to one ulp) and log_softmax within 16 ulp.
* float32: the same with 5 ulp instead of 4, because NumPy's float32 ``exp`` itself is
  off by up to about 2.4 ulp (measured here too).
* logsumexp within 4 ulp, except where ``max(x) < 0`` and the result nearly cancels it;
  there the error is within 1 ulp of ``max(x)`` (the problem is ill-conditioned).
"""

import warnings

import mpmath
import numpy as np
import pytest
import scipy.special
from _battery import battery, reference_unique, ulp, ulp_errors

import companion

BOUND = {np.float64: 4.0, np.float32: 5.0}


def _cases(dtype):
    return [pytest.param(x, id=f"{cls}: {name}") for cls, items in battery(dtype).items() for name, x in items]


def _max_error(f, x, exact, first, inverse) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SciPy warns on some of these
        y = np.asarray(f(x, axis=-1))
    assert np.array_equal(y, y[first][inverse]), "equal scores must get equal results"
    return float(ulp_errors(y[first], exact, x.dtype).max())


def _prepare(x):
    vals, inverse, ref = reference_unique(x)
    first = np.zeros(len(vals), dtype=np.intp)
    first[inverse[::-1]] = np.arange(len(x))[::-1]
    return ref, first, inverse


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_battery_softmax_and_log_softmax(dtype):
    for cls, items in battery(dtype).items():
        for name, x in items:
            ref, first, inverse = _prepare(x)
            ours = _max_error(companion.softmax, x, ref.softmax, first, inverse)
            if ref.exact_shift:
                assert ours <= BOUND[dtype], (cls, name, ours)
            else:
                theirs = _max_error(scipy.special.softmax, x, ref.softmax, first, inverse)
                assert ours <= max(BOUND[dtype], theirs + 1), (cls, name, ours, theirs)
            ours = _max_error(companion.log_softmax, x, ref.log_softmax, first, inverse)
            assert ours <= (BOUND[dtype] if ref.exact_shift else 16.0), (cls, name, ours)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_battery_logsumexp(dtype):
    for cls, items in battery(dtype).items():
        for name, x in items:
            ref, _, _ = _prepare(x)
            got = companion.logsumexp(x)
            assert got.dtype == dtype
            err = float(ulp_errors(got.reshape(1), [ref.logsumexp], dtype)[0])
            m = float(x.max())
            cancels = m < 0 and abs(float(ref.logsumexp)) < abs(m) / 2
            if cancels and err > 4:
                with mpmath.workprec(256):
                    err_m = float(abs(mpmath.mpf(float(got)) - ref.logsumexp) / ulp(mpmath.mpf(m), dtype))
                assert err_m <= 1.0, (cls, name, err_m)
            else:
                assert err <= 4.0, (cls, name, err)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_battery_down_columns(dtype):
    """The same bounds when the slices run down the columns of a wider array (axis 0)."""
    for cls, items in battery(dtype).items():
        for name, x in items:
            if x.size > 2000:
                continue
            ref, first, inverse = _prepare(x)
            wide = np.repeat(x[:, None], max(20, 9000 // x.size), axis=1)  # past the one-block size
            sm, lsm = companion.softmax(wide, axis=0), companion.log_softmax(wide, axis=0)
            assert (sm == sm[:, :1]).all() and (lsm == lsm[:, :1]).all(), "equal columns, equal results"
            err_sm = float(ulp_errors(sm[first, 0], ref.softmax, dtype).max())
            err_lsm = float(ulp_errors(lsm[first, 0], ref.log_softmax, dtype).max())
            if ref.exact_shift:
                assert max(err_sm, err_lsm) <= BOUND[dtype], (cls, name, err_sm, err_lsm)
            else:
                theirs = _max_error(scipy.special.softmax, x, ref.softmax, first, inverse)
                assert err_sm <= max(BOUND[dtype], theirs + 1) and err_lsm <= 16, (cls, name, err_sm, err_lsm)


def test_the_battery_is_adversarial_for_scipy():
    """The battery is not a soft target: SciPy's log_softmax misses by ~1e13-1e15 ulp on it."""
    x = np.r_[0.0, np.full(99, -40.0)]
    ref, first, inverse = _prepare(x)
    assert _max_error(scipy.special.log_softmax, x, ref.log_softmax, first, inverse) > 1e12
    assert _max_error(companion.log_softmax, x, ref.log_softmax, first, inverse) <= 4
    x = np.array([1e-10, -50.0, -50.0])
    ref, first, inverse = _prepare(x)
    assert _max_error(scipy.special.log_softmax, x, ref.log_softmax, first, inverse) > 1e14
    assert _max_error(companion.log_softmax, x, ref.log_softmax, first, inverse) <= 4


def test_dominant_entry_is_not_absorbed_by_a_long_tail():
    """Summed in place, 1 + 1000 * 1.1e-16 drifts by 14 ulp; the companion adds the 1 last."""
    x = np.r_[0.0, np.full(1000, -36.7)]
    ref, first, inverse = _prepare(x)
    assert _max_error(scipy.special.softmax, x, ref.softmax, first, inverse) > 8
    assert _max_error(companion.softmax, x, ref.softmax, first, inverse) <= 4


def test_numpy_float32_exp_is_the_float32_limit():
    """Why float32 gets 5 ulp: NumPy's own float32 exp errs by more than 2 ulp somewhere."""
    y = np.linspace(-80, 0, 200_001, dtype=np.float32)
    e32 = np.exp(y).astype(np.float64)
    e64 = np.exp(y.astype(np.float64))
    err = np.abs(e32 - e64) / np.spacing(e64.astype(np.float32)).astype(np.float64)
    assert 1.5 < err.max() < 3.0


def test_confident_correct_prediction_has_its_tiny_loss():
    loss = companion.cross_entropy(np.array([0.0, -40.0, -40.0]), 0)
    with mpmath.workprec(256):
        exact = mpmath.log1p(2 * mpmath.exp(-40))
        assert abs(mpmath.mpf(float(loss)) - exact) <= 2 * ulp(exact, np.float64)
    assert loss > 0


def test_seed_examples():
    """The next-word scores of the seed articles, and [0, 100, 0]: what a reader will check first."""
    for scores in ([10.01, 7.4, 5.1, 3.7], [13.0, 31.0, 5.0], [0.0, 100.0, 0.0]):
        exps = [mpmath.exp(mpmath.mpf(v)) for v in scores]
        reference = [float(e / mpmath.fsum(exps)) for e in exps]
        np.testing.assert_allclose(companion.softmax(scores), reference, rtol=4 * np.finfo(float).eps)
    q = companion.softmax([0.0, 100.0, 0.0])
    assert q[1] == 1.0 and q[0] > 0  # 1 - 2e-44 rounds to 1.0, yet the small entries are not 0


def test_subnormal_tail_does_not_underflow_needlessly():
    """10**6 terms of exp(-720) (each subnormal) sum to a normal number; it keeps its digits."""
    x = np.r_[0.0, np.full(10**6 - 1, -720.0)]
    with mpmath.workprec(256):
        exact = mpmath.log1p((10**6 - 1) * mpmath.exp(-720))
        for got in (-companion.log_softmax(x)[0], companion.logsumexp(x)):
            assert abs(mpmath.mpf(float(got)) - exact) <= 4 * ulp(exact, np.float64)


@pytest.mark.parametrize("t", [0.25, 3.0])
def test_temperature_divides_first(t):
    """With a temperature the guarantees hold for the rounded scores x / T (exactly here: T is a power of 2 or 3)."""
    x = np.array([2.0, -1.0, 0.5, 7.0])
    np.testing.assert_array_equal(companion.softmax(x, temperature=t), companion.softmax(x / t))
    np.testing.assert_array_equal(companion.log_softmax(x, temperature=t), companion.log_softmax(x / t))
