"""Input checks shared by every public function of the companion.

Each check raises an exception whose message says what *is* accepted, so a
student who passes the wrong thing learns how to fix the call.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["as_real_array", "check_temperature", "check_generator"]


def as_real_array(x: ArrayLike, name: str = "x") -> np.ndarray:
    """Return `x` as a real floating-point array.

    Floating arrays (float16, float32, float64, longdouble) are returned
    unchanged; integer and bool input is converted to float64. Anything
    else (complex, object, strings, datetimes) raises ``TypeError``.
    """
    a = np.asarray(x)
    kind = a.dtype.kind
    if kind == "f":
        return a
    if kind in "iub":
        return a.astype(np.float64)
    raise TypeError(
        f"{name} must hold real numbers (a float, integer or bool array); "
        f"got an array of dtype {a.dtype!s}"
    )


def check_temperature(temperature: float, name: str = "temperature") -> float:
    """Return `temperature` as a Python float after checking it is positive and finite."""
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
