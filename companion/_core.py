"""Softmax, log-softmax, log-sum-exp, hardmax, sigmoid and the Boltzmann distribution.

This module is written to be read next to the book's chapter *Numerics*. The three
reductions (softmax, log_softmax, logsumexp) share one numerical contract, stated in
full in the Notes of :func:`softmax` and on the book's page *The companion package*:

* float16, float32 and float64 keep their dtype (float16 is computed in float32);
  integer and bool input is computed in float64; complex, object, string and
  datetime input raises ``TypeError``.
* ``axis`` is an int, a tuple of ints or ``None`` (all axes: one slice); an axis
  out of range raises ``numpy.exceptions.AxisError``.
* Finite input never overflows or underflows needlessly, and the special values
  NaN, ``+inf`` and ``-inf`` give the limits described in :func:`softmax`.

How the work is done, in five ideas, one function each:

1. ``_slices``: the array is viewed as ``(P, n, Q)``, every slice running down the
   middle axis, so that one code path serves every axis.
2. ``_blocks``: the slices are taken a block of about ``BLOCK`` entries at a time (whole
   ``(n, Q)`` slabs), so that the few passes over a block (max, exp, sum, divide) find it
   in the CPU cache. Short rows (fewer than 16 entries) are laid side by side in a block,
   so that each step of a reduction is one NumPy call over many slices.
3. ``_shift``: the number taken off the scores before ``exp``, chosen so that the
   subtraction is exact.
4. ``_sum_exp``: the exponentials, and the sum of the terms below each slice's maximum
   (a slab larger than a block goes in chunks of rows, each summed while in the cache);
   the terms at the maximum are added last (softmax) or one of them is left out of
   ``log1p`` (log_softmax, logsumexp).
5. ``_pairwise_sum``: sums in pairs, so that rounding errors grow like ``log n``.

There are no threads, no caches kept between calls and no environment variables:
every call is a pure function of its arguments (and safe in forked processes).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._validation import Axis, check_temperature, normalize_axes, real_array

__all__ = ["softmax", "log_softmax", "logsumexp", "hardmax", "sigmoid", "boltzmann"]

BLOCK = 1 << 16
"""Entries per block (512 KB of float64): a block and its work arrays fit in the cache."""


def _slices(a: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, list[int]]:
    """View `a` as a C-contiguous ``(P, n, Q)`` array whose slices run down axis 1.

    One reduced axis stays in place (``P`` and ``Q`` are the axes before and after it);
    several are moved to the end and flattened into one. The view is a copy unless `a`
    is C-contiguous and nothing moves, so no result depends on the memory layout of `a`.
    Also returns the order of the axes of `a` in the view (``a.transpose(order)``,
    reshaped, is the view).
    """
    lo = axes[0] if len(axes) == 1 else a.ndim - len(axes)
    order = list(range(a.ndim)) if len(axes) == 1 else [i for i in range(a.ndim) if i not in axes] + list(axes)
    s = a.transpose(order).shape
    b = np.ascontiguousarray(a.transpose(order))
    return b.reshape(math.prod(s[:lo]), math.prod(s[lo : lo + len(axes)]), math.prod(s[lo + len(axes) :])), order


def _blocks(shape: tuple[int, int, int]) -> list[slice]:
    """The blocks of a ``(P, n, Q)`` array: as many whole ``(n, Q)`` slabs as fit in ``BLOCK``
    entries, at least one (a larger slab is summed in chunks by `_sum_exp`)."""
    P, n, Q = shape
    step = max(1, BLOCK // max(n * Q, 1))
    return [slice(p, p + step) for p in range(0, P, step)]


def _divide(x: np.ndarray, t: float) -> np.ndarray:
    """``x / t`` (one rounding per score); a slice whose maximum would overflow is shifted first, ``(x - max) / t``."""
    m = x.max(axis=1, keepdims=True)
    big = np.isinf(m / t) & np.isfinite(m)  # only for an absurdly small temperature
    return (x - np.where(big, m, 0)) / t if big.any() else x / t


def _shift(m: np.ndarray) -> np.ndarray | float:
    """The shift ``c`` to take off the scores before ``exp``, from the slice maxima `m`.

    ``c`` makes ``y - c`` exact where the maximum ``m`` is at most ``limit``: it is 0 for
    ``-1 < m <= limit``, where ``exp(y)`` cannot overflow (``limit`` is 600 for float64, 64
    for float32); ``ceil(m)``, an integer, for ``m <= -1`` (then ``y - c`` is no larger than
    ``y`` and lies on its grid); and ``m`` itself, as in the textbook recipe, only above
    ``limit``. It is the float 0.0 when no slice of the block needs a shift (the usual case).
    """
    limit = 64.0 if m.dtype.itemsize <= 4 else 600.0
    if -1.0 < m.min() and m.max() <= limit:  # False for NaN and infinities
        return 0.0
    c = np.where(m > limit, m, np.minimum(np.ceil(m), 0))
    return np.where(np.isfinite(c), c, 0).astype(m.dtype)


def _sum_exp(y: np.ndarray, m: np.ndarray, c: np.ndarray | float, out: np.ndarray | None = None) -> tuple:
    """``out = exp(y - c)`` (if `out` is given); returns ``(rest, ties)``: the pairwise sum of the terms whose score is
    below the slice maximum `m`, and the number of scores equal to `m` (1 unless there is a tie).

    Setting the terms at the maximum aside lets the caller add them last (softmax) or leave
    one out (log_softmax, logsumexp). A block larger than ``BLOCK`` entries (one large slab)
    goes in chunks of rows, each summed while it is in the cache; the chunks' sums are then
    added in pairs too.
    """
    p, n, q = y.shape
    step = max(1, BLOCK // (p * q))
    rests, at = [], 0
    for r in range(0, n, step):
        yr = y[:, r : r + step]
        er = out[:, r : r + step] if out is not None else np.empty_like(yr)  # a chunk's work array
        np.exp(yr if isinstance(c, float) and c == 0.0 else np.subtract(yr, c, out=er), out=er)
        below = yr < m  # False at the maximum, and everywhere in a slice with a NaN
        rests.append(_pairwise_sum(np.where(below, er, 0)))  # not er * below: inf * 0 is NaN
        at += yr.size - np.count_nonzero(below)  # the scores at the maximum (or NaN) so far
    rest = rests[0] if len(rests) == 1 else _pairwise_sum(np.concatenate(rests, axis=1))
    if at == m.size:  # one score at the maximum in every slice, the usual case
        return rest, 1  # (a slice with a NaN has no score below its maximum: all its n count)
    return rest, (n - np.count_nonzero(y < m, axis=1, keepdims=True)).astype(y.dtype)


def _pairwise_sum(e: np.ndarray) -> np.ndarray:
    """Sum of a ``(p, n, q)`` block over axis 1 (kept) in pairs: the rounding error grows like ``log n``.

    Along a contiguous axis (``q == 1``) NumPy's own sum is pairwise. Across rows NumPy
    would add one row after another, so the rows are added in pairs, halving each time.
    """
    if e.shape[2] == 1:
        return e.sum(axis=1, keepdims=True)
    while e.shape[1] > 1:
        h = e.shape[1] // 2
        pairs = e[:, :h] + e[:, h : 2 * h]
        if e.shape[1] % 2:  # an odd row out joins the first pair
            pairs[:, :1] += e[:, 2 * h :]
        e = pairs
    return e


def _softmax_block(y: np.ndarray, out: np.ndarray) -> None:
    """``out = softmax(y)`` along axis 1 of a ``(p, n, q)`` block; the largest terms are added to the sum last.

    Added in place, a dominant term would absorb a long tail of tiny terms one rounding
    at a time (``[0, -36.7, ..., -36.7]`` loses 14 ulp so).
    """
    m = y.max(axis=1, keepdims=True)
    c = _shift(m)
    rest, ties = _sum_exp(y, m, c, out)
    np.divide(out, rest + ties * np.exp(m - c), out=out)
    if (m == np.inf).any():  # +inf entries share the mass equally: the limit as they grow together
        hot = y == np.inf
        np.copyto(out, hot / hot.sum(axis=1, keepdims=True), where=m == np.inf)


def _log_partition(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(m, L)`` with ``logsumexp(y) = m + L`` along axis 1: ``L = log1p(sum of exp(y_j - m), j != k)``.

    Leaving out one maximal term ``k`` (exactly 1 relative to ``m``) keeps ``L`` accurate
    when it is tiny: the sum is the terms below ``m``, rescaled from the shift ``c`` to ``m``,
    plus 1 for each further tie. Where the terms below ``m`` sum to so little that they may
    be subnormal (and have lost digits), they are summed again scaled up by ``e**depth``.
    ``L`` is computed in float64 and rounded once.
    """
    m = y.max(axis=1, keepdims=True)
    c = _shift(m)
    rest, ties = _sum_exp(y, m, c)
    tiny = 4 * np.finfo(y.dtype).smallest_normal * y.shape[1]
    if (rest < tiny).any():
        depth = 700.0 if y.dtype.itemsize >= 8 else 80.0
        deep, _ = _sum_exp(y, m, c - depth)
        rest = np.where(rest < tiny, deep * np.exp(-depth).astype(y.dtype), rest)
    return m, np.log1p(rest * np.exp(c - m) + (ties - 1), dtype=np.float64).astype(y.dtype)


