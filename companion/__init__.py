"""companion: the small, tested NumPy package that goes with the book *Softmax and Argmax*.

Import cost is NumPy only. The SymPy helpers (``companion.symbolic``) and the
book's matplotlib style (``companion.plotting``) load on first use. Every public
function is listed in ``__all__`` below; the numerical contract they share (dtypes,
axes, special values, accuracy) is stated in :func:`softmax` and on the book's page
*The companion package*.

>>> import companion
>>> companion.softmax([0.0, 0.0]).tolist()
[0.5, 0.5]
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ._core import boltzmann, hardmax, log_softmax, logsumexp, sigmoid, softmax
from ._decoding import top_k_filter, top_p_filter
from ._grad import cross_entropy, cross_entropy_grad, numerical_gradient, softmax_jacobian, softmax_vjp
from ._sampling import gumbel_max_sample, gumbel_softmax
from ._sparsemax import sparsemax

__version__ = "0.1.0"

__all__ = [  # grouped as on the book's page *The companion package*
    "softmax", "log_softmax", "logsumexp", "hardmax", "sigmoid", "boltzmann",
    "softmax_jacobian", "softmax_vjp", "cross_entropy", "cross_entropy_grad", "numerical_gradient",
    "gumbel_max_sample", "gumbel_softmax", "top_k_filter", "top_p_filter", "sparsemax",
]

_LAZY_SUBMODULES = ("symbolic", "plotting")


def __getattr__(name: str) -> ModuleType:
    """Import :mod:`companion.symbolic` and :mod:`companion.plotting` only when first used."""
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY_SUBMODULES])
