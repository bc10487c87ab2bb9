"""Softmax, log-softmax, log-sum-exp, hardmax, sigmoid and the Boltzmann distribution.

All reductions share one recipe: find the position of the largest entry of
each slice with ``np.argmax`` (the first maximum, or the first NaN), subtract
that maximum so no ``exp`` can overflow, and treat the special values
(NaN, +inf, -inf) as documented in :func:`softmax`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._validation import as_real_array, check_temperature

__all__ = ["softmax", "log_softmax", "logsumexp", "hardmax", "sigmoid", "boltzmann"]

Axis = int | None


def _working_copy(x: ArrayLike, axis: Axis) -> tuple[np.ndarray, int, np.dtype, tuple[int, ...]]:
    """Validate `x` and return (array to compute with, axis, result dtype, result shape).

    float16 is computed in float32 and rounded back at the end; ``axis=None``
    flattens the array so that it is reduced as one slice.
    """
    a = as_real_array(x)
    result_dtype = a.dtype
    work = a.astype(np.float32) if a.dtype == np.float16 else a
    shape = a.shape
    if axis is None:
        return work.reshape(-1), 0, result_dtype, shape
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an int or None, got {type(axis).__name__}")
    ax = np.lib.array_utils.normalize_axis_index(int(axis), work.ndim)
    return work, ax, result_dtype, shape


def _shift_by_max(work: np.ndarray, axis: int, temperature: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(d, idx, m)`` with ``d = (x - m) / T`` and ``m = x[idx]`` the slice maximum.

    Where a slice's maximum is ``+inf`` the entries equal to ``+inf`` get
    ``d = 0`` and the others ``d = -inf``: that is the limit of the shifted
    scores as the infinite entries grow together. Where the maximum is NaN
    or ``-inf``, ``d`` is NaN.
    """
    idx = np.argmax(work, axis=axis, keepdims=True)
    m = np.take_along_axis(work, idx, axis=axis)
    with np.errstate(invalid="ignore"):
        d = np.subtract(work, m)
    infinite_max = np.isposinf(m)
    if infinite_max.any():
        limit = np.where(work == np.inf, 0.0, -np.inf).astype(work.dtype)
        d = np.where(infinite_max, limit, d)
    if temperature != 1.0:
        d /= work.dtype.type(temperature)
    return d, idx, m


def softmax(x: ArrayLike, axis: Axis = -1, *, temperature: float = 1.0) -> np.ndarray:
    r"""Softmax of `x` along `axis`: ``exp(x / T) / sum(exp(x / T))``.

    Parameters
    ----------
    x : array_like
        Real scores (logits). Float arrays keep their dtype; integer and
        bool arrays are computed in float64.
    axis : int or None, optional
        Axis along which the probabilities sum to one. ``None`` treats the
        whole array as one slice. Default: the last axis.
    temperature : float, optional
        Positive, finite temperature :math:`T`. Large ``T`` flattens the
        distribution towards uniform; small ``T`` sharpens it towards the
        one-hot :func:`hardmax`.

    Returns
    -------
    numpy.ndarray
        Array of the same shape as `x`; each slice along `axis` sums to one.

    Raises
    ------
    TypeError
        If `x` is complex, object or string data.
    numpy.exceptions.AxisError
        If `axis` is out of range (including any int axis on 0-d input).
    ValueError
        If `temperature` is not positive and finite.

    Notes
    -----
    The maximum of each slice is subtracted before exponentiating, which
    changes nothing mathematically (softmax is shift invariant) but means no
    ``exp`` overflows. Special values, slice by slice:

    * a NaN anywhere gives NaN for the whole slice;
    * ``-inf`` entries get probability exactly 0 while some entry is finite;
    * a slice that is all ``-inf`` is undefined (0/0) and gives NaN;
    * ``+inf`` entries share the mass equally, all other entries get 0
      (the limit as those entries grow together).

    An empty slice gives an empty result.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import softmax
    >>> softmax(np.array([1.0, 2.0, 3.0])).round(4)
    array([0.09  , 0.2447, 0.6652])
    >>> softmax(np.array([1000.0, 999.0])).round(4)
    array([0.7311, 0.2689])
    """
    t = check_temperature(temperature)
    work, ax, dtype, shape = _working_copy(x, axis)
    if work.shape[ax] == 0:
        return np.empty(shape, dtype=dtype)
    d, _, _ = _shift_by_max(work, ax, t)
    np.exp(d, out=d)
    d /= d.sum(axis=ax, keepdims=True)
    return d.astype(dtype, copy=False).reshape(shape)


def log_softmax(x: ArrayLike, axis: Axis = -1, *, temperature: float = 1.0) -> np.ndarray:
    r"""Logarithm of :func:`softmax`, computed without forming the softmax.

    Uses ``log_softmax(x)_i = (x_i - m) - log1p(sum_{j != k} exp(x_j - m))``
    where ``m = x_k`` is the first maximum. Leaving the maximum's own term
    (exactly 1) out of the sum and using ``log1p`` keeps full accuracy for a
    dominant entry, whose log-probability is a tiny negative number
    (Blanchard, Higham and Higham, 2021).

    Parameters
    ----------
    x : array_like
        Real scores; see :func:`softmax`.
    axis : int or None, optional
        Axis to normalise over. Default: the last axis.
    temperature : float, optional
        Positive, finite temperature, as in :func:`softmax`.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype rules as :func:`softmax`; entries are ``<= 0``.

    Notes
    -----
    Special values follow :func:`softmax`: NaN slices and all ``-inf``
    slices give NaN, ``-inf`` entries give ``-inf``, and ``k`` entries equal
    to ``+inf`` give ``-log(k)`` (the others ``-inf``).

    Examples
    --------
    >>> import numpy as np
    >>> from companion import log_softmax
    >>> float(log_softmax(np.array([0.0, -40.0, -40.0]))[0])
    -8.496708510583178e-18
    """
    t = check_temperature(temperature)
    work, ax, dtype, shape = _working_copy(x, axis)
    if work.shape[ax] == 0:
        return np.empty(shape, dtype=dtype)
    d, idx, _ = _shift_by_max(work, ax, t)
    e = np.exp(d)
    np.put_along_axis(e, idx, 0.0, axis=ax)
    d -= np.log1p(e.sum(axis=ax, keepdims=True))
    return d.astype(dtype, copy=False).reshape(shape)