def _log_softmax_block(y: np.ndarray, out: np.ndarray) -> None:
    """``out = (y - m) - L`` along axis 1; slices with ``+inf`` entries get their limit."""
    m, lg = _log_partition(y)
    np.subtract(np.subtract(y, m, out=out), lg, out=out)
    if (m == np.inf).any():  # log of the mass shared by the +inf entries, -inf elsewhere
        hot = y == np.inf
        np.copyto(out, np.where(hot, -np.log(hot.sum(axis=1, keepdims=True)), -np.inf), where=m == np.inf)


def _result_dtype(dtype: np.dtype) -> np.dtype:
    """Floating input keeps its dtype; integer and bool input gives float64."""
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _map(block_fn: Callable, x: ArrayLike, axis: Axis, temperature: float) -> np.ndarray:
    """Shared body of :func:`softmax` and :func:`log_softmax`: check, view as slices, run `block_fn` per block."""
    t = check_temperature(temperature)
    a = real_array(x)
    x3, order = _slices(a, normalize_axes(axis, a.ndim))
    out = np.empty(x3.shape, a.dtype if a.dtype.kind == "f" else np.float64)
    work = np.promote_types(out.dtype, np.float32)  # float16 is computed in float32
    side = x3.shape[1] < 16 and x3.shape[2] == 1  # short rows: laid side by side, (p, n, 1) -> (1, n, p)
    with np.errstate(all="ignore"):
        for b in _blocks(x3.shape) if out.size else []:
            y = np.ascontiguousarray(x3[b].transpose(2, 1, 0) if side else x3[b], dtype=work)
            direct = not side and out.dtype == work  # else computed in work arrays and copied
            o = out[b] if direct else np.empty_like(y)
            block_fn(y if t == 1.0 else _divide(y, t), o)
            if not direct:
                out[b] = o.transpose(2, 1, 0) if side else o
    return out.reshape(a.transpose(order).shape).transpose(np.argsort(order))


