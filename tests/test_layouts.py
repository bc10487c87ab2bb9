"""Every kind of block, axis form and dtype against a simple reference, plus the memory bound.

The companion views an array as ``(P, n, Q)`` slices and takes them a block at a time
(``companion._core._blocks``): several whole ``(n, Q)`` slabs, or one slab, which
``_sum_exp`` sums in chunks of rows when it is larger than ``BLOCK`` entries (a long
slice, or a wide axis-0 reduction). The shapes below reach each kind with the real block
size; nothing private is patched.
"""

import tracemalloc

import numpy as np
import pytest

import companion
from companion._core import BLOCK, _blocks


def reference(x: np.ndarray, axis, temperature: float = 1.0):
    """softmax, log_softmax, logsumexp in long double (80-bit on x86; float64 elsewhere)."""
    a = np.asarray(x, dtype=np.longdouble) / np.longdouble(temperature)
    m = a.max(axis=axis, keepdims=True)
    log_total = np.log(np.exp(a - m).sum(axis=axis, keepdims=True))
    return np.exp(a - m - log_total), (a - m) - log_total, m + log_total


SHAPES = [  # (shape, axis): the blocks formed
    ((5,), -1),  # one short slice (laid side by side: a slab of one column)
    ((300, 500), -1),  # rows, three blocks of 131 rows (the last shorter)
    ((BLOCK + 3,), -1),  # a slice longer than a block: one slab in chunks of BLOCK
    ((6, 5), 0),  # one slab, a short odd axis 0
    ((200, 30, 20), 1),  # slabs of (30, 20), 109 to a block: pairs of rows summed across columns
    ((1001, 300), 0),  # one slab larger than a block: chunks of 218 rows (the last 129), odd n
    ((BLOCK + 1, 3), 0),  # columns longer than a block: chunks of rows
    ((2, 700, 100), 1),  # two slabs, each in chunks of rows
    ((4, 3, 5), (0, 2)),  # several axes
    ((4, 3, 5), (2, 0)),
    ((4, 3, 5), None),
]


def test_the_shapes_reach_every_kind_of_block():
    """The shapes above are not chosen blindly: several slabs per block, one slab per block, and
    slabs larger than a block (summed in chunks of rows), over one or several blocks."""
    kinds = set()
    for shape, axis in SHAPES[1:8]:
        ax = axis % len(shape)
        P, n, Q = int(np.prod(shape[:ax])), shape[ax], int(np.prod(shape[ax + 1 :]))
        blocks = _blocks((P, n, Q))
        assert [i for b in blocks for i in range(P)[b]] == list(range(P))  # every slab once, in order
        for b in blocks:
            slabs = len(range(P)[b])
            assert slabs * n * Q <= BLOCK or slabs == 1  # whole slabs, several only if they fit
            kinds.add("several slabs" if slabs > 1 else "one large slab" if n * Q > BLOCK else "one slab")
    assert kinds == {"several slabs", "one slab", "one large slab"}


@pytest.mark.parametrize("shape, axis", SHAPES)
@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_every_path_against_the_reference(shape, axis, temperature):
    x = 5 * np.random.default_rng(abs(hash(shape)) % 2**32).standard_normal(shape)
    sm, lsm, lse = reference(x, axis, temperature)
    np.testing.assert_allclose(companion.softmax(x, axis=axis, temperature=temperature), sm, rtol=1e-13)
    np.testing.assert_allclose(
        companion.log_softmax(x, axis=axis, temperature=temperature), lsm, rtol=1e-13, atol=1e-15
    )
    np.testing.assert_allclose(companion.logsumexp(x / temperature, axis=axis, keepdims=True), lse, rtol=1e-14)
    lse1 = np.squeeze(reference(x, axis)[2], axis=axis)
    np.testing.assert_allclose(companion.logsumexp(x, axis=axis), lse1, rtol=1e-14)


@pytest.mark.parametrize("shape, axis", SHAPES)
def test_every_path_with_shifted_and_huge_scores(shape, axis):
    """Maxima below -1 and above the shift limit take the other branches of the shift."""
    rng = np.random.default_rng(1)
    for offset in (-50.5, -1e6, 1e4):
        x = offset + 3 * rng.standard_normal(shape)
        sm, lsm, lse = reference(x, axis)
        np.testing.assert_allclose(companion.softmax(x, axis=axis), sm, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(companion.log_softmax(x, axis=axis), lsm, rtol=1e-12)
        np.testing.assert_allclose(companion.logsumexp(x, axis=axis, keepdims=True), lse, rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble])
