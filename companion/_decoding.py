"""Truncating a next-token distribution: top-k and top-p (nucleus) filters.

Both return the scores with the dropped entries set to ``-inf``, so that
``softmax`` of the result is the truncated, renormalised distribution, and
``gumbel_max_sample`` of it draws from that distribution.
"""

import numbers

import numpy as np
from numpy.typing import ArrayLike

from ._core import softmax
from ._validation import as_real_array, normalize_axes, work_dtype

__all__ = ["top_k_filter", "top_p_filter"]


def _scores_and_axis(x: ArrayLike, axis: int) -> tuple[np.ndarray, int]:
    """`x` as a float array, and `axis` as one non-negative axis."""
    a = as_real_array(x, "x")
    axes = normalize_axes(axis, a.ndim)
    if len(axes) != 1:
        raise ValueError(f"axis must name exactly one axis (the classes); got {axis!r}")
    return a, axes[0]


def _keep(a: np.ndarray, keep: np.ndarray, axis: int) -> np.ndarray:
    """`a` where `keep` holds, ``-inf`` elsewhere; NaN throughout a slice that holds a NaN."""
    out = np.where(keep, a, -np.inf)
    return np.where(np.isnan(a).any(axis=axis, keepdims=True), np.nan, out).astype(a.dtype, copy=False)


def top_k_filter(x: ArrayLike, k: int, axis: int = -1) -> np.ndarray:
    r"""Keep the `k` largest scores of each slice and set the others to ``-inf``.

    ``softmax(top_k_filter(x, k))`` is top-k sampling's distribution: the
    softmax renormalised over the `k` most probable classes (Fan, Lewis and
    Dauphin 2018).

    Parameters
    ----------
    x : array_like
        Real scores (logits). Float arrays keep their dtype; integer and
        bool arrays are computed in float64.
    k : int
        How many classes to keep, at least 1. A `k` at least the number of
        classes keeps them all.
    axis : int, optional
        The class axis. Default: the last axis.

    Returns
    -------
    numpy.ndarray
        The scores, with ``-inf`` in place of every dropped score.

    Raises
    ------
    TypeError
        If `x` is not real, or `k` is not an integer.
    ValueError
        If `k` is less than 1, or `axis` names more than one axis.
    numpy.exceptions.AxisError
        If `axis` is out of range (a 0-d `x` has no axis).

    Notes
    -----
    Ties: every score at least as large as the k-th largest is kept, so when
    the k-th largest score is tied, more than `k` classes survive. The result
    therefore does not depend on the order of the classes, and tied classes
    keep equal probabilities. ``+inf`` scores count as the largest and ``-inf``
    as the smallest; ``-inf`` stays ``-inf``. A slice that holds a NaN gives NaN
    throughout (its softmax is undefined), and no other slice is affected.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import softmax, top_k_filter
    >>> x = np.array([10.01, 7.4, 5.1, 3.7])
    >>> top_k_filter(x, 2)
    array([10.01,  7.4 ,  -inf,  -inf])
    >>> softmax(top_k_filter(x, 2)).round(4)
    array([0.9315, 0.0685, 0.    , 0.    ])
    >>> top_k_filter([1.0, 3.0, 2.0, 3.0], 1)    # a tie for first place: both kept
    array([-inf,   3., -inf,   3.])
    """
    a, ax = _scores_and_axis(x, axis)
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an int, got {type(k).__name__}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    n = a.shape[ax]
    kth = -np.inf if k >= n else np.take(np.partition(a, n - k, axis=ax), [n - k], axis=ax)
    return _keep(a, a >= kth, ax)


def top_p_filter(x: ArrayLike, p: float, axis: int = -1) -> np.ndarray:
    r"""Keep the most probable classes until their probability reaches `p`; set the rest to ``-inf``.

    The kept classes are the smallest set of largest-probability classes
    whose softmax probabilities add up to at least `p`, the *nucleus* of
    Holtzman et al. (2020). ``softmax(top_p_filter(x, p))`` is nucleus
    sampling's distribution.

    Parameters
    ----------
    x : array_like
        Real scores (logits). Float arrays keep their dtype; integer and
        bool arrays are computed in float64. For a temperature `T`, pass
        ``x / T``: the nucleus depends on the temperature.
    p : float
        The probability to reach, with ``0 < p <= 1``. ``p = 1`` keeps every
        class; a small `p` keeps only the most probable class (and any class
        tied with it).
    axis : int, optional
        The class axis. Default: the last axis.

    Returns
    -------
    numpy.ndarray
        The scores, with ``-inf`` in place of every dropped score.

    Raises
    ------
    TypeError
        If `x` is not real, or `p` is not a real number.
    ValueError
        If `p` is not in ``(0, 1]`` (NaN included), or `axis` names more than
        one axis.
    numpy.exceptions.AxisError
        If `axis` is out of range (a 0-d `x` has no axis).

    Notes
    -----
    Ties: a class whose score equals that of the last class needed to reach
    `p` is kept too, so the result does not depend on the order of the
    classes. The running sum of probabilities is computed in floating point
    (float16 input in float32), so a `p` within rounding error of such a sum
    may keep one group of classes more or less than exact arithmetic would.
    Special values follow :func:`top_k_filter`: ``+inf`` scores share all the
    probability, so for ``p < 1`` exactly the ``+inf`` classes are kept;
    ``-inf`` stays ``-inf``, a slice that is all ``-inf`` stays so, and a
    slice that holds a NaN gives NaN throughout.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import softmax, top_p_filter
    >>> x = np.array([10.01, 7.4, 5.1, 3.7])
    >>> softmax(x).round(4)
    array([0.9236, 0.0679, 0.0068, 0.0017])
    >>> top_p_filter(x, 0.9)              # "like" alone has probability 0.92
    array([10.01,  -inf,  -inf,  -inf])
    >>> top_p_filter(x, 0.95)             # "like" and "love" together 0.99
    array([10.01,  7.4 ,  -inf,  -inf])
    """
    a, ax = _scores_and_axis(x, axis)
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
        raise TypeError(f"p must be a real number, got {type(p).__name__}")
    if not 0.0 < p <= 1.0:
        raise ValueError(f"p must satisfy 0 < p <= 1, got {p!r}")
    if a.shape[ax] == 0 or p == 1.0:
        return _keep(a, True, ax)
    desc = -np.sort(-a, axis=ax)  # the scores, largest first
    reached = np.cumsum(softmax(desc.astype(work_dtype(a.dtype), copy=False), axis=ax), axis=ax)
    last = np.minimum((reached < p).sum(axis=ax, keepdims=True), a.shape[ax] - 1)  # first place where p is reached
    return _keep(a, a >= np.take_along_axis(desc, last, axis=ax), ax)
