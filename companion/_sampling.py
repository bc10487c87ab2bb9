"""Sampling from softmax with Gumbel noise. Every function takes a ``numpy.random.Generator``
and never touches NumPy's global random state."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._core import softmax
from ._validation import as_real_array, check_generator, check_temperature, normalize_axes, work_dtype

__all__ = ["gumbel_max_sample", "gumbel_softmax"]


def _sizes(size: int | tuple[int, ...] | None) -> tuple[int, ...]:
    if size is None:
        return ()
    sizes = (size,) if np.ndim(size) == 0 else tuple(size)
    for s in sizes:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"size must be None, a non-negative int or a tuple of them, got {size!r}")
    return tuple(int(s) for s in sizes)


def gumbel_max_sample(
    logits: ArrayLike, rng: np.random.Generator, size: int | tuple[int, ...] | None = None
) -> np.ndarray:
    r"""Draw class indices from ``softmax(logits)`` by the Gumbel-max trick.

    ``argmax(logits + G)`` with ``G`` independent standard Gumbel noise is
    distributed exactly as ``softmax(logits)``.

    Parameters
    ----------
    logits : array_like
        Real scores, classes along the last axis; leading axes are a batch.
    rng : numpy.random.Generator
        Source of randomness (never NumPy's global state).
    size : int or tuple of int, optional
        Number (shape) of independent draws per batch entry. Default: one.

    Returns
    -------
    numpy.ndarray
        Integer indices of shape ``size + logits.shape[:-1]``.

    Raises
    ------
    TypeError
        If `rng` is not a ``numpy.random.Generator`` or `logits` is not real.
    ValueError
        If `logits` is 0-d or has no classes, holds a NaN, or has a slice that
        is all ``-inf`` (softmax is undefined there).

    Notes
    -----
    ``-inf`` logits are never drawn. Classes with logit ``+inf`` are drawn
    with equal probability (the limit of softmax), all others never.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import gumbel_max_sample
    >>> draws = gumbel_max_sample(np.log([0.7, 0.2, 0.1]), np.random.default_rng(0), size=10_000)
    >>> np.bincount(draws, minlength=3) / 10_000
    array([0.6928, 0.2043, 0.1029])
    """
    r = check_generator(rng)
    x = as_real_array(logits, "logits")
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"logits must have a class axis (the last) with at least one class; got shape {x.shape}")
    if np.isnan(x).any():
        raise ValueError("logits hold a NaN: softmax, and so sampling from it, is undefined")
    top = x.max(axis=-1, keepdims=True)
    if (top == -np.inf).any():
        raise ValueError("a slice of logits is all -inf: softmax, and so sampling from it, is undefined")
    if (top == np.inf).any():  # the limit: uniform over the +inf classes
        x = np.where(top == np.inf, np.where(x == np.inf, 0.0, -np.inf), x)
    g = r.gumbel(size=_sizes(size) + x.shape)
    return np.argmax(x + g, axis=-1)


def gumbel_softmax(
    logits: ArrayLike, temperature: float, rng: np.random.Generator, axis: int = -1
) -> np.ndarray:
    r"""A relaxed one-hot sample: ``softmax((logits + G) / T)`` with Gumbel noise ``G``.

    As ``T -> 0`` the sample approaches the one-hot vector of a Gumbel-max
    draw; for ``T > 0`` it is differentiable in `logits` (Jang, Gu and Poole
    2017; Maddison, Mnih and Teh 2017).

    Parameters
    ----------
    logits : array_like
        Real scores.
    temperature : float
        Positive, finite relaxation temperature.
    rng : numpy.random.Generator
        Source of randomness.
    axis : int, optional
        Class axis. Default: the last axis.

    Returns
    -------
    numpy.ndarray
        Array with the shape of `logits`, each slice on the simplex, in the
        dtype :func:`softmax` would give.

    Notes
    -----
    Special values follow :func:`softmax`: ``-inf`` logits get 0, a slice
    that is all ``-inf`` or holds a NaN gives NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import gumbel_softmax
    >>> y = gumbel_softmax(np.zeros(3), 0.5, np.random.default_rng(1))
    >>> bool(np.isclose(y.sum(), 1.0))
    True
    """
    t = check_temperature(temperature)
    r = check_generator(rng)
    x = as_real_array(logits, "logits")
    normalize_axes(axis, x.ndim)
    g = r.gumbel(size=x.shape).astype(work_dtype(x.dtype))
    return softmax(x + g, axis=axis, temperature=t).astype(x.dtype, copy=False)
