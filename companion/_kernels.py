"""Cache-blocked kernels behind softmax, log_softmax and logsumexp (private).

The public functions hand over a C-contiguous array viewed as ``(P, n, Q)``: the
slices, of length ``n``, run along the middle axis. The work is done in blocks of
about ``BLOCK`` elements so that max, shift, exp, sum and divide all run on a block
while it is in cache: the input is read once, the output written once, and no
temporary is larger than a block. Every block reaches a kernel as a C-contiguous
2-D array reduced along axis 1 (``"rows"``, ``"end"``) or axis 0 (``"front"``,
``"gather"``):

* ``"rows"``: the last axis (``Q == 1``) with slices of at least ``SMALL``
  entries: the block is a view of whole rows of the input, no copy. An array of
  at most ``TINY`` elements is a single block of rows (copied to ``(rows, n)``
  when the axis is not the last): there, fewer NumPy calls matter most.
* ``"front"``: the block copied to ``(n, columns)``. For short slices, a NumPy
  call on ten contiguous numbers costs about as much as one on a thousand, so
  short slices are laid side by side and reduced across rows.
* ``"gather"``: a wide inner axis, the block's row pieces copied together.
  Working on the strided view itself thrashes the cache, whose sets alias at
  power-of-two strides.
* ``"end"``: the block copied to ``(rows, n)``, for a narrow inner axis.
* A slice longer than a block goes to the ``*_long`` functions.
* softmax and log_softmax along a leading axis of a wide slab (``Q >= WIDE``,
  larger than a block) go through the ``*_rows`` functions first: chunks of whole
  rows, read and written in memory order, with the "gather" blocks as the fall-back
  when a slice maximum needs a shift or is not finite. A single slab of at most two
  blocks, too small for threads, is instead one block reduced along axis 0 in place.

Large arrays are split over threads (:mod:`companion._parallel`); the results do not
depend on the split.

Numerics (the contract is stated in :func:`companion.softmax`): the shift taken
off before ``exp`` makes ``x - shift`` *exact* whenever the slice maximum ``m`` is
at most ``limit`` (600 for float64, 64 for float32). The shift is 0 for
``-1 < m <= limit``; the integer ``ceil(m)`` for ``m <= -1`` (then ``x - shift``
is no larger than ``x`` in magnitude and lies on the grid of ``x``, so it is
exact); and ``m`` itself, as in the textbook recipe, only above ``limit``. Sums
are pairwise, and on the last axis the largest term is added last.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from functools import partial

import numpy as np

from . import _parallel

BLOCK = 1 << 17
"""Elements per block. NumPy's per-call overhead (a few microseconds, a dozen calls a
block) must stay small next to a block's work, which sets the size more than the L2
cache does; blocks then live in the L3 cache."""

SMALL = 16
"""Slices shorter than this are laid side by side (the "front" layout)."""

TINY = 1 << 13
"""Arrays up to this many elements are done as one block of rows, with the fewest NumPy calls."""

WIDE = 16
"""An inner axis at least this wide is gathered in row pieces, not transposed."""


class Scratch:
    """Named work arrays of one dtype, allocated on first use and reused (one per thread)."""

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        size = math.prod(shape)
        a = self._arrays.get(name)
        if a is None or a.size < size:
            a = self._arrays[name] = np.empty(size, self.dtype)
        return a[:size].reshape(shape)


def limit_for(dtype: np.dtype) -> float:
    """Largest slice maximum with shift 0: ``1e9 * exp(limit)`` is still finite in `dtype`."""
    return 64.0 if dtype.itemsize <= 4 else 600.0  # float16, float32; float64 and wider


def _deep_for(dtype: np.dtype) -> tuple[float, float]:
    """``(tiny, depth)``: a sum of exponentials below ``tiny * n`` may hide subnormal terms;
    it is then summed again with every term scaled up by ``exp(depth)``, which stays finite."""
    fi = np.finfo(dtype)
    return float(fi.smallest_normal) * 4.0, (700.0 if fi.maxexp > 128 else 80.0)


def shift_for(m: np.ndarray, limit: float) -> tuple[np.ndarray | float, bool]:
    """Per-slice shift from the slice maxima `m`, and whether some maximum is ``+inf``.

    The shift is the scalar 0.0 when no slice needs one (the common case: two
    reductions); a non-finite maximum gets shift 0 and is dealt with by the caller.
    """
    if m.size == 0 or (-1.0 < m.min() and m.max() <= limit):
        return 0.0, False
    c = np.array(np.minimum(np.ceil(m), 0))
    np.copyto(c, m, where=m > limit)
    c[~np.isfinite(c)] = 0
    return c, bool((m == np.inf).any())


def tree_sum(a: np.ndarray, ax: int, sc: Scratch, spend: bool = False) -> np.ndarray:
    """Sum of a 2-D `a` over axis `ax`, kept: ``(rows, 1)`` or ``(1, cols)`` (a new array).

    Along the last axis NumPy's own pairwise sum; along axis 0 a pairwise tree,
    halving in place in scratch (NumPy would add the rows one after another), or in
    `a` itself when `spend` is true (`a` is then overwritten).
    """
    if ax == 1:
        return a.sum(axis=1, keepdims=True)
    n, q = a.shape
    if n == 1:
        return a.copy()
    h = n // 2
    t = a[:h] if spend else sc.get("tree", (h, q))
    np.add(a[:h], a[h : 2 * h], out=t)
    if n % 2:
        t[-1] += a[-1]
    while h > 1:
        if h % 2:
            t[0] += t[h - 1]
        h //= 2
        np.add(t[:h], t[h : 2 * h], out=t[:h])
    return t[:1].copy()


def scaled(src: np.ndarray, m, t: float, buf: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(y, max(y))`` with ``y = src / t`` written into `buf`; ``y = src`` when ``t == 1``.

    Dividing first means the guarantees for ``t == 1`` hold for the rounded scores
    ``x / t``. Where that would overflow (an absurdly small `t`), the block is
    shifted first instead, ``y = (x - m) / t``, whose maximum is 0.
    """
    if t == 1.0:
        return src, m
    my = m / t
    finite = np.isfinite(m)
    if (np.isinf(my) & finite).any():
        np.subtract(src, np.where(finite, m, 0), out=buf)
        np.divide(buf, t, out=buf)
        return buf, np.where(finite, 0, m).astype(buf.dtype)
    np.divide(src, t, out=buf)
    return buf, my


