"""Process-wide settings for the server: one BLAS thread, a calmer malloc, and a janitor.

The server trains many small models on a 2-core machine. A second BLAS thread makes the core's
small matmuls an order of magnitude slower under load (docs/ARCHITECTURE.md, "One BLAS
thread"), and glibc's default malloc returns freed memory to the system after every step,
costing 0.4–0.5 ms of page faults per small training step (benchmarks/core.py --malloc-tuned).
Both are fixed here, once per process, before any model runs.

The price of the calmer malloc is that freed memory stays with the process: up to
``TRIM_THRESHOLD`` at the top of each malloc arena's heap (at most ``ARENA_MAX`` arenas), and
any free pages in the middle of a heap, until something gives them back. So a
:class:`Janitor` daemon thread gives them back when nobody is training: every
``Janitor.period`` seconds it runs its sweeps (the glue registers one that frees the state of
sessions that have ended: ``ui.glue.state``), and once no training step has run for
``QUIET_SECONDS`` (:func:`note_training` marks each one) it collects garbage and calls glibc's
``malloc_trim(0)``, which hands every arena's free pages back to the system (and the main
arena's top). Training never waits for it: a trim happens only in a quiet moment, once per
quiet spell (or again after a sweep freed something).

With ``RNNX_DEBUG_MEMORY=1`` the janitor passes every ``DEBUG_PERIOD`` second and prints one
line per pass that did something or ran while sessions train, ``rnnx-memory: key=value …``
(the sweeps' counts, Python's allocated blocks, glibc's heap in use and free, and the RSS in
MiB), to the server log; benchmarks/memory.py, tests/load/test_memory.py and
tests/load/test_soak.py read it. The heap in use, not the RSS, tells a leak from the
allocator's slack: with 16 arenas (a plain ``streamlit run app.py``, whose threads start
before app.py can cap them) a 20 000-step session grew the RSS from 221 to 294 MiB while the
heap in use stayed at 43–50 MiB and Python's blocks at 727 000 ± 700.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_limits

# glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
MMAP_THRESHOLD = 32 * 1024 * 1024  # arrays below 32 MiB come from the heap, not fresh mmaps
# Keep up to this much free memory at the top of a malloc heap instead of returning it after
# every free: a training step's arrays (well under 32 MiB for any model the limits allow) are
# reused by the next step without page faults. It also bounds what a thread arena keeps for
# ever: glibc's malloc_trim(0) (the janitor's) never shrinks the top of a thread arena's heap,
# only a free above this threshold does (at 256 MiB, 234 MiB stayed after 12 sessions had
# gone; at 32 with two arenas, none: benchmarks/RESULTS.md, "Memory per replica").
TRIM_THRESHOLD = int(os.environ.get("RNNX_MALLOC_TRIM_MIB", "32")) * 1024 * 1024
# At most this many malloc arenas. glibc gives threads arenas of their own, up to 8 per core;
# Streamlit runs each script run in a new thread, so a busy server spreads its free memory
# over 16 arenas that each keep their own. The GIL already serialises most allocation, so
# two arenas cost no measurable speed and keep the free memory in two places.
ARENA_MAX = int(os.environ.get("RNNX_MALLOC_ARENAS", "2"))


@functools.cache
def configure_process() -> dict[str, bool]:
    """Apply the settings once per process; report what took effect (idempotent).

    threadpoolctl only reaches libraries already loaded, so numpy (and its BLAS) is loaded
    first: app.py calls this before any page imports numpy.
    """
    np.ones(1) @ np.ones(1)  # make sure the BLAS library is loaded
    threadpool_limits(1, user_api="blas")
    return {"blas_threads_1": True, "malloc_tuned": tune_malloc()}


@functools.cache
def _libc():
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


def tune_malloc() -> bool:
    """Set glibc's arena cap, mmap and trim thresholds (above); False where they could not be
    set (no glibc). Sets only future behaviour: arenas that already exist stay."""
    try:
        mallopt = _libc().mallopt
    except AttributeError:  # no libc found, or not glibc (musl, macOS): nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    ok_arenas = mallopt(_M_ARENA_MAX, ARENA_MAX) == 1
    ok_mmap = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok_trim = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    return ok_arenas and ok_mmap and ok_trim


def trim_malloc() -> bool:
    """Give the heap's free memory back to the system (glibc ``malloc_trim(0)``: every arena,
    free pages in the middle of a heap too). False where there is no such call."""
    try:
        trim = _libc().malloc_trim
    except AttributeError:
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)
    return True


# ----------------------------------------------------------------------------- janitor

QUIET_SECONDS = 3.0  # no training step for this long: the server is quiet, the heap may shrink
JANITOR_PERIOD = 5.0  # seconds between two passes of the janitor
DEBUG_PERIOD = 1.0  # ... with RNNX_DEBUG_MEMORY=1: a line a second while training
_last_training = 0.0  # time.monotonic() of the latest training step (note_training)


def note_training() -> None:
    """A training step ran just now: the janitor leaves the heap alone for QUIET_SECONDS."""
    global _last_training
    _last_training = time.monotonic()


def quiet_for() -> float:
    """Seconds since the latest training step."""
    return time.monotonic() - _last_training


def rss_mib() -> float:
    """This process's resident set size in MiB (nan where /proc is unreadable)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return float("nan")


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks")
    ] + [(name, ctypes.c_size_t) for name in ("uordblks", "fordblks", "keepcost")]