def softmax(x: ArrayLike, axis: Axis = -1, *, temperature: float = 1.0) -> np.ndarray:
    r"""Softmax of `x` along `axis`: ``exp(x / T) / sum(exp(x / T))``.

    Parameters
    ----------
    x : array_like
        Real scores (logits). Float arrays keep their dtype; integer and
        bool arrays are computed in float64.
    axis : int, tuple of int or None, optional
        Axis (or axes) along which the probabilities sum to one. ``None``
        treats the whole array as one slice. Default: the last axis.
    temperature : float, optional
        Positive, finite temperature :math:`T`. Large ``T`` flattens the
        distribution towards uniform; small ``T`` sharpens it towards the
        one-hot :func:`hardmax`.

    Returns
    -------
    numpy.ndarray
        Array of the shape of `x`; each slice along `axis` sums to one.

    Raises
    ------
    TypeError
        If `x` is complex, object, string or datetime data, or `axis` is not
        an int, a tuple of ints or None.
    numpy.exceptions.AxisError
        If `axis` is out of range (including any int axis on 0-d input).
    ValueError
        If `temperature` is not positive and finite, or `axis` repeats an axis.

    See Also
    --------
    log_softmax : its logarithm, accurate where softmax rounds to 0 or 1.
    hardmax : the zero-temperature limit.

    Notes
    -----
    **Shift.** Softmax does not change when the same number is subtracted
    from every score, so each slice is shifted before ``exp`` so that nothing
    overflows. The shift is chosen so that the subtraction is *exact* whenever
    the slice maximum :math:`m` is at most 600 (64 for float32): it is 0 for
    :math:`-1 < m \le 600`, the integer :math:`\lceil m \rceil` for
    :math:`m \le -1` and :math:`m` itself only beyond 600. With a temperature
    the scores are divided by :math:`T` first (one rounding each) and
    everything below holds for those rounded scores.

    **Special values**, slice by slice:

    * a NaN anywhere gives NaN for the whole slice;
    * ``-inf`` entries get probability exactly 0 while some entry is finite;
    * a slice that is all ``-inf`` is undefined (0/0) and gives NaN;
    * ``+inf`` entries share the mass equally and all other entries get 0
      (the limit as those entries grow together).

    **Empty and 0-d input.** An empty slice gives an empty result of the same
    shape. A 0-d array has no axis, so any int `axis` raises ``AxisError``, as
    in NumPy; with ``axis=None`` it is a slice of one entry, whose softmax is 1.

    **Accuracy** (tested against a 256-bit mpmath reference on an
    adversarial battery; see the book's page on the companion): within 4
    units in the last place (ulp) whenever every ``x_i - max(x)`` is exact,
    which by the choice of shift covers every slice whose maximum is at most
    600. Beyond that, where ``x_i - m`` itself rounds, the rounding is
    amplified by ``|x_i - m|`` in every method that forms that difference, as
    SciPy's does; the result is then no worse than SciPy's. For float32 read
    5 ulp for 4 (and 64 for 600): NumPy's float32 ``exp`` itself errs by up
    to about 2.4 ulp.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import softmax
    >>> softmax(np.array([1.0, 2.0, 3.0])).round(4)
    array([0.09  , 0.2447, 0.6652])
    >>> softmax(np.array([1000.0, 999.0])).round(4)
    array([0.7311, 0.2689])
    >>> softmax(np.array([0.0, -np.inf, np.inf, np.inf]))
    array([0. , 0. , 0.5, 0.5])
    """
    return _map(_softmax_block, x, axis, temperature)