def exp_shifted(y: np.ndarray, c, out: np.ndarray) -> np.ndarray:
    """``out = exp(y - c)``, skipping the subtraction when the shift is the scalar 0."""
    if isinstance(c, float) and c == 0.0:
        return np.exp(y, out=out)
    np.subtract(y, c, out=out)
    return np.exp(out, out=out)


def _slice_max(src: np.ndarray, ax: int) -> tuple[np.ndarray | None, np.ndarray]:
    """``(k, m)``: for rows (``ax == 1``) the flat index of each row's first maximum, and the maxima, kept."""
    if ax == 1:
        k = src.argmax(axis=1) + np.arange(0, src.size, src.shape[1])
        return k, src.reshape(-1)[k].reshape(-1, 1)
    return None, src.max(axis=0, keepdims=True)


def _drop_top(e: np.ndarray, k, y: np.ndarray, my: np.ndarray) -> None:
    """Zero one maximal term per slice: rows at ``k``; along axis 0 every term not below the
    maximum (the callers make sure it is unique there)."""
    if k is not None:
        e.reshape(-1)[k] = 0
    else:
        np.copyto(e, 0, where=~(y < my))


def _sum_but_top(e: np.ndarray, y: np.ndarray, my: np.ndarray, c, sc: Scratch) -> np.ndarray:
    """Along axis 0, the sum of the terms but one maximal one, per column.

    Every term at the column maximum is masked out and the rest summed; in a column
    where the maximum is tied, the other tied terms, each ``exp(m - c)``, are added
    back. Masking costs two quick passes over the block; summing everything and then
    subtracting the top term would lose the small sum wherever the top term
    dominates. A column's result depends on that column alone. `e` is overwritten.
    """
    below = np.less(y, my)
    np.multiply(e, below, out=e)
    total = tree_sum(e, 0, sc, spend=True)
    if below.size - np.count_nonzero(below) > below.shape[1]:  # some column has a tie (or a NaN)
        tied = (below.shape[0] - 1) - np.count_nonzero(below, axis=0, keepdims=True)
        total += tied * np.exp(my - c)
    return total


# ---------------------------------------------------------------------------------- blocks
# `src` and `dst` are C-contiguous 2-D arrays of the working dtype and one shape (they may be
# the same array); `ax` (0 or 1) is the reduction axis; `sc` holds this thread's scratch.


