"""The benchmark script keeps working (its numbers are quoted in docs/DEVELOPING.md, not
asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_module(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_core_benchmark_smoke_run():
    out = run_module("benchmarks.core", "--quick", "--no-torch")
    assert out.returncode == 0, out.stderr
    for needle in ("many-to-one", "many-to-many", "float32", "float64", "denormal"):
        assert needle in out.stdout.lower() or needle in out.stdout, needle


def test_tasks_benchmark_smoke_run():
    out = run_module("benchmarks.tasks", "parity", "--markdown")
    assert out.returncode == 0, out.stderr
    assert "| parity |" in out.stdout and ("PASS" in out.stdout or "MISS" in out.stdout)


def test_fair_share_benchmark_smoke_run():
    out = run_module("benchmarks.fair_share", "--sessions", "2", "--reruns", "2", "--slots", "1")
    assert out.returncode == 0, out.stderr
    assert "nobody training" in out.stdout and "after: 1 slot(s)" in out.stdout
    assert "steps/s per session" in out.stdout
