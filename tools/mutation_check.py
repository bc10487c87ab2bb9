"""Mutation check of companion/_core.py: delete or break one guard at a time, run the tests, and
report which mutation no test catches. Run by hand (about a minute a mutation):

    python tools/mutation_check.py

Every mutation must be caught ("killed"); one that survives marks a guard no test reaches.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "companion" / "_core.py"
TESTS = ["tests/test_accuracy.py", "tests/test_special_values.py", "tests/test_layouts.py",
         "tests/test_properties.py", "tests/test_route.py", "tests/test_errors.py"]

MUTATIONS = {  # name: (text in _core.py, what replaces it)
    "no exact shift for m <= -1": ("np.minimum(np.ceil(m), 0)", "0 * m"),
    "no shift above the limit": ("np.where(m > limit, m, ", "np.where(m > 1e300, m, "),
    "the largest term summed with the rest": ("np.where(below, er, 0)", "er"),
    "ties counted as one": ("if at == m.size:", "if True:"),
    "no re-sum of subnormal terms": ("if (rest < tiny).any():", "if False:"),
    "odd row left out of the pairwise sum": ("pairs[:, :1] += e[:, 2 * h :]", "pass"),
    "no +inf limit in softmax": ("np.copyto(out, hot / hot.sum(axis=1, keepdims=True), where=m == np.inf)", "pass"),
    "no +inf limit in log_softmax":
        ("np.copyto(out, np.where(hot, -np.log(hot.sum(axis=1, keepdims=True)), -np.inf), where=m == np.inf)", "pass"),
    "no guard against x / T overflowing": ("if big.any() else x / t", "if False else x / t"),
    "logsumexp of an infinite maximum": ("np.where(np.isinf(m), m, m + lg)", "m + lg"),
    "blocks of one slab too many": ("step = max(1, BLOCK // max(n * Q, 1))", "step = max(1, BLOCK // max(n * Q, 1)) + 1"),
    "chunks of rows skip one": ("for r in range(0, n, step):", "for r in range(0, n, step + 1):"),
    "ties counted in the last chunk only": ("at += yr.size - np.count_nonzero(below)", "at = yr.size - np.count_nonzero(below)"),
    "chunk sums not added": ("_pairwise_sum(np.concatenate(rests, axis=1))", "rests[-1]"),
    "short rows not transposed back": ("out[b] = o.transpose(2, 1, 0) if side else o", "out[b] = o.reshape(out[b].shape)"),
}


def main() -> int:
    original = CORE.read_text()
    survived = []
    try:
        for name, (old, new) in MUTATIONS.items():
            assert original.count(old) == 1, f"mutation {name!r}: {old!r} is not in _core.py exactly once"
            CORE.write_text(original.replace(old, new))
            run = subprocess.run([sys.executable, "-m", "pytest", *TESTS, "-x", "-q", "-p", "no:cacheprovider",
                                  "-n", "2"], cwd=ROOT, capture_output=True, text=True)
            killed = run.returncode != 0
            print(f"{'killed  ' if killed else 'SURVIVED'}  {name}", flush=True)
            if not killed:
                survived.append(name)
    finally:
        CORE.write_text(original)
    print(f"{len(MUTATIONS) - len(survived)} of {len(MUTATIONS)} mutations killed")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