def softmax_block(src, dst, ax: int, t: float, limit: float, sc: Scratch, final=None) -> None:
    """``dst = softmax(src / t)`` along `ax` (along axis 0 the last step may write to `final`).

    Along the last axis the largest term is left out of the sum and added last:
    summed in place, a dominant term absorbs a long tail of tiny terms one rounding
    at a time (``[0, -36.7, ..., -36.7]`` loses 14 ulp so). The tree of axis 0 does
    not suffer from it.
    """
    k, m = _slice_max(src, ax)
    c, pinf = shift_for(m, limit)
    hot = (src == np.inf) if pinf else None
    y, my = scaled(src, m, t, dst)
    if t != 1.0:
        c, _ = shift_for(my, limit)
    exp_shifted(y, c, dst)
    if k is None:
        np.divide(dst, tree_sum(dst, ax, sc), out=dst if final is None else final)
        dst = dst if final is None else final
    else:
        flat = dst.reshape(-1)
        top = flat[k].reshape(-1, 1)
        flat[k] = 0
        total = dst.sum(axis=1, keepdims=True)
        total += top
        np.divide(dst, total, out=dst)
        flat[k] = (top / total).reshape(-1)
    if hot is not None:  # slices with +inf entries: the limit, mass shared among them
        np.copyto(dst, hot / hot.sum(axis=ax, keepdims=True), where=m == np.inf)


def log_partition(src, ax: int, t: float, limit: float, sc: Scratch, ybuf=None, ebuf=None) -> tuple:
    """Return ``(y, m_y, L, m, pinf)`` with ``y = src / t`` (in `ybuf`), ``logsumexp(y) = m_y + L``,
    and whether some maximum ``m`` is ``+inf``.

    The exponentials go to `ebuf` (scratch if None).

    ``L = log1p(sum_{j != k} exp(y_j - m_y))`` leaves out one maximal entry ``k``,
    whose term is exactly 1, so ``L`` keeps its full relative accuracy when tiny.
    Along the last axis ``k`` comes from ``argmax``; along axis 0 see `_sum_but_top`.
    """
    k, m = _slice_max(src, ax)
    y, my = scaled(src, m, t, ybuf)
    c, pinf = shift_for(my, limit)
    e = exp_shifted(y, c, sc.get("e", src.shape) if ebuf is None else ebuf)
    if k is not None:
        _drop_top(e, k, y, my)
        total = tree_sum(e, ax, sc)
    else:
        total = _sum_but_top(e, y, my, c, sc)
    tiny, depth = _deep_for(e.dtype)
    if total.min() < tiny * src.shape[ax]:  # terms in the subnormal range: sum them again, scaled up
        deep = total < tiny * src.shape[ax]
        e = exp_shifted(y, c - depth, e)
        _drop_top(e, k, y, my)
        total = np.where(deep, tree_sum(e, ax, sc) * np.exp(-depth).astype(e.dtype), total)
    total *= np.exp(c - my)
    return y, my, log1p(total), m, pinf


def log1p(t: np.ndarray) -> np.ndarray:
    """``log(1 + t)`` to full accuracy.

    float32 (and float16) go through float64, good to far below a float32 ulp, so the
    result is rounded once: ``log(u)`` with ``u = 1 + t`` rounded, plus ``(t - (u - 1)) / u``,
    the rounding error of ``u`` (computed exactly) over ``u``. Here NumPy's float64 ``log``
    is about twice as fast as its ``log1p``; two float64 work arrays suffice.
    """
    if t.dtype == np.float64:
        return np.log1p(t)
    a = np.array(t, dtype=np.float64, ndmin=1)  # t; 1-d at least (0-d arithmetic gives scalars)
    u = a + 1.0
    u -= 1.0  # u - 1, exact
    a -= u  # t - (u - 1): the rounding error of 1 + t, exact
    u += 1.0  # u again
    a /= u
    np.log(u, out=u)
    np.add(u, a, out=u, where=a == a)  # the correction is NaN at t = inf and t = -1
    return u.astype(t.dtype).reshape(np.shape(t))


def log_softmax_block(src, dst, ax: int, t: float, limit: float, sc: Scratch, final=None) -> None:
    """``dst = log_softmax(src / t) = (y - m_y) - L`` along `ax` (the last step may write to `final`)."""
    ybuf = dst if dst is not src else sc.get("y", src.shape) if t != 1.0 else None
    ebuf = dst if dst is not src and t == 1.0 else None  # the output is free until the last steps
    y, my, lg, m, pinf = log_partition(src, ax, t, limit, sc, ybuf, ebuf)
    fix = None
    if pinf:  # slices with +inf entries: log of the shared mass, -inf elsewhere
        pinf = m == np.inf
        hot = src == np.inf
        fix = np.where(hot, -np.log(hot.sum(axis=ax, keepdims=True)), -np.inf)
    np.subtract(y, my, out=dst)
    dst = np.subtract(dst, lg, out=dst if final is None else final)
    if fix is not None:
        np.copyto(dst, fix, where=pinf)


