"""Derivatives: the softmax Jacobian, its vector-Jacobian product, cross-entropy and its
gradient, and a central-difference gradient for checking all of them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._core import log_softmax, softmax
from ._validation import as_real_array, normalize_axes, real_array

__all__ = ["softmax_jacobian", "softmax_vjp", "cross_entropy", "cross_entropy_grad", "numerical_gradient"]


def _one_axis(axis: int, ndim: int) -> int:
    """The single class axis, normalised (an int; AxisError when out of range)."""
    if axis is None or isinstance(axis, tuple):
        raise TypeError(f"axis must be an int here, got {axis!r}")
    return normalize_axes(axis, ndim)[0]


def _complement(s: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``1 - s_k`` computed as the sum of the other probabilities (``k`` indexes the last axis, kept).

    Where ``s_k`` is close to 1 the subtraction ``1 - s_k`` keeps only the rounding
    error of ``s_k``; the sum of the other entries keeps full relative accuracy.
    """
    others = s.copy()
    np.put_along_axis(others, k, 0, axis=-1)
    return others.sum(axis=-1, keepdims=True)


def softmax_jacobian(x: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Jacobian matrix of :func:`softmax`: ``J[i, j] = s_i (delta_ij - s_j)``.

    Parameters
    ----------
    x : array_like
        Real scores; float dtypes are kept, integers computed in float64.
    axis : int, optional
        Axis along which softmax is taken. Default: the last axis.

    Returns
    -------
    numpy.ndarray
        Array of shape ``(..., n, n)``: the other axes of `x` in order,
        then ``n = x.shape[axis]`` twice. Each matrix equals
        ``diag(s) - s s^T`` with ``s = softmax(x)``.

    Notes
    -----
    The matrix is built from the probabilities ``s``. Its largest diagonal
    entry ``s_k (1 - s_k)`` uses the sum of the other probabilities for
    ``1 - s_k``, so a confident prediction keeps its tiny but nonzero
    curvature instead of rounding to 0. Each row (and column) sums to 0 up
    to rounding.

    See Also
    --------
    softmax_vjp : the product ``g^T J`` without forming ``J``.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import softmax_jacobian
    >>> softmax_jacobian(np.array([0.0, 0.0]))
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    >>> float(softmax_jacobian(np.array([0.0, -40.0]))[0, 0])
    4.248354255291589e-18
    """
    a = real_array(x)
    ax = _one_axis(axis, a.ndim)
    s = np.moveaxis(softmax(a, axis=ax), ax, -1)
    jac = -s[..., :, None] * s[..., None, :]
    if s.shape[-1] == 0:
        return jac
    k = s.argmax(axis=-1)[..., None]
    one_minus = 1 - s
    np.put_along_axis(one_minus, k, _complement(s, k), axis=-1)
    np.einsum("...ii->...i", jac)[...] = s * one_minus
    return jac


def softmax_vjp(x: ArrayLike, g: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Vector-Jacobian product of softmax, ``g^T J = s * (g - <g, s>)``, in O(n).

    This is what back-propagation needs: the gradient of a loss with respect
    to the scores `x`, given the gradient `g` with respect to the
    probabilities. The ``n x n`` Jacobian is never formed.

    Parameters
    ----------
    x : array_like
        Real scores.
    g : array_like
        Upstream gradient, broadcastable to the shape of `x`.
    axis : int, optional
        Axis along which softmax is taken. Default: the last axis.

    Returns
    -------
    numpy.ndarray
        Array with the shape of `x` broadcast with `g`, in the dtype of
        ``softmax(x)``.

    Notes
    -----
    For the most probable entry ``k`` the factor ``g_k - <g, s>`` is
    computed as ``sum_j s_j (g_k - g_j)``, which does not cancel when
    ``s_k`` is close to 1 (see :func:`softmax_jacobian`).

    Examples
    --------
    >>> import numpy as np
    >>> from companion import softmax_vjp
    >>> softmax_vjp(np.array([0.0, 0.0]), np.array([1.0, 0.0]))
    array([ 0.25, -0.25])
    """
    a = real_array(x)
    gg = real_array(g, "g")
    ax = _one_axis(axis, a.ndim)
    try:
        shape = np.broadcast_shapes(a.shape, gg.shape)
    except ValueError:
        raise ValueError(f"g of shape {gg.shape} does not broadcast to the shape of x, {a.shape}") from None
    bax = len(shape) - a.ndim + ax
    if shape[bax] != a.shape[ax]:
        raise ValueError(f"g of shape {gg.shape} must not stretch the class axis of x (shape {a.shape})")
    s = np.moveaxis(np.broadcast_to(softmax(a, axis=ax), shape), bax, -1)
    gv = np.moveaxis(np.broadcast_to(gg, shape), bax, -1).astype(s.dtype, copy=False)
    d = gv - np.sum(gv * s, axis=-1, keepdims=True)
    if s.shape[-1]:
        k = s.argmax(axis=-1)[..., None]
        gk = np.take_along_axis(gv, k, axis=-1)
        np.put_along_axis(d, k, np.sum(s * (gk - gv), axis=-1, keepdims=True), axis=-1)
    return np.moveaxis(s * d, -1, bax)


def _labels(labels: ArrayLike, logits: np.ndarray, axis: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Return ``(index, None)`` for class indices (a one-hot array counts) or ``(None, y)`` for a distribution.

    ``index`` has the shape of `logits` with `axis` kept at length 1.
    """
    y = np.asarray(labels)
    n = logits.shape[axis]
    if y.dtype.kind in "iu":
        expected = logits.shape[:axis] + logits.shape[axis + 1 :]
        if y.shape != expected:
            raise ValueError(
                f"integer labels must have shape {expected} (logits without the class axis), got {y.shape}"
            )
        if y.size and (y.min() < 0 or y.max() >= n):
            raise ValueError(f"integer labels must lie in [0, {n - 1}] for {n} classes")
        return np.expand_dims(y.astype(np.intp), axis), None
    y = real_array(y, "labels")
    if y.shape != logits.shape:
        raise ValueError(
            "labels must be integer class indices, or a one-hot / probability array with the "
            f"shape of logits {logits.shape}; got shape {y.shape} and dtype {y.dtype}"
        )
    if y.size and n and np.all((y == 0) | (y == 1)) and np.all(np.count_nonzero(y, axis=axis) == 1):
        return np.expand_dims(np.argmax(y, axis=axis), axis), None
    return None, y


def cross_entropy(logits: ArrayLike, labels: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Cross-entropy ``-sum_i y_i log softmax(x)_i`` of each example (no averaging).

    Parameters
    ----------
    logits : array_like
        Real scores, classes along `axis`.
    labels : array_like
        Either integer class indices with the shape of `logits` minus
        `axis`, or a one-hot / probability array with the shape of `logits`.
    axis : int, optional
        The class axis. Default: the last axis.

    Returns
    -------
    numpy.ndarray or numpy scalar
        One loss per example: the shape of `logits` without `axis` (a NumPy
        scalar for a single example), in the dtype of ``log_softmax(logits)``.

    Raises
    ------
    ValueError
        If the labels have the wrong shape or an index is out of range.
    TypeError
        If logits or labels are not real numbers.

    Notes
    -----
    The loss is computed from :func:`log_softmax`, never as
    ``log(softmax(x))``, so a confident correct prediction gives the tiny
    positive loss it should rather than 0, and a confident wrong one a large
    finite loss rather than ``inf``. Terms with ``y_i = 0`` contribute 0 even
    where ``log softmax(x)_i = -inf``.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import cross_entropy
    >>> float(cross_entropy(np.array([0.0, 0.0]), 1))
    0.6931471805599453
    >>> float(cross_entropy(np.array([0.0, -40.0]), 0))
    4.248354255291589e-18
    >>> float(cross_entropy(np.array([0.0, -800.0]), 1))
    800.0
    """
    x = real_array(logits, "logits")
    ax = _one_axis(axis, x.ndim)
    index, y = _labels(labels, x, ax)
    logp = log_softmax(x, axis=ax)
    if index is not None:
        return -np.take_along_axis(logp, index, axis=ax).squeeze(axis=ax)[()]
    y = y.astype(logp.dtype, copy=False)
    with np.errstate(invalid="ignore"):
        terms = np.where(y == 0, 0, y * logp)
    return -np.sum(terms, axis=ax)[()]


def cross_entropy_grad(logits: ArrayLike, labels: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Gradient of :func:`cross_entropy` with respect to `logits`: ``softmax(x) * sum(y) - y``.

    For class indices or one-hot labels (``sum(y) = 1``) this is the famous
    ``softmax(x) - y``.

    Parameters
    ----------
    logits, labels, axis
        As in :func:`cross_entropy`.

    Returns
    -------
    numpy.ndarray
        Array with the shape of `logits`, in the dtype of ``softmax(logits)``.

    Notes
    -----
    For class indices (or a one-hot array) the entry of the true class,
    ``s_y - 1``, is computed as minus the sum of the other probabilities, so
    a confident correct prediction gets its tiny gradient rather than 0, and
    each gradient sums to 0.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import cross_entropy_grad
    >>> cross_entropy_grad(np.array([0.0, 0.0]), 1)
    array([ 0.5, -0.5])
    >>> cross_entropy_grad(np.array([0.0, -40.0]), 0)
    array([-4.24835426e-18,  4.24835426e-18])
    """
    x = real_array(logits, "logits")
    ax = _one_axis(axis, x.ndim)
    index, y = _labels(labels, x, ax)
    s = softmax(x, axis=ax)
    if index is None:
        y = y.astype(s.dtype, copy=False)
        return s * np.sum(y, axis=ax, keepdims=True) - y
    np.put_along_axis(s, index, 0, axis=ax)
    np.put_along_axis(s, index, -np.sum(s, axis=ax, keepdims=True), axis=ax)
    return s


def numerical_gradient(f: Callable[[np.ndarray], ArrayLike], x: ArrayLike, eps: float | None = None) -> np.ndarray:
    r"""Central-difference derivative of `f` at `x`: ``(f(x + h e_j) - f(x - h e_j)) / (2 h)``.

    Parameters
    ----------
    f : callable
        Function of one float64 array with the shape of `x`. It may return a
        scalar (then the result is the gradient) or an array (then the result
        is the Jacobian).
    x : array_like
        Point at which to differentiate (computed in float64).
    eps : float, optional
        Relative step. The step for entry ``j`` is ``eps * max(1, |x_j|)``.
        The default, the cube root of float64's machine epsilon (about
        6e-6), balances the truncation error of central differences (about
        ``h**2 / 6`` times the third derivative) against rounding (about
        ``eps / h`` times the size of `f`): for quantities of size one both
        are then near ``1e-11``.

    Returns
    -------
    numpy.ndarray
        Array of shape ``f(x).shape + x.shape``.

    Raises
    ------
    TypeError
        If `f` is not callable or `x` is not real.
    ValueError
        If `eps` is not positive and finite.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import numerical_gradient
    >>> numerical_gradient(lambda v: np.sum(v ** 2), np.array([1.0, -2.0])).round(6)
    array([ 2., -4.])
    """
    if not callable(f):
        raise TypeError(f"f must be a function of one array, got {type(f).__name__}")
    x0 = as_real_array(x).astype(np.float64)
    rel = np.cbrt(np.finfo(np.float64).eps) if eps is None else float(eps)
    if not (np.isfinite(rel) and rel > 0):
        raise ValueError(f"eps must be positive and finite, got {eps!r}")
    out_shape = np.shape(f(x0.copy()))
    grad = np.empty(out_shape + x0.shape, dtype=np.float64)
    for j in np.ndindex(x0.shape):
        step = rel * max(1.0, abs(x0[j]))
        xp, xm = x0.copy(), x0.copy()
        xp[j] += step
        xm[j] -= step
        h2 = xp[j] - xm[j]  # the step actually taken, after rounding
        grad[(...,) + j] = (np.asarray(f(xp), dtype=np.float64) - np.asarray(f(xm), dtype=np.float64)) / h2
    return grad
