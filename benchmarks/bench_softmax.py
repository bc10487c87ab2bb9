"""Time companion.softmax, log_softmax and logsumexp against SciPy, side by side.

    taskset -c 0 python benchmarks/bench_softmax.py              # everything on one core, a few minutes
    taskset -c 0 python benchmarks/bench_softmax.py --repeats 31 # steadier medians on a busy machine
    python benchmarks/bench_softmax.py --function softmax --case "(65536, 10)"
    python benchmarks/bench_softmax.py --quick                   # arrays 64 times smaller, 1 repeat: a smoke test

For each case (shape, axis, dtype) the companion, SciPy and one ``np.exp`` pass over the
same array (a lower bound for anything that exponentiates every entry) are run in turn,
``--repeats`` times, interleaved, in one process. The table gives the median time of each.
The ratio companion / SciPy is taken within each repeat, of two calls made one after the
other, and the table gives the median of these ratios: a shared or virtual machine can
change speed from one second to the next, which moves a ratio of two medians but hardly a
ratio of two neighbouring calls. Last comes the peak extra memory of one call (from
``tracemalloc``, which sees NumPy's allocations) in units of the input's size, not counting
the output. The input is ``4 * standard normal`` scores, seeded.

The companion uses one thread, and so do SciPy and ``np.exp``; pin the process to one core
(``taskset -c 0``) so that nothing else in NumPy or the operating system spreads the work.

Timings are wall-clock and depend on the machine and on what else runs on it; only the
ratios measured in one run are comparable. Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import scipy.special

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import companion  # noqa: E402

CASES = [
    ("1-D 10**7", (10**7,), -1),
    ("(4096, 1024) axis -1", (4096, 1024), -1),
    ("(1024, 4096) axis 0", (1024, 4096), 0),
    ("(65536, 10) axis -1", (65536, 10), -1),
]
DTYPES = (np.float64, np.float32)
FUNCTIONS = {
    "softmax": (companion.softmax, scipy.special.softmax),
    "log_softmax": (companion.log_softmax, scipy.special.log_softmax),
    "logsumexp": (companion.logsumexp, scipy.special.logsumexp),
}


def _time(f) -> float:
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def extra_memory(f, x: np.ndarray) -> float:
    """Peak memory allocated during ``f()`` beyond its result, in units of ``x.nbytes``."""
    gc.collect()
    tracemalloc.start()
    try:
        out = f()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - np.asarray(out).nbytes) / x.nbytes


def run_case(name: str, shape, axis: int, dtype, function: str, repeats: int, shrink: int = 1) -> dict:
    shape = (shape[0] // shrink, *shape[1:])
    x = (4 * np.random.default_rng(0).standard_normal(shape)).astype(dtype)
    ours, theirs = FUNCTIONS[function]
    calls = {
        "companion": lambda: ours(x, axis=axis),
        "scipy": lambda: theirs(x, axis=axis),
        "exp": lambda: np.exp(x),
    }
    for f in calls.values():  # warm up
        f()
    times: dict[str, list[float]] = {k: [] for k in calls}
    for _ in range(repeats):
        for k, f in calls.items():
            times[k].append(_time(f))
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    return {
        "function": function,
        "case": name,
        "dtype": np.dtype(dtype).name,
        **med,
        "ratio": statistics.median(c / s for c, s in zip(times["companion"], times["scipy"])),
        "mem_companion": extra_memory(calls["companion"], x),
        "mem_scipy": extra_memory(calls["scipy"], x),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="interleaved runs per case (default 15)")
    parser.add_argument("--function", choices=sorted(FUNCTIONS), action="append", help="only this function")
    parser.add_argument("--case", action="append", help="only cases whose name contains this text")
    parser.add_argument("--dtype", choices=["float64", "float32"], action="append", help="only this dtype")
    parser.add_argument("--quick", action="store_true", help="arrays 64 times smaller and 1 repeat (a smoke test)")
    args = parser.parse_args(argv)
    shrink = 64 if args.quick else 1
    if args.quick:
        args.repeats = 1
    print(f"# numpy {np.__version__}, scipy {scipy.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, {len(os.sched_getaffinity(0))} usable CPU(s), {args.repeats} interleaved "
          f"repeats, medians in ms, memory in input sizes")
    header = (f"| {'function':11s} | {'case':22s} | {'dtype':7s} | {'companion':>9s} | "
              f"{'scipy':>8s} | {'ratio':>5s} | {'np.exp':>8s} | {'mem c/s':>9s} |")
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for function in args.function or list(FUNCTIONS):
        ratios = []
        for name, shape, axis in CASES:
            if args.case and not any(c in name for c in args.case):
                continue
            for dtype in DTYPES:
                if args.dtype and np.dtype(dtype).name not in args.dtype:
                    continue
                r = run_case(name, shape, axis, dtype, function, args.repeats, shrink)
                ratios.append(r["ratio"])
                print(f"| {function:11s} | {name:22s} | {r['dtype']:7s} | {r['companion']:9.2f} | "
                      f"{r['scipy']:8.2f} | {r['ratio']:5.2f} | "
                      f"{r['exp']:8.2f} | {r['mem_companion']:4.2f}/{r['mem_scipy']:4.2f} |", flush=True)
        if ratios:
            for label, agg in (("median ratio", statistics.median), ("worst ratio", max)):
                print(f"| {function:11s} | {label:22s} | {'':7s} | {'':9s} | {'':8s} | "
                      f"{agg(ratios):5.2f} | {'':8s} | {'':9s} |")


if __name__ == "__main__":
    main()
