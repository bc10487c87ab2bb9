"""Splitting the blocked kernels over threads (private).

NumPy releases the GIL inside its loops, so blocks handed to different threads run on
different cores. Threads take the next block from a shared queue as they finish one,
rather than a fixed share each: then a core that runs slower (busy with other work, or a
virtual CPU sharing its physical core) simply does fewer blocks. The split never changes
a result: every block is computed the same way whichever thread runs it, and partial sums
are combined in block order, so the output is identical, bit for bit, to that of one thread.

Arrays smaller than ``MIN_SIZE`` (float32) or an eighth of it (float64) stay on the calling
thread. The number of threads
is ``COMPANION_NUM_THREADS`` from the environment if set (``1`` turns threading off), else
the number of CPUs this process may use, at most ``MAX_THREADS``.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

import numpy as np

MIN_SIZE = 1 << 20
"""Smallest amount of work worth splitting, in float32-entry equivalents: below it, thread
hand-offs cost more than they save. A float64 entry counts eight times (NumPy vectorises
float64 ``exp`` only with AVX-512, float32's with AVX2 as well, and on a CPU without AVX-512 a
float64 ``exp`` costs about eight times as much), so float64 arrays are split from 131,072
entries. Callers may count an entry more where it costs more (short slices do)."""

MAX_THREADS = 4

T = TypeVar("T")
R = TypeVar("R")
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_lock = threading.Lock()


def configured_threads() -> int:
    """Threads to use for a large array (``COMPANION_NUM_THREADS``, else the usable CPUs, at most 4)."""
    env = os.environ.get("COMPANION_NUM_THREADS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise ValueError(f"COMPANION_NUM_THREADS must be a positive integer, got {env!r}") from None
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_THREADS, cpus))


def worth_splitting(size: int, dtype: np.dtype = np.dtype(np.float32)) -> bool:
    """Whether an array of `size` elements of (working) dtype `dtype` is large enough for threads."""
    return size * (8 if np.dtype(dtype).itemsize >= 8 else 1) >= MIN_SIZE


def threads_for(size: int, dtype: np.dtype = np.dtype(np.float32)) -> int:
    """Threads to use for an array of `size` elements of (working) dtype `dtype`."""
    return configured_threads() if worth_splitting(size, dtype) else 1


def _executor(n: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < n:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool, _pool_size = ThreadPoolExecutor(max_workers=n, thread_name_prefix="companion"), n
        return _pool


def _quietly(task: Callable[[], T]) -> T:
    # NumPy's error state is per thread (a context variable): set it in the worker too.
    with np.errstate(all="ignore"):
        return task()


def run(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Run the tasks, the first on this thread and the others on the pool; results in order."""
    if len(tasks) <= 1:
        return [_quietly(t) for t in tasks]
    futures = [_executor(len(tasks) - 1).submit(_quietly, t) for t in tasks[1:]]
    first = _quietly(tasks[0])
    return [first, *(f.result() for f in futures)]


def queue(items: Sequence[T], parts: int) -> list[Iterator[T]]:
    """`parts` iterators that share `items`: each yields the next item not yet taken by any.

    Handed one to each thread, they let fast threads take more items than slow ones;
    every item is taken exactly once.
    """
    counter = itertools.count()
    lock = threading.Lock()

    def take() -> Iterator[T]:
        while True:
            with lock:
                i = next(counter)
            if i >= len(items):
                return
            yield items[i]

    return [take() for _ in range(max(1, parts))]


def share(items: Sequence[T], threads: int, work: Callable[[Iterator[T]], R]) -> list[R]:
    """Run ``work(its)`` on `threads` threads at once, each with one of the `queue` iterators over `items`."""
    return run([partial(work, q) for q in queue(items, threads)])


def split(n: int, parts: int) -> list[range]:
    """``range(n)`` cut into at most `parts` contiguous, nearly equal, non-empty ranges."""
    parts = max(1, min(parts, n))
    bounds = [n * i // parts for i in range(parts + 1)]
    return [range(bounds[i], bounds[i + 1]) for i in range(parts)]
