"""The server process runs one BLAS thread with glibc's malloc thresholds raised."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