@pytest.mark.parametrize("shape, axis", [((7, 20), -1), ((300,), -1), ((6, 5), 0), ((20, 30), 0), ((3, 20, 3), 1)])
def test_float_dtypes_are_kept(dtype, shape, axis):
    x = (4 * np.random.default_rng(2).standard_normal(shape)).astype(dtype)
    sm, lsm, lse = reference(x, axis)
    rtol = {np.float16: 2e-3, np.float32: 2e-6}.get(dtype, 1e-13)
    for f, ref in ((companion.softmax, sm), (companion.log_softmax, lsm)):
        y = f(x, axis=axis)
        assert y.dtype == dtype and y.shape == x.shape
        np.testing.assert_allclose(y.astype(np.longdouble), ref, rtol=rtol, atol=rtol)
    z = companion.logsumexp(x, axis=axis)
    assert z.dtype == dtype
    np.testing.assert_allclose(z.astype(np.longdouble), np.squeeze(lse, axis=axis), rtol=rtol)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int64, bool])
def test_integer_and_bool_input_compute_in_float64(dtype):
    x = np.arange(24).reshape(4, 6).astype(dtype)
    for axis in (0, 1):
        y = companion.softmax(x, axis=axis)
        assert y.dtype == np.float64
        np.testing.assert_allclose(y, reference(x.astype(np.float64), axis)[0], rtol=1e-14)
        assert companion.log_softmax(x, axis=axis).dtype == np.float64
        assert companion.logsumexp(x, axis=axis).dtype == np.float64
    assert companion.hardmax(x).dtype == companion.sigmoid(x).dtype == np.float64


def test_non_contiguous_input():
    base = np.random.default_rng(3).standard_normal((30, 40))
    for x in (np.asfortranarray(base), base[:, ::2], base[::-1], base.T, np.broadcast_to(base[:1], (30, 40))):
        for axis in (0, 1, None):
            np.testing.assert_allclose(companion.softmax(x, axis=axis), reference(x, axis)[0], rtol=1e-13)
            np.testing.assert_allclose(companion.log_softmax(x, axis=axis), reference(x, axis)[1], rtol=1e-13)
            np.testing.assert_allclose(companion.logsumexp(x, axis=axis), np.squeeze(reference(x, axis)[2]), rtol=1e-14)


def test_results_do_not_depend_on_the_memory_layout():
    """The input is made C-contiguous first, so every layout of the same numbers gives the same bits."""
    base = 3 * np.random.default_rng(4).standard_normal((70, 90))
    for axis in (0, 1, None):
        expected = [f(base, axis=axis) for f in (companion.softmax, companion.log_softmax, companion.logsumexp)]
        for x in (np.asfortranarray(base), base[::-1][::-1], np.ascontiguousarray(base.T).T):
            for f, e in zip((companion.softmax, companion.log_softmax, companion.logsumexp), expected):
                np.testing.assert_array_equal(f(x, axis=axis), e)


def test_a_slice_does_not_depend_on_the_other_slices():
    """A row gives the same bits in a large array (many blocks) as on its own; a column of a slab
    larger than a block gives the same bits whatever the other columns hold. (Across rows the
    terms are summed in chunks of rows whose height depends on the width of the slab, so a column
    on its own can differ from it in its last bits, within the bounds of the accuracy tests.)"""
    rng = np.random.default_rng(10)
    rows = 4 * rng.standard_normal((300, 500))
    for f in (companion.softmax, companion.log_softmax, companion.logsumexp):
        whole = f(rows)
        for i in (0, 130, 131, 299):  # first rows of blocks and the last row
            np.testing.assert_array_equal(whole[i], f(rows[i]))
    cols = 4 * rng.standard_normal((1001, 300))
    cols[[10, 900], 64] = 30.0  # a tie at the maximum, in different chunks
    cols[:, 65] -= 200.0  # a slice that needs a shift, next to one that does not
    other = np.where(np.arange(300) % 2 == 0, cols, -cols[::-1])  # change every odd column
    for f in (companion.softmax, companion.log_softmax, companion.logsumexp):
        a, b = f(cols, axis=0), f(other, axis=0)
        np.testing.assert_array_equal(a[..., ::2], b[..., ::2])
    lsm = companion.log_softmax(cols, axis=0)
    assert lsm[10, 64] == lsm[900, 64] and np.isclose(np.exp(lsm[:, 65]).sum(), 1.0)


