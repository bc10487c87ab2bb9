"""Input checks shared by every public function of the companion.

Each check raises an exception whose message says what *is* accepted, so a
student who passes the wrong thing learns how to fix the call.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["real_array", "as_real_array", "work_dtype", "normalize_axes", "check_temperature", "check_generator"]

Axis = int | tuple[int, ...] | None


def real_array(x: ArrayLike, name: str = "x") -> np.ndarray:
    """Return `x` as a NumPy array of real numbers (float, integer or bool), without copying.

    Anything else (complex, object, strings, bytes, datetimes) raises ``TypeError``.
    """
    a = np.asarray(x)
    if a.dtype.kind in "fiub":
        return a
    raise TypeError(
        f"{name} must hold real numbers (a float, integer or bool array); "
        f"got an array of dtype {a.dtype!s}"
    )


def work_dtype(dtype: np.dtype) -> np.dtype:
    """Dtype the computation runs in: float32/64 (and longdouble) as is, float16 in float32, the rest in float64."""
    if dtype.kind != "f":
        return np.dtype(np.float64)
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def as_real_array(x: ArrayLike, name: str = "x") -> np.ndarray:
    """Return `x` as a floating array: float arrays unchanged, integer and bool arrays as float64."""
    a = real_array(x, name)
    return a if a.dtype.kind == "f" else a.astype(np.float64)


def normalize_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    """Return `axis` as a tuple of non-negative axes; ``None`` means every axis.

    An axis out of range raises ``numpy.exceptions.AxisError`` (as NumPy does),
    a repeated axis ``ValueError``, anything but an int, a tuple of ints or
    ``None`` a ``TypeError``.
    """
    if type(axis) is int and -ndim <= axis < ndim:  # the common case, quickly
        return (axis % ndim,)
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, tuple) else (axis,)
    for a in items:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"axis must be an int, a tuple of ints or None; got {axis!r}")
    for a in items:
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(int(a), ndim)  # NumPy's own error and message
    axes = tuple(int(a) % ndim for a in items)
    if len(set(axes)) != len(axes):
        raise ValueError(f"axis {axis!r} repeats an axis")
    return axes


def check_temperature(temperature: float, name: str = "temperature") -> float:
    """Return `temperature` as a Python float after checking it is positive and finite."""
    if type(temperature) is float and 0.0 < temperature < math.inf:  # the common case, quickly
        return temperature
    if isinstance(temperature, (bool, np.bool_)) or not isinstance(temperature, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(temperature).__name__}")
    t = float(temperature)
    if not (np.isfinite(t) and t > 0.0):
        raise ValueError(f"{name} must be positive and finite, got {t!r}")
    return t


def check_generator(rng: object) -> np.random.Generator:
    """Return `rng` after checking it is a ``numpy.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy.random.Generator, e.g. numpy.random.default_rng(0); "
            f"got {type(rng).__name__}"
        )
    return rng
