"""Softmax, log-softmax, log-sum-exp, hardmax, sigmoid and the Boltzmann distribution.

The three reductions share one numerical contract, stated in full in the Notes of
:func:`softmax` and on the book's page *Companion API*. In short:

* float16, float32 and float64 keep their dtype (float16 is computed in float32);
  integer and bool input is computed in float64; complex, object, string and
  datetime input raises ``TypeError``.
* ``axis`` is an int, a tuple of ints or ``None`` (all axes: one slice); an axis
  out of range raises ``numpy.exceptions.AxisError``.
* Finite input never overflows or underflows needlessly, and the special values
  NaN, ``+inf`` and ``-inf`` give the limits described in :func:`softmax`.

The work is done by the cache-blocked kernels of :mod:`companion._kernels`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from . import _kernels
from ._validation import Axis, check_temperature, normalize_axes, real_array, work_dtype

__all__ = ["softmax", "log_softmax", "logsumexp", "hardmax", "sigmoid", "boltzmann"]


def _result_dtype(dtype: np.dtype) -> np.dtype:
    """Floating input keeps its dtype; integer and bool input gives float64."""
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _as_3d(a: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, Callable, tuple[int, ...]]:
    """View `a` as ``(P, n, Q)`` with the reduced axes, flattened, in the middle.

    Returns the view (C-contiguous; a copy only when `a` is neither C- nor
    F-ordered, or when several axes are reduced), a function that turns an
    output laid out like the view back into the shape of `a`, and the shape of
    a reduction's result (the axes of `a` that are not reduced, in order).
    """
    if len(axes) == 1:
        ax = axes[0]
        flip = a.ndim > 1 and not a.flags.c_contiguous and a.flags.f_contiguous
        b = a.T if flip else np.ascontiguousarray(a)
        bax = a.ndim - 1 - ax if flip else ax
        n = b.shape[bax]
        x3 = b.reshape(math.prod(b.shape[:bax]), n, math.prod(b.shape[bax + 1 :]))
        kept = tuple(s for i, s in enumerate(a.shape) if i != ax)

        def restore(o3: np.ndarray) -> np.ndarray:
            o = o3.reshape(b.shape)
            return o.T if flip else o

        return x3, restore, kept
    rest = [i for i in range(a.ndim) if i not in axes]
    order = rest + list(axes)
    kept = tuple(a.shape[i] for i in rest)
    moved = tuple(a.shape[i] for i in axes)
    x3 = np.ascontiguousarray(a.transpose(order)).reshape(math.prod(kept), math.prod(moved), 1)

    def restore(o3: np.ndarray) -> np.ndarray:
        return o3.reshape(kept + moved).transpose(np.argsort(order))

    return x3, restore, kept


def _map(kind: str, x: ArrayLike, axis: Axis, temperature: float) -> np.ndarray:
    """Shared body of :func:`softmax` and :func:`log_softmax`."""
    t = check_temperature(temperature)
    a = real_array(x)
    x3, restore, _ = _as_3d(a, normalize_axes(axis, a.ndim))
    out = np.empty(x3.shape, dtype=_result_dtype(a.dtype))
    _kernels.map_slices(kind, x3, out, work_dtype(a.dtype), t)
    return restore(out)


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
    return _map("softmax", x, axis, temperature)


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
    return _map("log_softmax", x, axis, temperature)


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
    x3, _, kept = _as_3d(a, axes)
    wdt = work_dtype(a.dtype)
    if wdt == np.float32:
        wdt = np.dtype(np.float64)
    out = _kernels.reduce_slices(x3, wdt).astype(_result_dtype(a.dtype), copy=False).reshape(kept)
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
    x3, restore, _ = _as_3d(a, normalize_axes(axis, a.ndim))
    out = np.zeros(x3.shape, dtype=_result_dtype(a.dtype))
    if x3.shape[1] and out.size:
        idx = np.expand_dims(x3.argmax(axis=1), 1)
        np.put_along_axis(out, idx, 1, axis=1)
        nan = np.isnan(np.take_along_axis(x3, idx, axis=1))
        if nan.any():
            np.copyto(out, np.nan, where=nan)
    return restore(out)


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
