"""The Dynamics lab's memory section (ui/services/memory_lab.py): how long the first visitor
waits while the gates experiment's three models train, and what they remember.

    python -m benchmarks.memory_lab
    python -m benchmarks.memory_lab --steps 40 --every 20     (a smoke run)

Set up as the server is (``configure_process``: one BLAS thread, the tuned malloc). Reports
the wall time of training the tanh RNN, GRU and LSTM with their snapshots, then of the
measurements (memory curves, gradient horizons, τ at every snapshot), and per model: its
final test MSE, the lags it solves (MSE ≤ 0.01), the largest one, and where its gradient
falls below 10⁻³ of its value at the output (null: not within the 159 steps measured); for
the gated ones, the median and largest τ before and after training. The machine's load
matters: measure on a quiet machine (``uptime``) or say how loaded it was.

Prints one JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

from ui.services import memory_lab as M
from ui.services.runtime import configure_process


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=M.STEPS)
    ap.add_argument("--every", type=int, default=M.SNAPSHOT_EVERY)
    args = ap.parse_args(argv)
    configure_process()
    trio = M.build_trio(args.steps, args.every)
    models = {}
    for name, m in trio.measures.items():
        row = {
            "test_mse": round(trio.runs[name].test_mse, 5),
            "solved_lags": [int(x) for x in m.curve.lags[m.curve.ok]],
            "memory_horizon": m.curve.horizon,
            "gradient_below_level_at": m.gradient.falls_below_at,
            "gradient_ratio_at_end": float(f"{m.gradient.ratios[-1]:.3g}"),
        }
        if name in trio.taus:
            t = trio.taus[name].taus
            row["tau_median_first_last"] = [round(float(np.median(t[0])), 2),
                                            round(float(np.median(t[-1])), 2)]  # fmt: skip
            row["tau_max_first_last"] = [round(float(t[0].max()), 2), round(float(t[-1].max()), 2)]
        models[name] = row
    summary = {
        "steps": args.steps,
        "snapshots": len(next(iter(trio.runs.values())).snapshots),
        "train_seconds": round(trio.seconds, 2),
        "measure_seconds": round(trio.measure_seconds, 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "models": models,
    }
    print(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":
    main()
