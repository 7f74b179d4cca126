"""The RNNbow benchmark keeps working (its numbers are quoted in the report, not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_rnnbow_benchmark_smoke_run():
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.rnnbow", "--quick", "--repeats", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    for line in ("example sentence (33 steps)", "test sequence 0 (64 steps)", "(199 steps)"):
        assert line in out.stdout, line
    assert out.stdout.count("split median") == 3 and "1 BLAS thread" in out.stdout
