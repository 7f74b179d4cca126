"""The benchmark script keeps working (its numbers are quoted in docs/DEVELOPING.md, not
asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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


def test_dynamics_benchmark_smoke_run():
    """The 64-unit timing runs for every cell and finds at least one fixed point for each."""
    import json

    out = run_module("benchmarks.dynamics", "--skip-sentiment", "--starts", "8")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)["timing_64"]
    assert [r["cell"] for r in rows] == ["gru", "rnn", "lstm"]
    assert [r["state_size"] for r in rows] == [64, 64, 128]
    assert all(r["points"] >= 1 for r in rows)


def test_lab_benchmark_smoke_run():
    """Both parts run the page's own calls and report every run and every model measured."""
    out = run_module("benchmarks.lab", "--quick")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "gradients?experiment=gates" in text and "to 60/60 (all runs): median" in text
    for run in ("tanh RNN", "GRU", "LSTM"):
        assert f"{run}: 60/60 steps, test MSE" in text, run
        assert f"gates: {run}" in text, run
    assert text.count("rerun median") == 4 and text.count("first view (computed) median") == 4
    assert "load average" in text and "1 BLAS thread" in text
    assert "WARNING" not in out.stderr, out.stderr


def test_tasks_benchmark_smoke_run():
    out = run_module("benchmarks.tasks", "parity", "--markdown")
    assert out.returncode == 0, out.stderr
    assert "| parity |" in out.stdout and ("PASS" in out.stdout or "MISS" in out.stdout)


def test_baseline_benchmark_smoke_run():
    """The bag-of-words fit is timed, with its vectoriser's share, the load beside it and an
    accuracy that shows it learned (the synthetic labels follow opinion words)."""
    out = run_module("benchmarks.baseline", "--quick")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "3000 training texts" in text and "load average before" in text
    assert "fit_bag_of_words: median" in text and "of which the vectoriser" in text
    held_out = float(text.split("held-out accuracy ")[1].split()[0])
    assert held_out > 0.55, text


def test_write_benchmark_smoke_run():
    """Explore's Write: 300 characters timed, with the section around them and the words."""
    out = run_module("benchmarks.write", "--quick")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for label in ("chars, temperature 0.7", "chars, temperature 0", "words, temperature 0.7"):
        assert f"{label}: generate median" in text, label
    assert "300 characters: median" in text and "load average before" in text


def test_fair_share_benchmark_smoke_run():
    out = run_module("benchmarks.fair_share", "--sessions", "2", "--reruns", "2", "--slots", "1")
    assert out.returncode == 0, out.stderr
    assert "nobody training" in out.stdout and "after: 1 slot(s)" in out.stdout
    assert "steps/s per session" in out.stdout


def test_capacity_benchmark_arguments_and_table():
    """No cluster here (tests/test_st_client.py proves the client against the real app): the
    arguments and the table the benchmark prints."""
    import pytest

    from benchmarks.capacity import Result, parse, table

    args = parse(["--replicas", "3", "--per-replica", "1", "--window", "5"])
    assert (args.replicas, args.per_replica, args.window, args.min_speedup) == (3, 1, 5.0, 1.8)
    with pytest.raises(SystemExit):
        parse(["--replicas", "0"])
    one = Result(
        1,
        2,
        {"app1": 2},
        [100.0, 110.0],
        [50.0, 80.0],
        {"app1": 200.0},
        {"app1": 0.98},
        0.01,
        "1.00 1.00 1.00",
    )
    two = Result(
        2,
        4,
        {"app1": 2, "app2": 2},
        [100.0, 95.0, 105.0, 100.0],
        [60.0],
        {"app1": 200.0, "app2": 210.0},
        {"app1": 0.97, "app2": 0.96},
        0.02,
        "2.0 1.5 1.0",
    )
    out = table([one, two])
    assert "| 2 | 4 (app1 2, app2 2) | 400 | 1.90× | 95 / 100 / 105 |" in out
    assert "200, 210 MiB" in out and "| 97%, 96% | 207 |" in out


@pytest.mark.browser
def test_chart_draw_benchmark_times_every_app_figure():
    """Issue 16's per-chart split of the browser's time: every Explore and Train figure is
    drawn by plotly.js and gets a time (needs Chromium, like the browser tests)."""
    from benchmarks.browser import browser_unavailable

    why = browser_unavailable()
    if why is not None:
        pytest.skip(why)
    out = run_module("benchmarks.chart_draw", "--repeats", "1")
    assert out.returncode == 0, out.stderr
    rows = {
        cells[1].strip(): [float(c) for c in cells[2:5]]
        for cells in (line.split("|") for line in out.stdout.splitlines())
        if len(cells) == 6 and cells[2].strip()[:1].isdigit()
    }
    for name in ("explore heatmap_0", "explore trajectory", "train loss", "train spectrum"):
        assert name in rows, sorted(rows)
    for page in ("explore", "train"):  # each total is the sum of its page's charts
        mine = [v for k, v in rows.items() if k.startswith(f"{page} ")]
        total = rows[f"all {page} charts"]
        for column in range(3):
            assert total[column] == pytest.approx(
                sum(v[column] for v in mine), abs=0.5
            )  # rows rounded to 0.1