def logsumexp(x: ArrayLike, axis: Axis = -1, *, keepdims: bool = False) -> np.ndarray:
    r"""``log(sum(exp(x)))`` along `axis`, without overflow.

    Computed as ``m + log1p(sum_{j != k} exp(x_j - m))`` with ``m = x_k`` the
    first maximum, so the result never overflows for finite input and keeps
    full accuracy when one entry dominates.

    Parameters
    ----------
    x : array_like
        Real numbers; float arrays keep their dtype, integer and bool input
        is computed in float64.
    axis : int or None, optional
        Axis to reduce. ``None`` reduces over all entries. Default: last axis.
    keepdims : bool, optional
        If true, the reduced axis is kept with length one.

    Returns
    -------
    numpy.ndarray
        The reduced array (a 0-d array when a single slice is reduced).

    Notes
    -----
    A NaN in a slice gives NaN; any ``+inf`` gives ``+inf``; a slice that is
    all ``-inf`` gives ``-inf`` (the log of an empty sum of exponentials,
    consistent with ``log(0)``). An empty slice gives ``-inf`` for the same
    reason.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import logsumexp
    >>> float(logsumexp(np.array([1000.0, 1000.0])))
    1000.6931471805599
    """
    work, ax, dtype, shape = _working_copy(x, axis)
    if work.shape[ax] == 0:
        out_shape = list(work.shape)
        out_shape[ax] = 1
        out = np.full(out_shape, -np.inf, dtype=dtype)
    else:
        d, idx, m = _shift_by_max(work, ax, 1.0)
        e = np.exp(d, out=d)
        np.put_along_axis(e, idx, 0.0, axis=ax)
        with np.errstate(invalid="ignore"):
            out = m + np.log1p(e.sum(axis=ax, keepdims=True))
        out = np.where(np.isneginf(m), m, out).astype(dtype, copy=False)
    if axis is None:
        return out.reshape((1,) * len(shape)) if keepdims else out.reshape(())
    return out if keepdims else np.squeeze(out, axis=ax)


def hardmax(x: ArrayLike, axis: Axis = -1) -> np.ndarray:
    """One-hot encoding of the arg max of `x` along `axis`.

    The 1 goes to the *first* maximum, the same tie rule as ``np.argmax``.
    This is the limit of ``softmax(x, temperature=T)`` as ``T -> 0`` when the
    maximum is unique.

    Parameters
    ----------
    x : array_like
        Real scores; see :func:`softmax`.
    axis : int or None, optional
        Axis along which to pick the maximum. Default: the last axis.

    Returns
    -------
    numpy.ndarray
        Floating array of zeros and ones with the shape of `x` (dtype as for
        :func:`softmax`). A slice that holds a NaN is all NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import hardmax
    >>> hardmax(np.array([10.01, 7.4, 5.1, 3.7]))
    array([1., 0., 0., 0.])
    >>> hardmax(np.array([2.0, 5.0, 5.0]))
    array([0., 1., 0.])
    """
    work, ax, dtype, shape = _working_copy(x, axis)
    out = np.zeros(work.shape, dtype=dtype)
    if work.shape[ax] == 0:
        return out.reshape(shape)
    idx = np.argmax(work, axis=ax, keepdims=True)
    np.put_along_axis(out, idx, 1.0, axis=ax)
    has_nan = np.isnan(np.take_along_axis(work, idx, axis=ax))
    if has_nan.any():
        out = np.where(has_nan, np.nan, out).astype(dtype, copy=False)
    return out.reshape(shape)


def sigmoid(z: ArrayLike) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-z))``, elementwise, without overflow.

    Parameters
    ----------
    z : array_like
        Real numbers; float arrays keep their dtype.

    Returns
    -------
    numpy.ndarray
        Values in ``[0, 1]`` with the shape of `z`.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import sigmoid
    >>> sigmoid(np.array([-800.0, 0.0, 2.0])).round(4)
    array([0.    , 0.5   , 0.8808])
    """
    a = as_real_array(z, "z")
    dtype = a.dtype
    work = a.astype(np.float32) if dtype == np.float16 else a
    e = np.exp(-np.abs(work))
    with np.errstate(invalid="ignore"):
        out = np.where(work >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out.astype(dtype, copy=False)


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
    axis : int or None, optional
        Axis holding the levels. Default: the last axis.

    Returns
    -------
    numpy.ndarray
        Occupation probabilities, summing to one along `axis`.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import boltzmann
    >>> boltzmann(np.array([0.0, 1.0, 2.0]), temperature=1.0).round(4)
    array([0.6652, 0.2447, 0.09  ])
    """
    t = check_temperature(temperature)
    kk = check_temperature(k, "k")
    e = as_real_array(energies, "energies")
    return softmax(-e, axis=axis, temperature=kk * t)
