"""Fixed and slow points (rnn_core/dynamics.py): time for a 64-unit model, and what the
sentiment task's default GRU has.

    python -m benchmarks.dynamics
    python -m benchmarks.dynamics --starts 128

1. Timing: a 64-unit GRU, tanh RNN and LSTM (random weights, spectral radius as initialised)
   on the no-input step, ``--starts`` starts sampled along trajectories of random token
   sequences; the best of three runs of ``find_fixed_points`` (target: ≤ 1 s for 64 units).
2. The sentiment default: ``train_to_goal`` on ``load_task("sentiment", 0)``, starts from
   the test sentences' real steps, the no-input step (zero input). Reports how many slow
   points (q ≤ 1e-4), their eigenvalues within 0.02 of 1, and whether the slow points lie
   along a line: the share of their variance on the first principal component, and the
   |cosine| between that component and the readout direction (W_hy[:, 1] − W_hy[:, 0]).
   The same for the five most frequent tokens held as constant inputs. The exact solver
   takes every start to the one fixed point (measured: one per input); ``slow_valley`` stops
   it after 3 steps and keeps states with q <= 1e-3: the slow points the starts funnel
   through on their way (measured: 97 of them, 97.7% of their variance on one component,
   each point's slowest eigenvector along it, |lambda| ~ 0.995, one eigenvalue near 1).

Prints one JSON summary.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from rnn_core.dynamics import find_fixed_points, sample_starts
from rnn_core.model import ModelConfig, RNNModel


def _time_64(cell: str, n_starts: int) -> dict:
    rng = np.random.default_rng(0)
    cfg = ModelConfig(cell=cell, hidden_size=64, input_size=20)
    model = RNNModel.create(cfg, rng)
    starts = sample_starts(model, rng.integers(0, 20, (16, 30)), n_starts, rng)
    best, fp = np.inf, None
    for _ in range(3):
        t0 = time.perf_counter()
        fp = find_fixed_points(model, None, starts)
        best = min(best, time.perf_counter() - t0)
    return {
        "cell": cell,
        "state_size": starts.shape[1],
        "starts": n_starts,
        "seconds": round(best, 3),
        "points": len(fp.points),
    }


def _sentiment(n_starts: int) -> dict:
    from rnn_core.tasks import load_task
    from rnn_core.tasks.base import train_to_goal

    task = load_task("sentiment", seed=0)
    t0 = time.perf_counter()
    trainer = train_to_goal(task)
    train_s = time.perf_counter() - t0
    model = trainer.model
    rng = np.random.default_rng(0)
    test = task.data.test
    starts = sample_starts(model, test.inputs, n_starts, rng, mask=test.mask)
    t0 = time.perf_counter()
    fp = find_fixed_points(model, None, starts)
    find_s = time.perf_counter() - t0
    out = {
        "train_seconds": round(train_s, 1),
        "test_acc": trainer.history[-1].get("test_acc") if trainer.history else None,
        "hidden": model.config.hidden_size,
        "starts": n_starts,
        "find_seconds": round(find_s, 3),
        "fixed_points": len(fp.points),
        "max_speed": float(fp.speeds.max()) if len(fp.points) else None,
        "near_one": fp.near_one.tolist()[:20],
        "stable": int(fp.stable.sum()),
    }
    # the zero input is a step the network never saw (every real step is a one-hot token):
    # the most frequent tokens as constant inputs too
    ids = test.inputs[test.mask]
    top = np.argsort(-np.bincount(ids, minlength=model.config.input_size))[:5]
    per_token = []
    for tok in top:
        tp = find_fixed_points(model, int(tok), starts)
        per_token.append(
            {
                "token": task.encoder.decode([int(tok)])[0],
                "points": len(tp.points),
                "near_one": tp.near_one.tolist(),
                "top_abs_eigenvalue": np.round(np.abs(tp.eigenvalues[:, 0]), 3).tolist(),
            }
        )
    out["per_token"] = per_token
    # slow points: the exact solver runs every start into the one fixed point, along the slow
    # valley of q; stopped after 3 steps, the starts sit in that valley (q <= 1e-3)
    sp = find_fixed_points(model, None, starts, max_speed=1e-3, iters=3, dedup=1e-2)
    out["slow_valley"] = {"points": len(sp.points), **_line(model, sp)}
    out.update(_line(model, fp))
    return out


def _line(model, fp) -> dict:
    """Do the points lie along a line? PCA share, readout alignment, eigenvalues near 1."""
    out = {}
    if len(fp.points):
        out["near_one_median"] = float(np.median(fp.near_one))
        out["top_abs_eigenvalue_median"] = round(float(np.median(np.abs(fp.eigenvalues[:, 0]))), 4)
    if len(fp.points) >= 3:
        centred = fp.points - fp.points.mean(axis=0)
        _, sv, vt = np.linalg.svd(centred, full_matrices=False)
        var = sv**2
        out["pc1_share"] = round(float(var[0] / var.sum()), 3)
        out["pc2_share"] = round(float(var[1] / var.sum()), 3)
        W = model.params["W_hy"].astype(np.float64)
        readout = W[:, 1] - W[:, 0]
        out["pc1_cos_readout"] = round(float(abs(vt[0] @ readout) / np.linalg.norm(readout)), 3)
        # the slow direction at each point against the line the points lie on
        out["slow_dir_cos_pc1_median"] = round(
            float(np.median(np.abs(fp.slow_direction @ vt[0]))), 3
        )
        proj = centred @ vt[0]
        out["pc1_extent"] = round(float(proj.max() - proj.min()), 3)
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--starts", type=int, default=64, help="starts for the 64-unit timing")
    ap.add_argument("--sentiment-starts", type=int, default=256)
    ap.add_argument("--skip-sentiment", action="store_true")
    args = ap.parse_args(argv)
    summary = {"timing_64": [_time_64(c, args.starts) for c in ("gru", "rnn", "lstm")]}
    if not args.skip_sentiment:
        summary["sentiment_gru"] = _sentiment(args.sentiment_starts)
    print(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":
    main()
