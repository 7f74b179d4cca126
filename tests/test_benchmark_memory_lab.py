"""The memory-lab benchmark keeps working (its numbers are quoted in the Dynamics lab's
report, not asserted): a smoke run of a few steps."""

from __future__ import annotations

import json

from tests.test_benchmarks import run_module


def test_memory_lab_benchmark_smoke_run():
    out = run_module("benchmarks.memory_lab", "--steps", "10", "--every", "5")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["steps"] == 10 and summary["snapshots"] == 3
    assert list(summary["models"]) == ["tanh RNN", "GRU", "LSTM"]
    assert "tau_median_first_last" not in summary["models"]["tanh RNN"]
    assert len(summary["models"]["GRU"]["tau_median_first_last"]) == 2
