"""Derivatives: the softmax Jacobian, its vector-Jacobian product, cross-entropy and its
gradient, and a central-difference gradient for checking all of them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._core import log_softmax, softmax
from ._validation import as_real_array

__all__ = ["softmax_jacobian", "softmax_vjp", "cross_entropy", "cross_entropy_grad", "numerical_gradient"]


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
    """
    s = np.moveaxis(softmax(x, axis=axis), axis, -1)
    jac = -s[..., :, None] * s[..., None, :]
    diagonal = np.einsum("...ii->...i", jac)
    diagonal += s
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
        Array with the shape of ``x`` (after broadcasting with `g`).

    Examples
    --------
    >>> import numpy as np
    >>> from companion import softmax_vjp
    >>> softmax_vjp(np.array([0.0, 0.0]), np.array([1.0, 0.0]))
    array([ 0.25, -0.25])
    """
    s = softmax(x, axis=axis)
    gg = as_real_array(g, "g").astype(s.dtype, copy=False)
    return s * (gg - np.sum(gg * s, axis=axis, keepdims=True))


def _one_hot_or_distribution(labels: ArrayLike, logits: np.ndarray, axis: int) -> np.ndarray:
    """Return the target distribution: one-hot rows for integer labels, else the given array."""
    y = np.asarray(labels)
    n = logits.shape[axis]
    if y.dtype.kind in "iu":
        expected = logits.shape[:axis] + logits.shape[axis + 1 :]
        if y.shape != expected:
            raise ValueError(f"integer labels must have shape {expected} (logits without the class axis), got {y.shape}")
        if y.size and (y.min() < 0 or y.max() >= n):
            raise ValueError(f"integer labels must lie in [0, {n - 1}] for {n} classes")
        onehot = np.zeros(logits.shape, dtype=logits.dtype)
        np.put_along_axis(onehot, np.expand_dims(y, axis), 1.0, axis=axis)
        return onehot
    y = as_real_array(y, "labels")
    if y.shape != logits.shape:
        raise ValueError(
            "labels must be integer class indices, or a one-hot / probability array with the "
            f"shape of logits {logits.shape}; got shape {y.shape} and dtype {y.dtype}"
        )
    return y.astype(logits.dtype, copy=False)


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
    numpy.ndarray
        One loss per example: the shape of `logits` without `axis`.

    Notes
    -----
    The loss is computed from :func:`log_softmax`, never as
    ``log(softmax(x))``, so a confident correct prediction gives the tiny
    positive loss it should rather than 0, and a confident wrong one a large
    finite loss rather than ``inf``.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import cross_entropy
    >>> float(cross_entropy(np.array([0.0, 0.0]), 1))
    0.6931471805599453
    >>> float(cross_entropy(np.array([0.0, -40.0]), 0))
    4.248354255291589e-18
    """
    x = as_real_array(logits, "logits")
    ax = np.lib.array_utils.normalize_axis_index(axis, x.ndim)
    y = _one_hot_or_distribution(labels, x, ax)
    logp = log_softmax(x, axis=ax)
    with np.errstate(invalid="ignore"):
        terms = np.where(y == 0, 0.0, y * logp)
    return -np.sum(terms, axis=ax).astype(logp.dtype, copy=False)


def cross_entropy_grad(logits: ArrayLike, labels: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Gradient of :func:`cross_entropy` with respect to `logits`: ``softmax(x) * sum(y) - y``.

    For a one-hot or probability target (``sum(y) = 1``) this is the famous
    ``softmax(x) - y``.

    Parameters
    ----------
    logits, labels, axis
        As in :func:`cross_entropy`.

    Returns
    -------
    numpy.ndarray
        Array with the shape of `logits`.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import cross_entropy_grad
    >>> cross_entropy_grad(np.array([0.0, 0.0]), 1)
    array([ 0.5, -0.5])
    """
    x = as_real_array(logits, "logits")
    ax = np.lib.array_utils.normalize_axis_index(axis, x.ndim)
    y = _one_hot_or_distribution(labels, x, ax)
    return softmax(x, axis=ax) * np.sum(y, axis=ax, keepdims=True) - y


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
        6e-6), balances truncation and rounding error for central
        differences.

    Returns
    -------
    numpy.ndarray
        Array of shape ``f(x).shape + x.shape``.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import numerical_gradient
    >>> numerical_gradient(lambda v: np.sum(v ** 2), np.array([1.0, -2.0])).round(6)
    array([ 2., -4.])
    """
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