def test_input_is_never_modified():
    x = np.random.default_rng(5).standard_normal((8, 40)).astype(np.float32)
    keep = x.copy()
    for f in (companion.softmax, companion.log_softmax, companion.logsumexp, companion.hardmax):
        f(x, axis=0)
        f(x)
    companion.softmax(x, temperature=0.3)
    companion.log_softmax(x, temperature=0.3)
    np.testing.assert_array_equal(x, keep)


@pytest.mark.parametrize("axis", [-1, 1, np.int64(1), (1,), (-1,)])
def test_axis_forms_agree(axis):
    x = np.random.default_rng(6).standard_normal((3, 9))
    np.testing.assert_array_equal(companion.softmax(x, axis=axis), companion.softmax(x, axis=-1))


def test_axis_none_is_one_slice():
    x = np.random.default_rng(7).standard_normal((3, 4))
    np.testing.assert_allclose(companion.softmax(x, axis=None), companion.softmax(x.ravel()).reshape(3, 4), rtol=1e-15)
    assert companion.logsumexp(x, axis=None).shape == ()
    assert companion.logsumexp(x, axis=None, keepdims=True).shape == (1, 1)
    assert companion.logsumexp(x, axis=(0, 1), keepdims=True).shape == (1, 1)


def test_empty_axis_tuple_makes_every_entry_its_own_slice():
    x = np.array([[1.0, -np.inf], [np.nan, 3.0]])
    np.testing.assert_array_equal(companion.softmax(x, axis=()), [[1.0, np.nan], [np.nan, 1.0]])
    np.testing.assert_array_equal(companion.logsumexp(x, axis=()), x)


@pytest.mark.parametrize(
    "shape, axis",
    [((2**20,), -1), ((1024, 1024), -1), ((1024, 1024), 0), ((65536, 16), -1), ((4096, 3, 64), 1),
     ((512, 300), 0), ((200000, 4), -1), ((100000, 2), -1)],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("f", [companion.softmax, companion.log_softmax])
def test_memory_beyond_the_output_is_a_few_blocks(shape, axis, dtype, f):
    """The work arrays are those of one block, or one chunk of a large slab, at a time (a copy,
    the exponentials, a mask, the pairwise sums: under eight blocks of float64), whatever the
    size of the input; never temporaries of the whole input, such as the two of
    ``np.exp(x - x.max())``."""
    x = np.random.default_rng(8).standard_normal(shape).astype(dtype)
    tracemalloc.start()
    try:
        out = f(x, axis=axis)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - out.nbytes <= 8 * BLOCK * 8


def test_hardmax_matches_argmax_in_every_layout():
    x = np.random.default_rng(9).integers(0, 4, (6, 7, 5)).astype(float)  # many ties
    for axis in (0, 1, 2):
        expected = np.zeros_like(x)
        np.put_along_axis(expected, np.expand_dims(x.argmax(axis=axis), axis), 1.0, axis=axis)
        np.testing.assert_array_equal(companion.hardmax(x, axis=axis), expected)
    flat = np.zeros(x.size)
    flat[x.argmax()] = 1.0
    np.testing.assert_array_equal(companion.hardmax(x, axis=None), flat.reshape(x.shape))




def test_ties_across_the_chunks_of_a_long_slice():
    """A slice longer than a block is summed in chunks; a tie at its maximum in the first and the
    last chunk must still count twice (each gets half the mass above the tail)."""
    x = np.full(2 * BLOCK + 5, -50.0)
    x[0] = x[-1] = 3.0
    s, ls = companion.softmax(x), companion.log_softmax(x)
    tail = (x.size - 2) * np.exp(-53.0)
    np.testing.assert_allclose(s[[0, -1]], 1 / (2 + tail), rtol=1e-15)
    np.testing.assert_allclose(ls[[0, -1]], -np.log(2) - np.log1p(tail / 2), rtol=1e-15)
    np.testing.assert_allclose(s.sum(), 1.0, rtol=1e-14)