def log_softmax(x: ArrayLike, axis: Axis = -1, *, temperature: float = 1.0) -> np.ndarray:
    r"""Logarithm of :func:`softmax`, computed without forming the softmax.

    With :math:`m = x_k` a largest entry of the slice,

    .. math:: \log \mathrm{softmax}(x)_i = (x_i - m) - \mathrm{log1p}\Big(\sum_{j \ne k} e^{x_j - m}\Big).

    Leaving the largest entry's own term (exactly 1) out of the sum and using
    ``log1p`` keeps full accuracy for a dominant entry, whose log-probability
    is a tiny negative number (Blanchard, Higham and Higham, 2021); the
    textbook ``x - logsumexp(x)`` loses it.

    Parameters
    ----------
    x : array_like
        Real scores; see :func:`softmax`.
    axis : int, tuple of int or None, optional
        Axis (or axes) to normalise over. Default: the last axis.
    temperature : float, optional
        Positive, finite temperature, as in :func:`softmax`.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype rules as :func:`softmax`; entries are ``<= 0``.

    Raises
    ------
    TypeError, numpy.exceptions.AxisError, ValueError
        As for :func:`softmax`.

    Notes
    -----
    Special values follow :func:`softmax`: NaN slices and all ``-inf``
    slices give NaN, ``-inf`` entries give ``-inf``, and ``k`` entries equal
    to ``+inf`` give ``-log(k)`` (the others ``-inf``). Empty and 0-d input
    as in :func:`softmax` (a 0-d slice gives 0).

    Accuracy: within 4 ulp (float32: 5) whenever every ``x_i - m`` is exact,
    and within 16 ulp elsewhere. The sum inside ``log1p`` uses the same exact
    shift as :func:`softmax`, and ``x_i - m`` and the ``log1p`` term have the
    same sign, so the subtraction that forms the result never cancels.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import log_softmax
    >>> float(log_softmax(np.array([0.0, -40.0, -40.0]))[0])
    -8.496708510583178e-18
    >>> log_softmax(np.array([2.0, 2.0, -np.inf]))
    array([-0.69314718, -0.69314718,        -inf])
    """
    return _map(_log_softmax_block, x, axis, temperature)


