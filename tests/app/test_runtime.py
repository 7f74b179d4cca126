"""The server process runs one BLAS thread, with glibc's malloc thresholds raised and its arenas
capped, and a janitor that gives memory back."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_configure_process_sets_one_blas_thread_once():
    code = (
        "from threadpoolctl import threadpool_info;"
        "from ui.services.runtime import configure_process; import numpy;"
        "a = configure_process(); b = configure_process();"
        "blas = [p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'];"
        "print(a is b, a['blas_threads_1'], a['malloc_tuned'], blas)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "2"},
    )
    same, blas_one, malloc, threads = out.stdout.split(maxsplit=3)
    assert same == "True" and blas_one == "True"
    assert threads.strip() == "[1]"
    if sys.platform.startswith("linux"):
        assert malloc == "True"  # glibc on this project's machines


def test_the_janitor_trims_only_when_training_has_been_quiet(monkeypatch):
    from ui.services import runtime

    trims = []
    monkeypatch.setattr(runtime, "trim_malloc", lambda: trims.append(1) or True)
    jan = runtime.Janitor(period=60, quiet=0.2)
    freed = {"n": 0}
    jan.add("sweep", lambda debug: {"freed": freed["n"]})
    runtime.note_training()
    jan.run_once()
    assert trims == []  # a step just ran: the heap is left alone
    time.sleep(0.25)
    jan.run_once()
    jan.run_once()
    assert trims == [1]  # once per quiet spell
    freed["n"] = 2
    jan.run_once()
    assert trims == [1, 1]  # a sweep freed something: trim again
    freed["n"] = 0
    runtime.note_training()
    time.sleep(0.25)
    jan.run_once()
    assert trims == [1, 1, 1]  # training ran since: a new quiet spell


def test_trim_malloc_and_the_debug_line(monkeypatch, capsys):
    from ui.services import runtime

    if sys.platform.startswith("linux"):
        assert runtime.trim_malloc() is True
        assert runtime.rss_mib() > 0
    monkeypatch.setenv("RNNX_DEBUG_MEMORY", "1")
    monkeypatch.setattr(runtime, "_last_training", time.monotonic() - 60)
    jan = runtime.Janitor(period=60, quiet=0)
    jan.add("sweep", lambda debug: {"freed": 1, "runs": 0} if debug else {"freed": 1})
    jan.run_once()
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("rnnx-memory: freed=1 runs=0 trims=1")
    assert "rss_mib=" in line


ARENA_CODE = """
import sys, threading
from ui.services import runtime
if sys.argv[1] == "tuned":
    runtime.tune_malloc()
gate = threading.Barrier(20)
def work():
    blocks = [bytearray(200_000) for _ in range(20)]  # malloc'd in this thread's arena
    gate.wait()  # all 20 threads alive at once: glibc would give each an arena of its own
    del blocks
threads = [threading.Thread(target=work) for _ in range(20)]
[t.start() for t in threads]
[t.join() for t in threads]
print(runtime.malloc_arenas())
"""


def _arenas(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", ARENA_CODE, mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    return int(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc arenas: Linux only")
def test_tuned_malloc_keeps_threads_to_a_few_arenas():
    """Streamlit runs every script run in a new thread; untuned, glibc gives busy threads up to
    8 arenas per core, each keeping its own free memory (benchmarks/RESULTS.md, "Memory per
    replica"). Tuned before the threads start, they share ``ARENA_MAX``."""
    from ui.services import runtime

    assert _arenas("untuned") > runtime.ARENA_MAX + 1  # what the cap prevents
    assert _arenas("tuned") == runtime.ARENA_MAX == 2
