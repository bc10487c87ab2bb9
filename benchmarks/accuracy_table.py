"""Maximum error, in ulps, of the companion and of SciPy on the adversarial battery.

    python benchmarks/accuracy_table.py            # both dtypes, a few seconds
    python benchmarks/accuracy_table.py -v         # and every slice of the battery
    python benchmarks/accuracy_table.py --quick    # one slice per class (a smoke test)

The battery and the mpmath reference live in tests/_battery.py (the unit tests use
them too). For each class of slices the table gives the largest error over the class,
for softmax, log_softmax and logsumexp, separately for the slices whose shifted
scores ``x_i - max(x)`` are all exact ("exact") and the others ("inexact").
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import scipy.special

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import companion  # noqa: E402
from _battery import battery, reference_unique, ulp_errors  # noqa: E402

FUNCTIONS = {
    "softmax": (companion.softmax, scipy.special.softmax),
    "log_softmax": (companion.log_softmax, scipy.special.log_softmax),
    "logsumexp": (companion.logsumexp, scipy.special.logsumexp),
}


def errors(x: np.ndarray) -> dict[str, tuple[float, float]]:
    """Max ulp error of (companion, scipy) for each function on one slice."""
    vals, inverse, ref = reference_unique(x)
    first = np.zeros(len(vals), dtype=np.intp)
    first[inverse[::-1]] = np.arange(len(x))[::-1]
    out = {}
    for name, fns in FUNCTIONS.items():
        res = []
        for f in fns:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y = np.asarray(f(x, axis=-1) if f is not scipy.special.logsumexp else f(x))
            if name == "logsumexp":
                res.append(float(ulp_errors(y.reshape(1), [ref.logsumexp], x.dtype)[0]))
                continue
            assert np.array_equal(y, y[first][inverse], equal_nan=True), "copies of a value differ"
            exact = ref.softmax if name == "softmax" else ref.log_softmax
            res.append(float(ulp_errors(y[first], exact, x.dtype).max()))
        out[name] = tuple(res)
    out["exact"] = ref.exact_shift
    return out


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    for dtype in (np.float64, np.float32):
        print(f"\n{np.dtype(dtype).name}: max error in ulps, companion / scipy")
        print(f"{'class':36s} {'shift':8s} {'softmax':>18s} {'log_softmax':>22s} {'logsumexp':>18s}")
        for cls, cases in battery(dtype).items():
            agg: dict[bool, dict[str, list[float]]] = {}
            for name, x in cases[:1] if "--quick" in argv else cases:
                e = errors(x)
                a = agg.setdefault(e["exact"], {k: [0.0, 0.0] for k in FUNCTIONS})
                for k in FUNCTIONS:
                    a[k] = [max(a[k][0], e[k][0]), max(a[k][1], e[k][1])]
                if "-v" in argv:
                    cells = {k: tuple(f"{v:.3g}" for v in e[k]) for k in FUNCTIONS}
                    print("   ", name, "exact" if e["exact"] else "inexact", cells)
            for exact, a in sorted(agg.items(), reverse=True):
                cells = [f"{a[k][0]:8.3g} / {a[k][1]:<8.3g}" for k in FUNCTIONS]
                print(f"{cls:36s} {'exact' if exact else 'inexact':8s} {cells[0]:>18s} {cells[1]:>22s} {cells[2]:>18s}")


if __name__ == "__main__":
    main()