def logsumexp(x: ArrayLike, axis: Axis = -1, *, keepdims: bool = False) -> np.ndarray:
    r"""``log(sum(exp(x)))`` along `axis`, without overflow.

    Computed as ``m + log1p(sum_{j != k} exp(x_j - m))`` with ``m = x_k`` a
    largest entry, so the result never overflows for finite input and keeps
    full accuracy when one entry dominates.

    Parameters
    ----------
    x : array_like
        Real numbers; float arrays keep their dtype, integer and bool input
        is computed in float64.
    axis : int, tuple of int or None, optional
        Axis (or axes) to reduce. ``None`` reduces over all entries.
        Default: the last axis.
    keepdims : bool, optional
        If true, the reduced axes are kept with length one.

    Returns
    -------
    numpy.ndarray
        The reduced array (a 0-d array when a single slice is reduced).

    Raises
    ------
    TypeError, numpy.exceptions.AxisError, ValueError
        As for :func:`softmax`.

    Notes
    -----
    A NaN in a slice gives NaN; any ``+inf`` gives ``+inf``; a slice that is
    all ``-inf`` gives ``-inf`` (the log of an empty sum of exponentials,
    consistent with ``log(0)``), and so does an empty slice, for the same
    reason. A 0-d array with ``axis=None`` gives itself.

    float16 and float32 input is computed in float64 and rounded once.

    Accuracy: within 4 ulp of the result, except where the result is near 0
    because ``m < 0`` and the ``log1p`` term nearly cancels ``m``. There the
    problem is ill-conditioned: each ``exp`` rounded to the working precision
    leaves an error of about one ulp of ``|m|``, and no method that rounds
    the exponentials to float64 avoids it. The error is then within 1 ulp of
    ``|m|`` (absolute), and float32 results, computed in float64, stay within
    4 ulp unless ``|result| < 2**-29 |m|``.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import logsumexp
    >>> float(logsumexp(np.array([1000.0, 1000.0])))
    1000.6931471805599
    >>> logsumexp(np.array([[0.0, -np.inf], [-np.inf, -np.inf]]))
    array([  0., -inf])
    """
    a = real_array(x)
    axes = normalize_axes(axis, a.ndim)
    x3, _ = _slices(a, axes)
    res = np.full((x3.shape[0], 1, x3.shape[2]), -np.inf)  # the log of an empty sum
    with np.errstate(all="ignore"):
        for b in _blocks(x3.shape) if x3.size else []:
            y = np.ascontiguousarray(x3[b], dtype=np.promote_types(x3.dtype, np.float64))
            m, lg = _log_partition(y)
            res[b] = np.where(np.isinf(m), m, m + lg)
    out = res.astype(_result_dtype(a.dtype)).reshape([a.shape[i] for i in range(a.ndim) if i not in axes])
    return np.expand_dims(out, axes) if keepdims else out


