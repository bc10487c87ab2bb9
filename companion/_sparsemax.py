"""Sparsemax: the Euclidean projection of the scores onto the probability simplex.

Like softmax it turns scores into probabilities, but every class whose score
falls below a threshold gets probability exactly 0 (Martins and Astudillo 2016).
"""

import numpy as np
from numpy.typing import ArrayLike

from ._decoding import _scores_and_axis
from ._validation import work_dtype

__all__ = ["sparsemax"]


def _shifted(z: np.ndarray) -> np.ndarray:
    """Each row minus its maximum; a row with a ``+inf`` becomes 0 there and -1 elsewhere."""
    top = z.max(axis=-1, keepdims=True)
    return np.where(top == np.inf, (z == np.inf) - z.dtype.type(1), z - top)


def _threshold(z: np.ndarray) -> np.ndarray:
    """The tau of each row with ``sum(max(z - tau, 0)) == 1``: sort, cumulative sum, support size."""
    desc = -np.sort(-z, axis=-1)
    cums = np.cumsum(desc, axis=-1)
    j = np.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    k = np.sum(1 + j * desc > cums, axis=-1, keepdims=True).astype(z.dtype)  # the support size
    tau = (np.take_along_axis(cums, k.astype(np.intp) - 1, axis=-1) - 1) / k
    return tau + (np.maximum(desc - tau, 0).sum(axis=-1, keepdims=True) - 1) / k  # one correction step


def sparsemax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Sparsemax of `x` along `axis`: the point of the probability simplex closest to `x`.

    ``sparsemax(x)_i = max(x_i - tau, 0)``, where the threshold ``tau`` makes
    each slice sum to one (Martins and Astudillo 2016).

    Parameters
    ----------
    x : array_like
        Real scores (logits). Float arrays keep their dtype (float16 is
        computed in float32); integer and bool arrays are computed in float64.
    axis : int, optional
        The class axis. Default: the last axis. Only one axis: unlike
        :func:`softmax`, a tuple or None is not accepted.

    Returns
    -------
    numpy.ndarray
        Array of the shape of `x`; each slice along `axis` is non-negative,
        sums to one, and is exactly 0 for every score at or below ``tau``.

    Raises
    ------
    TypeError
        If `x` is complex, object, string or datetime data, or `axis` is not
        an int.
    ValueError
        If `axis` is a tuple or None.
    numpy.exceptions.AxisError
        If `axis` is out of range (a 0-d `x` has no axis).

    See Also
    --------
    softmax : never exactly 0 for finite scores.
    hardmax : what sparsemax gives when the top score leads the next by at least 1.

    Notes
    -----
    **Algorithm.** The scores of a slice are shifted by their maximum (which
    changes nothing) and sorted, largest first, as :math:`z_{(1)} \ge z_{(2)}
    \ge \dots`. The support size is the number of :math:`j` with
    :math:`1 + j z_{(j)} > \sum_{i \le j} z_{(i)}`, and
    :math:`\tau = (\sum_{i \le k} z_{(i)} - 1)/k` for that size :math:`k`.
    One correction step, ``tau += (sum(max(z - tau, 0)) - 1) / k``, then
    removes most of the rounding error of the running sum, which otherwise
    grows with the support size. The sum runs over the sorted scores, so the
    result does not depend on the order of the classes.

    **Special values**, slice by slice:

    * a NaN anywhere gives NaN for the whole slice;
    * ``-inf`` entries get exactly 0 while some entry is finite or ``+inf``;
    * a slice that is all ``-inf`` is undefined and gives NaN, as in
      :func:`softmax`;
    * ``+inf`` entries share the mass equally and all others get 0 (the
      limit as those entries grow together without bound).

    An empty slice gives an empty result.

    **Accuracy.** Each entry is within 4 units of ``eps`` (the spacing of
    floating-point numbers just above 1: :math:`2^{-52}` in float64,
    :math:`2^{-23}` in float32) of the exact sparsemax of the given scores,
    tested against exact rational arithmetic, including huge and nearly tied
    scores and supports of 20,000 classes; float16 results are within one
    float16 rounding of it. That is an absolute
    bound: an entry just above the threshold, of exact size near ``eps``,
    may come out as 0 or as a tiny number.

    Examples
    --------
    >>> import numpy as np
    >>> from companion import sparsemax
    >>> sparsemax(np.array([-2.0, 0.0, 0.5]))
    array([0.  , 0.25, 0.75])
    >>> sparsemax(np.array([10.01, 7.4, 5.1, 3.7]))      # a lead of at least 1: one-hot
    array([1., 0., 0., 0.])
    >>> sparsemax(np.array([1e16, 1e16]))               # huge scores: the shift keeps them exact
    array([0.5, 0.5])
    >>> sparsemax(np.array([0.0, -np.inf, np.inf, np.inf]))
    array([0. , 0. , 0.5, 0.5])
    """
    a, ax = _scores_and_axis(x, axis)
    z = np.ascontiguousarray(np.moveaxis(a, ax, -1), dtype=work_dtype(a.dtype))
    if z.shape[-1] == 0:
        return a.copy()
    with np.errstate(invalid="ignore", over="ignore"):
        z = _shifted(z)
        p = np.maximum(z - _threshold(z), 0)
    return np.moveaxis(p, -1, ax).astype(a.dtype, copy=False)