def logsumexp_block(src, ax: int, limit: float, sc: Scratch) -> np.ndarray:
    """``logsumexp(src)`` along `ax` (kept): ``m + L``, and ``m`` itself where ``m`` is infinite."""
    _, m, lg, _, _ = log_partition(src, ax, 1.0, limit, sc)
    out = m + lg
    np.copyto(out, m, where=np.isinf(m))
    return out


# ----------------------------------------------------------------------------- long slices
# A slice longer than a block is a 1-D view (strided when Q > 1). The first pass takes,
# block by block, the maximum and the exponentials with shift 0 ("optimistic"), which is
# the right shift whenever the slice maximum lies in (-1, limit]; only otherwise does a
# second pass redo them with the slice's shift. So softmax reads the input once.


def _piece(x: np.ndarray, s: slice, wdt: np.dtype, sc: Scratch) -> np.ndarray:
    """One block of a long slice, in the working dtype."""
    if x.dtype == wdt:
        return x[s]
    b = sc.get("in", (s.stop - s.start,))
    b[...] = x[s]
    return b


def _pieces(n: int, chunk: Iterable[int]) -> Iterator[slice]:
    """The blocks, numbered by `chunk`, of a slice of length `n`."""
    for i in chunk:
        yield slice(i * BLOCK, min((i + 1) * BLOCK, n))


def _exp_chunk(x, chunk: Iterable[int], wdt, t: float, m, c, sink, sc: Scratch) -> list[tuple]:
    """Exponentiate the blocks of `chunk` into ``sink[s]`` (or scratch): ``[(k, x_k, e_k, rest), ...]``.

    ``e = exp(y - c)`` with ``y = x / t``; ``k`` is the block's first maximum and
    ``rest`` the pairwise sum of the block's other terms. With `m` None (the
    optimistic pass) the shift is 0 and there is no overflow guard.
    """
    out = []
    for s in _pieces(x.shape[0], chunk):
        src = _piece(x, s, wdt, sc)
        j = int(src.argmax())
        dst = sink[s] if sink is not None else sc.get("e", (s.stop - s.start,))
        if m is None:
            y = src if t == 1.0 else np.divide(src, t, out=dst)
        else:
            y, _ = scaled(src, m, t, dst)
        e = exp_shifted(y, c, dst)
        top = e[j]
        e[j] = 0
        rest = e.sum()
        e[j] = top
        out.append((s.start + j, src[j], top, rest))
    return out