def hardmax(x: ArrayLike, axis: Axis = -1) -> np.ndarray:
    """One-hot encoding of the arg max of `x` along `axis`.

    The 1 goes to the *first* maximum, the same tie rule as ``np.argmax``.
    This is the limit of ``softmax(x, temperature=T)`` as ``T -> 0`` when the
    maximum is unique.

    Parameters
    ----------
    x : array_like
        Real scores; see :func:`softmax`.
    axis : int, tuple of int or None, optional
        Axis (or axes) along which to pick the maximum. Default: the last axis.

    Returns
    -------
    numpy.ndarray
        Floating array of zeros and ones with the shape of `x` (dtype as for
        :func:`softmax`). A slice that holds a NaN is all NaN (``np.argmax``
        would point at the first NaN).

    Examples
    --------
    >>> import numpy as np
    >>> from companion import hardmax
    >>> hardmax(np.array([10.01, 7.4, 5.1, 3.7]))
    array([1., 0., 0., 0.])
    >>> hardmax(np.array([2.0, 5.0, 5.0]))
    array([0., 1., 0.])
    """
    a = real_array(x)
    x3, order = _slices(a, normalize_axes(axis, a.ndim))
    out = np.zeros(x3.shape, dtype=_result_dtype(a.dtype))
    if x3.shape[1] and out.size:
        idx = np.expand_dims(x3.argmax(axis=1), 1)
        np.put_along_axis(out, idx, 1, axis=1)
        nan = np.isnan(np.take_along_axis(x3, idx, axis=1))
        if nan.any():
            np.copyto(out, np.nan, where=nan)
    return out.reshape(a.transpose(order).shape).transpose(np.argsort(order))


def sigmoid(z: ArrayLike) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-z))``, elementwise, without overflow.

    Parameters
    ----------
    z : array_like
        Real numbers; float arrays keep their dtype, integer and bool input
        is computed in float64.

    Returns
    -------
    numpy.ndarray
        Values in ``[0, 1]`` with the shape of `z`.

    Notes
    -----
    Computed as ``1 / (1 + e)`` for ``z >= 0`` and ``e / (1 + e)`` for
    ``z < 0``, with ``e = exp(-|z|)``, so ``exp`` never overflows and tiny
    results keep their relative accuracy (``sigmoid(-710)`` is about
    ``4.5e-309``, not 0). float16 and float32 are computed in float64 and
    rounded once. ``sigmoid(z)`` equals ``softmax([z, 0])[0]``.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import sigmoid
    >>> sigmoid(np.array([-800.0, 0.0, 2.0])).round(4)
    array([0.    , 0.5   , 0.8808])
    >>> float(sigmoid(-710.0))
    4.47628622567513e-309
    """
    a = real_array(z, "z")
    w = a.astype(np.float64) if a.dtype.kind != "f" or a.dtype.itemsize < 8 else a
    e = np.exp(-np.abs(w))
    with np.errstate(invalid="ignore"):  # NaN in, NaN out
        out = np.where(w >= 0, 1, e) / (1 + e)
    return np.asarray(out).astype(_result_dtype(a.dtype), copy=False)


def boltzmann(energies: ArrayLike, temperature: float, *, k: float = 1.0, axis: Axis = -1) -> np.ndarray:
    r"""Boltzmann (Gibbs) distribution over energy levels.

    ``p_i = exp(-E_i / (k T)) / Z`` with the partition function
    ``Z = sum_j exp(-E_j / (k T))``. This is ``softmax(-E / (k T))``.

    Parameters
    ----------
    energies : array_like
        Energies :math:`E_i` of the levels (any real units).
    temperature : float
        Positive, finite temperature :math:`T`.
    k : float, optional
        Boltzmann's constant in the units of `energies` per unit of
        temperature. The default 1 measures temperature in energy units.
    axis : int, tuple of int or None, optional
        Axis holding the levels. Default: the last axis.

    Returns
    -------
    numpy.ndarray
        Occupation probabilities, summing to one along `axis`.

    Raises
    ------
    ValueError
        If `temperature`, `k` or their product ``k T`` is not positive and
        finite.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import boltzmann
    >>> boltzmann(np.array([0.0, 1.0, 2.0]), temperature=1.0).round(4)
    array([0.6652, 0.2447, 0.09  ])
    """
    t = check_temperature(temperature)
    kk = check_temperature(k, "k")
    kt = check_temperature(kk * t, "k * temperature")
    e = real_array(energies, "energies")
    return softmax(-e.astype(_result_dtype(e.dtype), copy=False), axis=axis, temperature=kt)
