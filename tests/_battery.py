"""The adversarial accuracy battery and its high-precision reference (test-only; uses mpmath).

Each case is one 1-D slice. The reference works on the *distinct* values of the slice
with their multiplicities, so a vector of 10**6 entries drawn from a few hundred values
costs a few hundred mpmath evaluations, and the sum is exact up to the working precision
(``mp.prec`` bits; 256 by default, far more than float64's 53).

Errors are measured in units in the last place (ulp) of the correctly rounded reference in
the dtype of the result: ``|computed - exact| / ulp(exact)``, with ``ulp`` the spacing of
the dtype at ``|exact|`` (the smallest subnormal at 0).

Run ``python benchmarks/accuracy_table.py`` for the table of maximum errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np

PREC = 256


@dataclass
class Reference:
    """Exact (to ``PREC`` bits) softmax, log-softmax and log-sum-exp of one slice, per entry."""

    softmax: list
    log_softmax: list
    logsumexp: object
    exact_shift: bool  # every x_i - max(x) is exact in the slice's dtype
    max_abs: float  # |max(x)|, for the ill-conditioned logsumexp bound


def reference(x: np.ndarray) -> Reference:
    """High-precision reference for a finite 1-D slice `x` (float32 or float64)."""
    vals, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    with mpmath.workprec(PREC):
        m = mpmath.mpf(float(vals[-1]))
        d = [mpmath.mpf(float(v)) - m for v in vals]
        rest = mpmath.fsum(int(c) * mpmath.exp(di) for c, di in zip(counts[:-1], d[:-1]))
        top = int(counts[-1])
        total = top + rest
        log_total = mpmath.log(top) + mpmath.log1p(rest / top)  # log(total) without rounding 1 + tiny
        sm = [mpmath.exp(di) / total for di in d]
        lsm = [di - log_total for di in d]
        lse = m + log_total
    shifted = vals - vals[-1]
    exact = all(Fraction(float(s)) == Fraction(float(v)) - Fraction(float(vals[-1])) for s, v in zip(shifted, vals))
    return Reference(
        softmax=[sm[i] for i in inverse],
        log_softmax=[lsm[i] for i in inverse],
        logsumexp=lse,
        exact_shift=exact,
        max_abs=abs(float(vals[-1])),
    )


def reference_unique(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, Reference]:
    """Like :func:`reference` but per distinct value: ``(values, inverse, reference of values)``."""
    vals, inverse = np.unique(x, return_inverse=True)
    ref = reference(x)
    first = np.zeros(len(vals), dtype=np.intp)
    first[inverse[::-1]] = np.arange(len(x))[::-1]
    return vals, inverse, Reference(
        softmax=[ref.softmax[i] for i in first],
        log_softmax=[ref.log_softmax[i] for i in first],
        logsumexp=ref.logsumexp,
        exact_shift=ref.exact_shift,
        max_abs=ref.max_abs,
    )


def ulp(value, dtype) -> mpmath.mpf:
    """Spacing of `dtype` at ``|value|`` (value an mpf), after rounding `value` to `dtype`."""
    with np.errstate(over="ignore"):
        rounded = abs(np.asarray(float(value)).astype(dtype))
    top = np.finfo(dtype).max
    if not rounded < top:  # at the top of the range, the spacing below the largest float
        return mpmath.mpf(float(top - np.nextafter(top, np.dtype(dtype).type(0))))
    return mpmath.mpf(float(np.spacing(rounded)))


def ulp_errors(computed: np.ndarray, exact: list, dtype) -> np.ndarray:
    """Error of each entry of `computed` in ulps of `dtype` at the exact value."""
    with mpmath.workprec(PREC):
        return np.array(
            [float(abs(mpmath.mpf(float(c)) - e) / ulp(e, dtype)) for c, e in zip(np.asarray(computed).ravel(), exact)]
        )


# ------------------------------------------------------------------------------------------ battery


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _ulps_above(a: float, k: np.ndarray, dtype) -> np.ndarray:
    """``a`` and its neighbours: ``a`` stepped up by ``k`` units in the last place."""
    out = np.full(len(k), a, dtype=dtype)
    for i, steps in enumerate(k):
        for _ in range(int(steps)):
            out[i] = np.nextafter(out[i], dtype(np.inf))
    return out


def battery(dtype) -> dict[str, list[tuple[str, np.ndarray]]]:
    """Adversarial slices, grouped by class: ``{class: [(name, 1-D array of dtype), ...]}``.

    Every slice is finite; special values are tested separately. The long (10**6)
    slices are few and built from few distinct values, so the reference stays cheap.
    """
    wide = dtype == np.float64
    big = 1e4 if wide else 1e3  # beyond the exact-shift limit (600 / 64)
    r = _rng(20260101)
    cases = {
        "typical logits": [
            ("normal n=3", r.standard_normal(3)),
            ("normal n=10", r.standard_normal(10)),
            ("normal*10 n=100", 10 * r.standard_normal(100)),
            ("normal*30 n=1000", 30 * r.standard_normal(1000)),
            ("uniform[-20,20] n=300", r.uniform(-20, 20, 300)),
            ("seed scores", np.array([10.01, 7.4, 5.1, 3.7])),
            ("seed scores 2", np.array([13.0, 31.0, 5.0])),
            ("integers", r.integers(-30, 30, 50).astype(float)),
        ],
        "all negative (log-probabilities)": [
            ("log p, n=3", np.log(np.array([0.2, 0.3, 0.5]))),
            ("log p, n=10", np.log(r.dirichlet(np.ones(10)))),
            ("log p, n=1000", np.log(r.dirichlet(np.ones(1000)))),
            ("[-ln2, -ln2]", np.array([-np.log(2), -np.log(2)])),
            ("-5.3 + normal", -5.3 + r.standard_normal(20)),
            ("-500 + normal*20", -500 + 20 * r.standard_normal(50)),
            ("-1e5 + normal", -1e5 + r.standard_normal(20)),
        ],
        "huge magnitudes": [
            ("[1000, 999, 998.5]", np.array([1000.0, 999.0, 998.5])),
            ("[1e300, -1e300]" if wide else "[1e38, -1e38]", np.array([1.0, -1.0]) * (1e300 if wide else 1e38)),
            ("big + normal", big + r.standard_normal(100)),
            ("-big*10 + normal", -10 * big + r.standard_normal(100)),
            ("max float ladder", np.finfo(dtype).max * np.array([1.0, 0.5, 0.25, 1 - 2 ** -20])),
            ("1e15 + integers" if wide else "1e6 + integers", (1e15 if wide else 1e6) + r.integers(-20, 20, 30)),
        ],
        "tiny magnitudes": [
            ("1e-300 * normal" if wide else "1e-38 * normal", (1e-300 if wide else 1e-38) * r.standard_normal(10)),
            ("1e-10 * normal", 1e-10 * r.standard_normal(50)),
            ("subnormal", np.array([5e-324, 0.0, -5e-324]) if wide else np.array([1e-45, 0.0, -1e-45])),
            ("1e-20 * normal n=1000", 1e-20 * r.standard_normal(1000)),
        ],
        "near ties": [
            ("1 + k ulp", _ulps_above(1.0, np.arange(5), dtype)),
            ("-3 + k ulp", _ulps_above(-3.0, np.arange(5), dtype)),
            ("700 + k ulp", _ulps_above(700.0, np.arange(4), dtype)),
            ("[0, -1e-16]", np.array([0.0, -1e-16])),
            ("ties at the max", np.array([5.0, 5.0, 5.0, 1.0, -3.0])),
            ("three-way tie, negative", np.array([-2.5, -2.5, -2.5])),
        ],
        "one dominant entry": [
            ("[0, -40 x 99]", np.r_[0.0, np.full(99, -40.0)]),
            ("[1e-10, -50, -50]", np.array([1e-10, -50.0, -50.0])),
            ("[0.3, -40.1 x 30]", np.r_[0.3, np.full(30, -40.1)]),
            ("[50, 0 x 20]", np.r_[50.0, np.zeros(20)]),
            ("[0, -745, -700]", np.array([0.0, -745.0, -700.0])),
            ("[0, -36.7 x 1000]", np.r_[0.0, np.full(1000, -36.7)]),
            ("[10, -10 + normal]", np.r_[10.0, -10 + r.standard_normal(50)]),
            ("[0, -80 x 10]", np.r_[0.0, np.full(10, -80.0)]),
        ],
        "long (10**6)": [
            ("[0, -40 x (10**6 - 1)]", np.r_[0.0, np.full(10**6 - 1, -40.0)]),
            ("10**6 from 500 values", np.round(10 * r.standard_normal(500), 3)[r.integers(0, 500, 10**6)]),
            ("[0, -720 x (10**6 - 1)]" if wide else "[0, -95 x (10**6 - 1)]",
             np.r_[0.0, np.full(10**6 - 1, -720.0 if wide else -95.0)]),
            ("uniform 10**6 equal", np.full(10**6, 2.5)),
        ],
    }
    return {k: [(name, np.asarray(v, dtype=dtype)) for name, v in items] for k, items in cases.items()}