def _blocks_of(n: int) -> int:
    return -(-n // BLOCK)


def _exp_pass(x, wdt, t: float, m, c, sink, threads: int) -> tuple[int, np.ndarray, np.ndarray, list]:
    """Exponentiate a long slice; return ``(k, x_k, e_k, others)``: its first maximum, that
    maximum's term, and the partial sums of all the other terms (block by block)."""
    chunks = _parallel.share(range(_blocks_of(x.shape[0])), threads,
                             lambda ch: _exp_chunk(x, ch, wdt, t, m, c, sink, Scratch(wdt)))
    parts = sorted((p for chunk in chunks for p in chunk), key=lambda p: p[0])  # block order
    b = int(np.argmax([p[1] for p in parts]))  # the first maximum, or the first NaN
    others = [p[3] for p in parts] + [p[2] for i, p in enumerate(parts) if i != b]
    return parts[b][0], np.asarray(parts[b][1], dtype=wdt), parts[b][2], others


def _sum_parts(others: list, wdt: np.dtype) -> np.ndarray:
    """Pairwise sum of the partial sums, in at least float64, rounded once to `wdt`."""
    return np.asarray(others, dtype=np.result_type(wdt, np.float64)).sum().astype(wdt)


def _long_pass(x: np.ndarray, wdt, t: float, limit: float, sink, threads: int):
    """Exponentials of a long slice with the right shift: ``(m, my, c, top, others)``; ``top`` is
    None when the maximum ``m`` is not finite."""
    _, m, top, others = _exp_pass(x, wdt, t, None, 0.0, sink, threads)
    if not np.isfinite(m):
        return m, m, 0.0, None, None
    _, my = scaled(m.reshape(1), m.reshape(1), t, np.empty(1, wdt))  # my = 0 if m / t overflows
    c, _ = shift_for(my, limit)
    c = c if isinstance(c, float) else c.reshape(())
    if not isinstance(c, float) or (t != 1.0 and not np.isfinite(m / t)):  # the optimism was wrong
        _, m, top, others = _exp_pass(x, wdt, t, m, c, sink, threads)
    return m, my[0], c, top, others


def _each_block(n: int, threads: int, work) -> None:
    """Run ``work(slices)`` on `threads` threads, which share out the blocks of a slice of length `n`."""
    _parallel.share(range(_blocks_of(n)), threads, lambda q: work(_pieces(n, q)))


def softmax_long(x: np.ndarray, out: np.ndarray, wdt: np.dtype, t: float, limit: float, threads: int) -> None:
    """Softmax of one slice longer than a block: exponentials (one pass), then the divide pass."""
    direct = out.dtype == wdt
    m, _, c, top, others = _long_pass(x, wdt, t, limit, out if direct else None, threads)
    if top is None:
        hot = x == np.inf
        out[...] = hot / np.count_nonzero(hot) if m == np.inf else np.nan
        return
    total = _sum_parts(others, wdt) + top  # the largest term last

    def finish(blocks: Iterable[slice]) -> None:
        sc = Scratch(wdt)
        for p in blocks:
            if direct:
                np.divide(out[p], total, out=out[p])
                continue
            src = _piece(x, p, wdt, sc)  # another dtype: exponentiate again rather than store
            buf = sc.get("e", src.shape)
            y, _ = scaled(src, m, t, buf)
            out[p] = np.divide(exp_shifted(y, c, buf), total, out=buf)

    _each_block(x.shape[0], threads, finish)


def _log_partition_long(x: np.ndarray, wdt: np.dtype, t: float, limit: float, threads: int):
    """``(m, my, L)`` for one long slice: ``logsumexp(x / t) = my + L``; ``L`` None if ``m`` is not finite."""
    m, my, c, top, others = _long_pass(x, wdt, t, limit, None, threads)
    if top is None:
        return m, m, None
    rest = _sum_parts(others, wdt)
    tiny, depth = _deep_for(wdt)
    if rest < tiny * x.shape[0]:  # terms in the subnormal range: sum again, scaled up
        _, _, _, others = _exp_pass(x, wdt, t, m, np.asarray(c - depth, dtype=wdt), None, threads)
        rest = _sum_parts(others, wdt) * np.exp(-depth).astype(wdt)
    return m, my, log1p(np.asarray(rest * np.exp(np.asarray(c - my, dtype=wdt))))


def log_softmax_long(x, out, wdt: np.dtype, t: float, limit: float, threads: int) -> None:
    """Log-softmax of one slice longer than a block: the sum (one pass), then the output pass."""
    m, my, lg = _log_partition_long(x, wdt, t, limit, threads)
    if lg is None:
        hot = x == np.inf
        out[...] = np.where(hot, -np.log(np.count_nonzero(hot)), -np.inf) if m == np.inf else np.nan
        return
    direct = out.dtype == wdt

    def finish(blocks: Iterable[slice]) -> None:
        sc = Scratch(wdt)
        for p in blocks:
            src = _piece(x, p, wdt, sc)
            dst = out[p] if direct else sc.get("e", src.shape)
            y, _ = scaled(src, m, t, dst)
            np.subtract(y, my, out=dst)
            np.subtract(dst, lg, out=dst)
            if not direct:
                out[p] = dst

    _each_block(x.shape[0], threads, finish)


def logsumexp_long(x, wdt: np.dtype, limit: float, threads: int) -> np.ndarray:
    """Log-sum-exp of one slice longer than a block."""
    m, my, lg = _log_partition_long(x, wdt, 1.0, limit, threads)
    return m if lg is None else my + lg


# ------------------------------------------------------------------------------ row chunks
# A reduction along axis 0 of a C-contiguous slab ``(n, Q)`` with a wide inner axis is done
# in chunks of whole rows, so that the input is read and the output written in memory order;
# blocks of columns would read and write rows far apart in memory, which the caches handle
# badly. The first pass takes each chunk's maximum and its exponentials with shift 0 (the
# right shift whenever every slice maximum lies in (-1, limit]); when that optimism fails,
# the caller falls back to the column blocks above. The chunks do not depend on the thread
# count, and partial sums are combined in chunk order.


def _row_chunks(n: int, Q: int, block: int) -> list[slice]:
    step = max(1, block // Q)
    return [slice(r, min(r + step, n)) for r in range(0, n, step)]


def _optimistic_max_ok(cm: np.ndarray, limit: float) -> tuple[np.ndarray, bool]:
    """The slice maxima from the chunk maxima, and whether shift 0 was right for every slice."""
    m = cm.max(axis=0, keepdims=True)
    return m, bool(-1.0 < m.min() and m.max() <= limit)  # False for NaN and infinities too


def _scaled_rows(x: np.ndarray, t: float, buf: np.ndarray) -> np.ndarray:
    return x if t == 1.0 else np.divide(x, t, out=buf)


def _chunk_sums(x2: np.ndarray, chunks: list[slice], wdt, t: float, threads: int, keep=None) -> tuple:
    """First pass over the row chunks of ``x2``: ``(cm, sums)``, each chunk's maxima of ``y = x / t``
    and sums of ``exp(y)`` (shift 0), one row per chunk. The exponentials are kept in `keep`
    (an array like ``x2``) if given, else made in scratch and spent by the sum."""
    Q = x2.shape[1]
    cm = np.empty((len(chunks), Q), wdt)
    sums = np.empty((len(chunks), Q), wdt)

    def first(indices: Iterable[int]) -> None:
        sc = Scratch(wdt)
        for i in indices:
            rows = chunks[i]
            shape = (rows.stop - rows.start, Q)
            e = sc.get("e", shape) if keep is None else keep[rows]
            y = _scaled_rows(x2[rows], t, sc.get("y", shape) if keep is None else e)
            np.max(y, axis=0, out=cm[i])
            sums[i] = tree_sum(np.exp(y, out=e), 0, sc, spend=keep is None)[0]

    _parallel.share(range(len(chunks)), threads, first)
    return cm, sums


def softmax_rows(x2: np.ndarray, o2: np.ndarray, wdt, t: float, limit: float, block: int, threads: int) -> bool:
    """Softmax along axis 0 of ``x2`` into ``o2`` in row chunks; False (``o2`` scribbled) if shift 0 was wrong."""
    chunks = _row_chunks(*x2.shape, block)
    cm, parts = _chunk_sums(x2, chunks, wdt, t, threads, keep=o2)
    _, ok = _optimistic_max_ok(cm, limit)
    if not ok:
        return False
    total = tree_sum(parts, 0, Scratch(wdt))

    def second(indices: Iterable[int]) -> None:
        for i in indices:
            np.divide(o2[chunks[i]], total, out=o2[chunks[i]])

    _parallel.share(range(len(chunks)), threads, second)
    return True


def _top_chunk_rest(x2: np.ndarray, step: int, k: np.ndarray, m: np.ndarray, t: float, sc: Scratch,
                    cols: slice) -> np.ndarray:
    """Per column ``q`` in `cols` of ``x2``, the sum over the row chunk ``k[q]`` (rows ``k[q] * step``
    on) of the terms ``exp(y)`` but one at the maximum ``m[q]`` (see `_sum_but_top`), ``(1, q)``."""
    n, Q = x2.shape
    start, m = k[cols] * step, m[:, cols]
    idx = np.arange(0, step * Q, Q).reshape(-1, 1) + (start * Q + np.arange(Q)[cols])
    short = n - start < step  # a short last chunk: its missing rows count as -inf
    if short.any():
        np.minimum(idx, x2.size - 1, out=idx)
    y = x2.reshape(-1).take(idx)
    if short.any():
        y[np.arange(step).reshape(-1, 1) >= n - start] = -np.inf
    y = _scaled_rows(y, t, y)
    return _sum_but_top(np.exp(y), y, m, 0.0, sc)


def log_softmax_rows(x2: np.ndarray, o2: np.ndarray, wdt, t: float, limit: float, block: int, threads: int) -> bool:
    """Log-softmax along axis 0 of ``x2`` into ``o2`` in row chunks; False if shift 0 was wrong.

    ``L = log1p(sum of the terms but one maximal one)`` keeps its accuracy (see
    `log_partition`) only if that term is left out before summing. The first pass sums
    every term of each chunk; then, for each slice, the one chunk holding its first
    maximum is summed again without it (1/chunks of the data, gathered in one step), in place
    of masking every chunk.
    """
    n, Q = x2.shape
    chunks = _row_chunks(n, Q, block)
    cm, sums = _chunk_sums(x2, chunks, wdt, t, threads)
    m, ok = _optimistic_max_ok(cm, limit)
    if not ok:
        return False
    # The first chunk holding each slice's maximum (np.argmax along axis 0 is slow).
    k = np.where(cm == m, np.arange(len(chunks)).reshape(-1, 1), len(chunks)).min(axis=0)
    step = chunks[0].stop - chunks[0].start

    def again(groups: Iterable[range]) -> None:  # columns apart do not interact: any split gives one result
        sc = Scratch(wdt)
        for g in groups:
            cols = slice(g.start, g.stop)
            sums[k[cols], np.arange(g.start, g.stop)] = _top_chunk_rest(x2, step, k, m, t, sc, cols)[0]

    groups = _parallel.split(Q, min(4 * threads, step * Q // (BLOCK // 8)))  # pieces of 16,384 or more
    _parallel.share(groups, min(threads, len(groups)), again)
    total = tree_sum(sums, 0, Scratch(wdt))
    tiny, _ = _deep_for(wdt)
    if (total < tiny * n).any():  # terms in the subnormal range: the column blocks handle that
        return False
    lg = log1p(total * np.exp(-m))

    def second(indices: Iterable[int]) -> None:
        for i in indices:
            rows = chunks[i]
            dst = o2[rows]
            y = _scaled_rows(x2[rows], t, dst)
            np.subtract(y, m, out=dst)
            np.subtract(dst, lg, out=dst)

    _parallel.share(range(len(chunks)), threads, second)
    return True


# ---------------------------------------------------------------------------------- drivers


def block_size(size: int, threads: int) -> int:
    """Elements per block: ``BLOCK``, smaller for arrays that would otherwise need more scratch
    space (up to three blocks a thread, and NumPy temporaries) than the array itself."""
    return min(BLOCK, max(BLOCK // 8, size // (6 * threads)))


def _blocks(P: int, n: int, Q: int, block: int, threads: int = 1) -> list[tuple[str, tuple, int]]:
    """``(layout, index into the (P, n, Q) view, reduction axis of the presented block)`` per block."""
    if P * n * Q <= TINY:  # one block; rows even if short: few NumPy calls matter more here
        return [("rows", (slice(None), slice(None), 0), 1)] if Q == 1 else [("end", (slice(None),), 1)]
    if Q == 1 and n >= SMALL:
        step = max(1, block // n)
        return [("rows", (slice(p, p + step), slice(None), 0), 1) for p in range(0, P, step)]
    if Q >= WIDE and n * Q > block:  # wider blocks: NumPy reduces axis 0 one row piece at a time
        width = max(WIDE, min(4 * block, P * n * Q // (3 * threads)) // n)
        return [("gather", (p, slice(None), slice(q, q + width)), 0) for p in range(P) for q in range(0, Q, width)]
    step = max(1, block // (n * Q))
    layout, ax = ("front", 0) if n < SMALL or Q >= WIDE else ("end", 1)
    return [(layout, (slice(p, p + step),), ax) for p in range(0, P, step)]


def _present(view: np.ndarray, layout: str, sc: Scratch) -> np.ndarray:
    """Copy a block into scratch as the kernels see it: working dtype, C-contiguous 2-D."""
    if layout in ("rows", "gather"):
        b = sc.get("in", view.shape)
        np.copyto(b, view, casting="unsafe")
        return b
    p, n, q = view.shape
    if layout == "front":  # (p, n, Q) -> (n, p * Q)
        b = sc.get("in", (n, p, q))
        np.copyto(b, view.transpose(1, 0, 2), casting="unsafe")
        return b.reshape(n, p * q)
    b = sc.get("in", (p, q, n))  # "end": (p, n, Q) -> (p * Q, n)
    np.copyto(b, view.transpose(0, 2, 1), casting="unsafe")
    return b.reshape(p * q, n)


def _restore(block: np.ndarray, layout: str, target: np.ndarray) -> None:
    """Write a block computed in the presented layout back into `target`, a view of the output."""
    if layout == "front":
        p, n, q = target.shape
        block = block.reshape(n, p, q).transpose(1, 0, 2)
    elif layout == "end":
        p, n, q = target.shape
        block = block.reshape(p, q, n).transpose(0, 2, 1)
    np.copyto(target, block, casting="unsafe")


def _map_blocks(kernel, x3, o3, wdt, t: float, limit: float, jobs: Iterable) -> None:
    """Run `kernel` on the given blocks of `x3`, writing into `o3` (one thread's share)."""
    sc = Scratch(wdt)
    for layout, index, ax in jobs:
        target = o3[index]
        if layout == "rows" and o3.dtype == wdt:
            src = x3[index]
            if src.dtype != wdt:
                np.copyto(target, src, casting="unsafe")
                src = target
            kernel(src, target, 1, t, limit, sc)
            continue
        block = _present(x3[index], layout, sc)
        if layout == "gather" and o3.dtype == wdt:  # the last step writes straight into the output
            kernel(block, block, ax, t, limit, sc, final=target)
            continue
        kernel(block, block, ax, t, limit, sc)
        _restore(block, layout, target)


def map_slices(kind: str, x3: np.ndarray, o3: np.ndarray, wdt: np.dtype, t: float) -> None:
    """Write the softmax (``kind="softmax"``) or log-softmax of every slice of `x3` into `o3`."""
    P, n, Q = x3.shape
    if x3.size == 0:
        return
    limit = limit_for(wdt)
    # Short slices cost about twice as much per element (their blocks are transposed in
    # and out), so they are worth splitting over threads at half the size.
    threads = _parallel.threads_for(x3.size * (2 if n < SMALL else 1), wdt)
    with np.errstate(all="ignore"):
        if n > BLOCK and Q < WIDE:
            long = softmax_long if kind == "softmax" else log_softmax_long
            for p in range(P):
                for q in range(Q):
                    long(x3[p, :, q], o3[p, :, q], wdt, t, limit, threads)
            return
        block = block_size(x3.size, threads)
        if threads == 1 and Q == 1 and n >= SMALL:  # rows: no copy, a scratch block at most half the input
            block = min(BLOCK, max(block, x3.size // 2))
        elif n < SMALL:
            # Short slices: each block is copied, transposed, and needs work vectors of
            # block / n entries (some float64), about (2 + 6 / n) blocks of scratch a thread;
            # keep that within 2/3 of the input, and a block within 512 KB. Fewer blocks
            # mean fewer small NumPy calls, which hold the GIL.
            fit = 2 * x3.size * n // (3 * threads * (2 * n + 6))
            block = min(BLOCK * 4 // wdt.itemsize, max(BLOCK // 8, fit))
        direct = x3.dtype == o3.dtype == wdt and x3.flags.c_contiguous and o3.flags.c_contiguous
        # One slab of at most two blocks, below the size for threads (whatever their number, so
        # that the result does not depend on it): a single block, in place, no copies.
        if (direct and P == 1 and Q >= WIDE and block < n * Q <= 2 * BLOCK
                and not _parallel.worth_splitting(x3.size, wdt)):
            kernel = softmax_block if kind == "softmax" else log_softmax_block
            kernel(x3[0], o3[0], 0, t, limit, Scratch(wdt))
            return
        if direct and Q >= WIDE and n * Q > block and 8 * Q <= block:
            rows = softmax_rows if kind == "softmax" else log_softmax_rows
            chunk = block_size(x3.size, 1)  # not `block`: the chunks, unlike column blocks, shape the sums
            if all([rows(x3[p], o3[p], wdt, t, limit, chunk, threads) for p in range(P)]):
                return
        kernel = softmax_block if kind == "softmax" else log_softmax_block
        jobs = _blocks(P, n, Q, block, threads)
        if threads == 1 or len(jobs) == 1:
            _map_blocks(kernel, x3, o3, wdt, t, limit, jobs)
            return
        _parallel.share(jobs, threads, partial(_map_blocks, kernel, x3, o3, wdt, t, limit))


def _reduce_blocks(x3, res, wdt, limit: float, jobs: Iterable) -> None:
    """Log-sum-exp of the given blocks of `x3` into `res` (one thread's share)."""
    sc = Scratch(wdt)
    Q = x3.shape[2]
    for layout, index, ax in jobs:
        view = x3[index]
        block = view if layout == "rows" and view.dtype == wdt else _present(view, layout, sc)
        r = logsumexp_block(block, ax, limit, sc)
        if layout == "gather":  # (1, q)
            res[index[0], index[2]] = r[0]
        else:  # rows (rows, 1); front (1, p * Q); end (p * Q, 1)
            res[index[0]] = r.reshape(-1, Q)


def reduce_slices(x3: np.ndarray, wdt: np.dtype) -> np.ndarray:
    """Log-sum-exp of every slice of `x3`, as a ``(P, Q)`` array of dtype `wdt` (``-inf`` if ``n == 0``)."""
    P, n, Q = x3.shape
    res = np.empty((P, Q), wdt)
    if n == 0:
        res.fill(-np.inf)
    if res.size == 0 or n == 0:
        return res
    limit = limit_for(wdt)
    threads = _parallel.threads_for(x3.size, wdt)
    with np.errstate(all="ignore"):
        if n > BLOCK and Q < WIDE:
            for p in range(P):
                for q in range(Q):
                    res[p, q] = logsumexp_long(x3[p, :, q], wdt, limit, threads)
            return res
        jobs = _blocks(P, n, Q, block_size(x3.size, threads), threads)
        if threads == 1 or len(jobs) == 1:
            _reduce_blocks(x3, res, wdt, limit, jobs)
            return res
        _parallel.share(jobs, threads, partial(_reduce_blocks, x3, res, wdt, limit))
    return res