def malloc_mib() -> dict[str, float]:
    """glibc's heap in MiB: "malloc_used" (allocated) and "malloc_free" (free but kept by the
    process); {} where there is no ``mallinfo2`` (glibc < 2.33, not glibc)."""
    try:
        info = _libc().mallinfo2
    except AttributeError:
        return {}
    info.argtypes, info.restype = [], _Mallinfo2
    m = info()
    return {
        "malloc_used_mib": round((m.uordblks + m.hblkhd) / 2**20, 1),
        "malloc_free_mib": round(m.fordblks / 2**20, 1),
        "malloc_arenas": malloc_arenas(),
    }


def malloc_arenas() -> int:
    """How many malloc arenas the process has (glibc ``malloc_info``'s ``<heap>`` elements),
    or -1 where that cannot be read."""
    libc = _libc()
    try:
        fopen, fclose, report = libc.fopen, libc.fclose, libc.malloc_info
    except AttributeError:
        return -1
    fopen.argtypes, fopen.restype = [ctypes.c_char_p, ctypes.c_char_p], ctypes.c_void_p
    fclose.argtypes, report.argtypes = [ctypes.c_void_p], [ctypes.c_int, ctypes.c_void_p]
    with tempfile.NamedTemporaryFile("rb", suffix=".xml") as out:
        stream = fopen(out.name.encode(), b"w")
        if not stream:
            return -1
        report(0, stream)
        fclose(stream)
        return out.read().count(b"<heap nr=")


def debug_memory() -> bool:
    """Whether RNNX_DEBUG_MEMORY=1: the janitor logs its counts (module docstring)."""
    return os.environ.get("RNNX_DEBUG_MEMORY", "") == "1"


Sweep = Callable[[bool], dict[str, int]]  # (debug) -> counts; "freed" > 0 if it freed any


class Janitor:
    """A daemon thread: runs the registered sweeps every ``period`` seconds, and returns
    freed memory to the system when no training has run for ``quiet`` seconds (module
    docstring). :meth:`run_once` is one pass, for tests."""

    def __init__(self, period: float = JANITOR_PERIOD, quiet: float = QUIET_SECONDS):
        self.period = period
        self.quiet = quiet
        self.sweeps: dict[str, Sweep] = {}
        self.trims = 0
        self._trimmed = False  # trimmed since the latest training step or freeing sweep
        self._trained_at = _last_training
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, name: str, sweep: Sweep) -> None:
        self.sweeps[name] = sweep

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="rnnx-janitor", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            time.sleep(self.period)
            try:
                self.run_once()
            except Exception as e:  # a sweep's bug must not end the janitor
                print(f"rnnx-janitor: {type(e).__name__}: {e}", file=sys.stderr, flush=True)

    def run_once(self) -> dict[str, float]:
        debug = debug_memory()
        counts: dict[str, float] = {}
        for sweep in list(self.sweeps.values()):
            for k, v in sweep(debug).items():
                counts[k] = counts.get(k, 0) + v
        if counts.get("freed", 0) > 0 or self._trained_at != _last_training:
            self._trimmed = False
            self._trained_at = _last_training
        acted = False
        training = quiet_for() < self.quiet
        if not training and not self._trimmed:
            gc.collect()
            trim_malloc()
            self._trimmed, acted = True, True
            self.trims += 1
        # while training, debug lines follow the heap too (tests/load/test_soak.py reads them)
        if debug and (acted or training or counts.get("freed", 0)):
            counts["trims"] = self.trims
            counts["py_blocks"] = sys.getallocatedblocks()
            counts.update(malloc_mib())
            counts["rss_mib"] = round(rss_mib(), 1)
            line = " ".join(f"{k}={v}" for k, v in counts.items())
            print(f"rnnx-memory: {line}", file=sys.stderr, flush=True)
        return counts


@functools.cache
def janitor() -> Janitor:
    """The process's one janitor (not started until :meth:`Janitor.start`)."""
    return Janitor(period=DEBUG_PERIOD if debug_memory() else JANITOR_PERIOD)
