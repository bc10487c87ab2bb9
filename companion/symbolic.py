"""SymPy helpers for the book's derivations. Importing this module imports SymPy.

Every function returns plain SymPy objects, so a notebook can state an identity
and check it with ``assert sp.simplify(lhs - rhs) == 0``.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["scores", "softmax_vector", "softmax_jacobian_matrix", "logsumexp_expr"]


def scores(n: int, name: str = "x") -> list[sp.Symbol]:
    """Return ``n`` real symbols ``x_1, ..., x_n`` (the scores of ``n`` classes).

    Examples
    --------
    >>> scores(3)
    [x_1, x_2, x_3]
    """
    if int(n) < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    return list(sp.symbols(f"{name}_1:{int(n) + 1}", real=True))


def softmax_vector(xs: list[sp.Expr], temperature: sp.Expr = sp.Integer(1)) -> sp.Matrix:
    """Column vector ``exp(x_i / T) / sum_j exp(x_j / T)`` of the given expressions.

    Examples
    --------
    >>> x = scores(2)
    >>> softmax_vector(x)[0]
    exp(x_1)/(exp(x_1) + exp(x_2))
    """
    terms = [sp.exp(x / temperature) for x in xs]
    total = sp.Add(*terms)
    return sp.Matrix([t / total for t in terms])


def softmax_jacobian_matrix(xs: list[sp.Expr]) -> sp.Matrix:
    """Jacobian ``d softmax_i / d x_j`` obtained by differentiating :func:`softmax_vector`.

    Examples
    --------
    >>> x = scores(2)
    >>> s = softmax_vector(x)
    >>> sp.simplify(softmax_jacobian_matrix(x)[0, 1] + s[0] * s[1])
    0
    """
    return softmax_vector(xs).jacobian(sp.Matrix(xs))


def logsumexp_expr(xs: list[sp.Expr]) -> sp.Expr:
    """The expression ``log(sum_j exp(x_j))``.

    Examples
    --------
    >>> logsumexp_expr(scores(2))
    log(exp(x_1) + exp(x_2))
    """
    return sp.log(sp.Add(*[sp.exp(x) for x in xs]))
