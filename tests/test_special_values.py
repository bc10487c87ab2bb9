"""Special values (NaN, +inf, -inf), empty slices and 0-d input, in every kind of block the companion forms.

Each special slice is embedded in a larger array next to ordinary slices, so the tests also
check that one slice's NaN or infinity never leaks into its neighbours.
"""

import numpy as np
import pytest

import companion
from companion._core import BLOCK

inf, nan = np.inf, np.nan

LAYOUTS = ["1-D", "rows", "axis 0", "narrow inner axis", "long (1-D)", "column groups", "long column"]


def embed(x: np.ndarray, layout: str, rng: np.random.Generator):
    """Return ``(array, axis, take)``: `x` placed in `array` along `axis`; ``take(result)`` gets it back.

    "long" layouts pad the slice with -inf (which changes nothing) past one block, so that
    it is a block by itself; "column groups" is an axis-0 slab wider than a block, cut
    into groups of columns.
    """
    n = x.shape[0]
    if layout == "1-D":
        return x, -1, lambda r: r
    if layout == "long (1-D)":
        return np.r_[x, np.full(BLOCK + 1, -inf, x.dtype)], -1, lambda r: r[:n]
    if layout == "rows":
        a = np.stack([rng.standard_normal(n).astype(x.dtype), x, rng.standard_normal(n).astype(x.dtype)])
        return a, -1, lambda r: r[1]
    if layout == "axis 0":
        a = rng.standard_normal((n, 40)).astype(x.dtype)
        a[:, 17] = x
        return a, 0, lambda r: r[:, 17]
    if layout == "narrow inner axis":
        a = rng.standard_normal((3, n, 2)).astype(x.dtype)
        a[1, :, 1] = x
        return a, 1, lambda r: r[1, :, 1]
    if layout == "column groups":
        a = rng.standard_normal((n, BLOCK // n + 7)).astype(x.dtype)
        a[:, -2] = x  # in the last group
        return a, 0, lambda r: r[:, -2]
    a = rng.standard_normal((BLOCK + 1 + n, 3)).astype(x.dtype)  # long column
    a[:, 2] = -inf
    a[:n, 2] = x
    return a, 0, lambda r: r[:n, 2]


# (slice, expected softmax, expected log_softmax, expected logsumexp); the slices are padded below.
CASES = {
    "nan anywhere": ([1.0, nan, 2.0], [nan] * 3, [nan] * 3, nan),
    "nan and +inf": ([inf, nan, 2.0], [nan] * 3, [nan] * 3, nan),
    "nan and -inf": ([-inf, 0.0, nan], [nan] * 3, [nan] * 3, nan),
    "-inf entries": ([-inf, 0.0, -inf], [0.0, 1.0, 0.0], [-inf, 0.0, -inf], 0.0),
    "all -inf": ([-inf, -inf, -inf], [nan] * 3, [nan] * 3, -inf),
    "one +inf": ([1.0, inf, -inf], [0.0, 1.0, 0.0], [-inf, 0.0, -inf], inf),
    "two +inf": ([inf, 3.0, inf], [0.5, 0.0, 0.5], [-np.log(2), -inf, -np.log(2)], inf),
    "huge finite": ([1e308, -1e308, 1e308], [0.5, 0.0, 0.5], [-np.log(2), -inf, -np.log(2)], 1e308 + np.log(2)),
}


PARAMS = [
    pytest.param(case, dtype, n, layout, id=f"{case}-{np.dtype(dtype).name}-{n}-{layout}")
    for case in CASES
    for dtype in (np.float64, np.float32, np.float16)
    for n in (3, 40)
    for layout in LAYOUTS
    if not (case == "huge finite" and dtype != np.float64)  # 1e308 overflows float32
    and not (layout == "long column" and dtype == np.float16)  # its neighbours' results are float16 subnormals
]


@pytest.mark.parametrize("case, dtype, n, layout", PARAMS)
def test_special_values(case, dtype, n, layout):
    values, sm, lsm, lse = CASES[case]
    x = np.r_[values, np.full(n - 3, -inf)].astype(dtype)  # padding with -inf changes nothing
    rng = np.random.default_rng(0)
    a, axis, take = embed(x, layout, rng)
    exp_sm = np.r_[sm, np.zeros(n - 3)]
    exp_lsm = np.r_[lsm, np.full(n - 3, -inf)]
    if case in ("all -inf",) or case.startswith("nan"):
        exp_sm[:], exp_lsm[:] = nan, nan
    with np.errstate(all="raise"):  # no floating-point warning leaks out of the companion
        s = companion.softmax(a, axis=axis)
        ls = companion.log_softmax(a, axis=axis)
        lz = companion.logsumexp(a, axis=axis, keepdims=True)
    assert s.dtype == ls.dtype == lz.dtype == dtype
    np.testing.assert_allclose(take(s).astype(float), exp_sm, rtol=1e-6, atol=0)
    np.testing.assert_allclose(take(ls).astype(float), exp_lsm.astype(dtype).astype(float), rtol=2e-3, atol=0)
    got_lse = float(take(np.broadcast_to(lz, a.shape))[0])
    np.testing.assert_allclose(got_lse, float(np.asarray(lse, dtype=dtype)), rtol=1e-6)
    if "1-D" not in layout:  # the neighbours are untouched
        mask = np.ones(a.shape, bool)
        take(mask)[...] = False
        if layout == "long column":  # its -inf padding belongs to the slice too
            mask[:, 2] = False
        other = np.where(mask, a, 0).astype(np.float64)
        shifted = other - other.max(axis=axis, keepdims=True)
        ref = np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        rtol = 3e-3 if dtype == np.float16 else 1e-5
        np.testing.assert_allclose(s[mask].astype(float), np.exp(shifted - ref)[mask], rtol=rtol)
        np.testing.assert_allclose(ls[mask].astype(float), (shifted - ref)[mask], rtol=rtol, atol=rtol)
        lz_ref = np.broadcast_to(ref + other.max(axis=axis, keepdims=True), a.shape)[mask]
        np.testing.assert_allclose(np.broadcast_to(lz, a.shape)[mask].astype(float), lz_ref, rtol=rtol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_softmax_and_logsumexp_agree_with_softmax_in_the_limits(dtype):
    x = np.array([[inf, 1.0, inf, -inf], [2.0, -inf, 2.0, 0.0], [-inf] * 4], dtype=dtype)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(np.exp(companion.log_softmax(x)), companion.softmax(x), rtol=1e-6)
    lse = companion.logsumexp(x)
    assert lse[0] == inf and lse[2] == -inf
    np.testing.assert_allclose(lse[1], np.log(2 * np.exp(2.0) + 1), rtol=1e-6)


def test_hardmax_special_values():
    h = companion.hardmax(np.array([[1.0, nan, 3.0], [-inf, -inf, -inf], [1.0, inf, inf], [2.0, 2.0, 1.0]]))
    assert np.isnan(h[0]).all()
    np.testing.assert_array_equal(h[1:], [[1.0, 0, 0], [0, 1.0, 0], [1.0, 0, 0]])  # np.argmax's rule


@pytest.mark.parametrize("f", [companion.softmax, companion.log_softmax, companion.hardmax])
@pytest.mark.parametrize(
    "shape, axis", [((0,), -1), ((3, 0), -1), ((0, 3), -1), ((0, 3), 0), ((2, 0, 4), 1), ((0,), None)]
)
def test_empty_input_gives_empty_output(f, shape, axis):
    out = f(np.empty(shape), axis=axis)
    assert out.shape == shape and out.dtype == np.float64


def test_logsumexp_of_an_empty_slice_is_minus_infinity():
    np.testing.assert_array_equal(companion.logsumexp(np.empty((3, 0))), [-inf] * 3)
    assert companion.logsumexp(np.empty((0, 3))).shape == (0,)
    assert companion.logsumexp(np.empty((0, 3)), axis=0).tolist() == [-inf] * 3
    assert companion.logsumexp([]) == -inf


@pytest.mark.parametrize("value, sm, lsm", [(2.5, 1.0, 0.0), (inf, 1.0, 0.0), (-inf, nan, nan), (nan, nan, nan)])
def test_zero_d_input_is_one_slice_with_axis_none(value, sm, lsm):
    x = np.array(value)
    np.testing.assert_array_equal(companion.softmax(x, axis=None), sm)
    np.testing.assert_array_equal(companion.log_softmax(x, axis=None), lsm)
    np.testing.assert_array_equal(companion.logsumexp(x, axis=None), value)
    assert companion.softmax(x, axis=None).shape == ()


@pytest.mark.parametrize("f", [companion.softmax, companion.log_softmax, companion.logsumexp, companion.hardmax])
def test_zero_d_input_has_no_axis(f):
    with pytest.raises(np.exceptions.AxisError):
        f(np.array(1.0))


def test_sigmoid_special_values():
    z = np.array([-inf, -800.0, -710.0, 0.0, 40.0, inf, nan])
    s = companion.sigmoid(z)
    assert s[0] == 0.0 and s[1] == 0.0 and 4.4e-309 < s[2] < 4.5e-309
    assert s[3] == 0.5 and s[4] == 1.0 and s[5] == 1.0 and np.isnan(s[6])


def test_overflowing_temperature_gives_the_limit():
    """x / T overflows for a tiny T; the limit (hardmax) still comes out."""
    np.testing.assert_array_equal(companion.softmax([1.0, 2.0, 3.0], temperature=1e-308), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(companion.log_softmax([1.0, 3.0], temperature=1e-308)[1], 0.0)


def test_scalars_and_zero_d_input():
    """Python numbers work where a 0-d array does; elementwise functions keep the 0-d shape."""
    for z in (1.5, np.float32(1.5), np.array(1.5), 2, True):
        s = companion.sigmoid(z)
        assert isinstance(s, np.ndarray) and s.shape == ()
    assert companion.sigmoid(np.float32(1.5)).dtype == np.float32
    assert float(companion.softmax(3.0, axis=None)) == 1.0
    assert float(companion.logsumexp(3.0, axis=None)) == 3.0
    assert companion.numerical_gradient(lambda v: v**2, 3.0).shape == ()
    with pytest.raises(np.exceptions.AxisError):
        companion.softmax(3.0)
