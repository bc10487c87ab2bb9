"""Every memory layout, axis form and dtype against a simple reference, plus the memory bound.

The kernels pick a code path from the shape: whole rows, short slices laid side by side,
wide or narrow inner axes, and slices longer than a block. With ``BLOCK`` set small the
same paths run on small arrays, so all of them are checked in well under a second.
"""

import tracemalloc

import numpy as np
import pytest

import companion
from companion import _kernels


def reference(x: np.ndarray, axis, temperature: float = 1.0):
    """softmax, log_softmax, logsumexp in long double (80-bit on x86; float64 elsewhere)."""
    a = np.asarray(x, dtype=np.longdouble) / np.longdouble(temperature)
    m = a.max(axis=axis, keepdims=True)
    log_total = np.log(np.exp(a - m).sum(axis=axis, keepdims=True))
    return np.exp(a - m - log_total), (a - m) - log_total, m + log_total


SHAPES = [  # (shape, axis): the path taken with BLOCK = 64
    ((5,), -1),  # short 1-D slice, "front"
    ((40,), 0),  # one row, "rows"
    ((7, 20), -1),  # rows, several blocks
    ((300,), -1),  # long 1-D
    ((3, 100), 1),  # long rows
    ((6, 5), 0),  # short slices along axis 0 with a narrow inner axis, "front"
    ((20, 30), 0),  # wide inner axis, one block per slab, "gather"
    ((2, 4, 20), 1),  # wide inner axis, several slabs per block, "front"
    ((3, 20, 3), 1),  # narrow inner axis, "end"
    ((2, 100, 3), 1),  # long slices on a narrow inner axis: strided long path
    ((100, 20), 0),  # long slices on a wide inner axis
    ((300, 512), 0),  # with the default block: row chunks in memory order (axis 0, wide inner axis)
    ((2, 200, 512), 1),  # the same, slab by slab
    ((4, 3, 5), (0, 2)),  # several axes
    ((4, 3, 5), (2, 0)),
    ((4, 3, 5), None),
]


@pytest.fixture(params=[8, 64, _kernels.BLOCK], ids=["block=8", "block=64", "block=default"])
def block(request, monkeypatch):
    monkeypatch.setattr(_kernels, "BLOCK", request.param)
    return request.param


@pytest.mark.parametrize("shape, axis", SHAPES)
@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_every_path_against_the_reference(shape, axis, temperature, block):
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
def test_every_path_with_shifted_and_huge_scores(shape, axis, block):
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
def test_float_dtypes_are_kept(dtype, shape, axis, block):
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
def test_integer_and_bool_input_compute_in_float64(dtype, block):
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


def test_fortran_order_is_kept():
    x = np.asfortranarray(np.random.default_rng(4).standard_normal((5, 7)))
    assert companion.softmax(x, axis=0).flags.f_contiguous


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
def test_at_most_one_temporary_of_the_input_size(shape, axis, dtype, f):
    x = np.random.default_rng(8).standard_normal(shape).astype(dtype)
    tracemalloc.start()
    try:
        out = f(x, axis=axis)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - out.nbytes <= x.nbytes


def test_hardmax_matches_argmax_in_every_layout():
    x = np.random.default_rng(9).integers(0, 4, (6, 7, 5)).astype(float)  # many ties
    for axis in (0, 1, 2):
        expected = np.zeros_like(x)
        np.put_along_axis(expected, np.expand_dims(x.argmax(axis=axis), axis), 1.0, axis=axis)
        np.testing.assert_array_equal(companion.hardmax(x, axis=axis), expected)
    flat = np.zeros(x.size)
    flat[x.argmax()] = 1.0
    np.testing.assert_array_equal(companion.hardmax(x, axis=None), flat.reshape(x.shape))


def _special_columns(rng: np.random.Generator, n: int, q: int) -> np.ndarray:
    """Scores ``(n, q)`` whose first columns hold the special cases, the rest plain."""
    x = 4 * rng.standard_normal((n, q))
    x[:, 0] = -np.inf  # a column that is all -inf: undefined
    x[5, 1] = np.nan
    x[[3, 7], 2] = np.inf  # mass shared by the two +inf entries
    x[:, 3] -= 200.0  # maximum far below -1
    x[:, 4] += 1e4  # maximum above the shift limit
    x[[10, 20], 5] = 30.0  # a tie at a dominant maximum
    x[::3, 6] = -np.inf
    x[0, 7] = 80.0  # one dominant entry among tiny terms
    return x


