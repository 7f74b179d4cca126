"""Process-wide settings for the server: one BLAS thread and a calmer malloc.

The server trains many small models on a 2-core machine. A second BLAS thread makes the core's
small matmuls an order of magnitude slower under load (docs/ARCHITECTURE.md, "One BLAS
thread"), and glibc's default malloc returns freed memory to the system after every step,
costing 0.4–0.5 ms of page faults per small training step (benchmarks/core.py --malloc-tuned).
Both are fixed here, once per process, before any model runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import numpy as np
from threadpoolctl import threadpool_limits

# glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # arrays below 32 MiB come from the heap, not fresh mmaps
TRIM_THRESHOLD = 256 * 1024 * 1024  # keep up to 256 MiB of freed heap instead of trimming


@functools.cache
def configure_process() -> dict[str, bool]:
    """Apply the settings once per process; report what took effect (idempotent).

    threadpoolctl only reaches libraries already loaded, so numpy (and its BLAS) is loaded
    first: app.py calls this before any page imports numpy.
    """
    np.ones(1) @ np.ones(1)  # make sure the BLAS library is loaded
    threadpool_limits(1, user_api="blas")
    return {"blas_threads_1": True, "malloc_tuned": _tune_malloc()}


def _tune_malloc() -> bool:
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    ok_mmap = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok_trim = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    return ok_mmap and ok_trim