def _awkward_maxima(rng: np.random.Generator, n: int, q: int) -> np.ndarray:
    """Scores ``(n, q)`` with ties and dominant entries that need no shift (the row chunks
    keep them; the default chunk of ``(650, 512)`` float64 is 108 rows, the last one 2)."""
    x = 4 * rng.standard_normal((n, q))
    x[[10, 20], 0] = 30.0  # a tie at the maximum within one chunk
    x[[10, 250, 590], 1] = 30.0  # tied across chunks
    x[0, 2] = 80.0  # one dominant entry among tiny terms
    x[n - 1, 3] = 25.0  # the maximum in the short last chunk
    x[:, 4] = 1.0  # every entry tied
    x[:, 5] -= 50.0
    x[7, 5] = -0.5  # a maximum just above -1
    return x


@pytest.mark.parametrize("kind", ["plain", "special", "awkward"])
def test_row_chunks_agree_with_the_rows_layout(kind, monkeypatch):
    """Axis 0 over a wide inner axis (row chunks, or their fall-back to column blocks when a
    maximum needs a shift or is not finite) against the same slices laid out as rows."""
    taken = []
    for name in ("softmax_rows", "log_softmax_rows"):
        real = getattr(_kernels, name)
        monkeypatch.setattr(_kernels, name, lambda *a, _real=real: taken.append(_real(*a)) or taken[-1])
    rng = np.random.default_rng(5)
    n = 650 if kind == "awkward" else 600
    x = {"plain": 4 * rng.standard_normal((n, 512)), "special": _special_columns(rng, n, 512),
         "awkward": _awkward_maxima(rng, n, 512)}[kind]
    special = kind == "special"
    xt = np.ascontiguousarray(x.T)  # the same slices, now rows in memory
    with np.errstate(invalid="ignore"):
        sm_t = companion.softmax(xt, axis=1).T
        lsm_t = companion.log_softmax(xt, axis=1).T
    sm, lsm = companion.softmax(x, axis=0), companion.log_softmax(x, axis=0)
    assert taken == [not special, not special]  # the row chunks ran, and gave up on the special columns
    np.testing.assert_allclose(sm, sm_t, rtol=4e-15, atol=0)
    np.testing.assert_allclose(lsm, lsm_t, rtol=4e-15, atol=1e-300)
    if special:
        assert np.isnan(sm[:, :2]).all() and np.isnan(lsm[:, :2]).all()
        assert sm[3, 2] == sm[7, 2] == 0.5 and np.count_nonzero(sm[:, 2]) == 2
        assert sm[10, 5] == sm[20, 5] and np.all(sm[::3, 6] == 0) and np.all(lsm[::3, 6] == -np.inf)
    if kind == "awkward":
        assert lsm[10, 0] == lsm[20, 0] and lsm[10, 1] == lsm[250, 1] == lsm[590, 1]
        assert -1e-20 < lsm[0, 2] < 0 and lsm[n - 1, 3] == lsm[:, 3].max()
        np.testing.assert_allclose(lsm[:, 4], -np.log(n), rtol=1e-15)
    assert np.all(np.abs(sm[:, 8:].sum(axis=0) - 1) < 1e-13)


@pytest.mark.parametrize("kind", ["plain", "special", "awkward"])
def test_one_slab_agrees_with_the_rows_layout(kind, monkeypatch):
    """Axis 0 of a slab of at most two blocks, below the size for threads: one block, in place."""
    for name in ("softmax_rows", "log_softmax_rows", "_present"):  # neither row chunks nor copies
        monkeypatch.setattr(_kernels, name, lambda *a, _name=name: pytest.fail(f"{_name} ran"))
    rng = np.random.default_rng(6)
    n, q = 650, 150
    x = {"plain": 4 * rng.standard_normal((n, q)), "special": _special_columns(rng, n, q),
         "awkward": _awkward_maxima(rng, n, q)}[kind]
    with np.errstate(invalid="ignore"):
        sm, lsm = companion.softmax(x, axis=0), companion.log_softmax(x, axis=0)
    monkeypatch.undo()
    xt = np.ascontiguousarray(x.T)
    with np.errstate(invalid="ignore"):
        sm_t, lsm_t = companion.softmax(xt, axis=1).T, companion.log_softmax(xt, axis=1).T
    np.testing.assert_allclose(sm, sm_t, rtol=4e-15, atol=0)
    np.testing.assert_allclose(lsm, lsm_t, rtol=4e-15, atol=1e-300)
    monkeypatch.setenv("COMPANION_NUM_THREADS", "3")
    np.testing.assert_array_equal(companion.log_softmax(x, axis=0), lsm)
