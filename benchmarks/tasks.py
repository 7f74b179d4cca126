"""Time-to-target of every built-in task's default config.

    python -m benchmarks.tasks                  # every task, seeds as each task needs
    python -m benchmarks.tasks sentiment chars  # some tasks
    python -m benchmarks.tasks --markdown       # a table for docs/DEVELOPING.md

Each task states a target (``task.goal``: a metric, a threshold and a time limit). This trains
the task's ``default_config`` from scratch with the bare Trainer, checking the goal at every
evaluation, and reports the wall-clock seconds of training (evaluations included) until the
first evaluation that meets it. Tasks whose target is about reliability across seeds
(sentiment-tiny: 10 of 10 seeds) run several TrainConfig seeds on the same data and report
how many met the goal and the median time.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from rnn_core.tasks import TASKS, load_task
from rnn_core.train import Trainer, evaluate

SEEDS = {"sentiment-tiny": 10}  # tasks whose target is stated over several seeds
SLACK = 1.5  # keep training up to this many times the goal's time limit, to report a miss


@dataclasses.dataclass
class Run:
    seed: int
    met: bool
    seconds: float  # to the goal, or the whole run if it was not met
    steps: int
    best: float  # best value of the goal metric seen (on the trainer's evaluation subset)
    full: float  # the goal metric on the whole split at the end


def time_to_goal(task, seed: int) -> Run:
    """Train ``task.default_config`` (with this seed) until its goal is met or time runs out."""
    goal = task.goal
    config = dataclasses.replace(task.default_config, seed=seed)
    trainer = Trainer(config, task.data)
    limit = SLACK * goal.seconds if goal.seconds else float("inf")
    better = max if goal.metric.endswith("acc") else min
    best, elapsed = None, 0.0
    while trainer.status == "ok" and elapsed < limit:
        start = time.perf_counter()
        metrics = trainer.step(config.eval_every)
        elapsed += time.perf_counter() - start
        evals = [m[goal.metric] for m in metrics if goal.metric in m]
        for value in evals:
            best = value if best is None else better(best, value)
            if goal.met(value):
                return Run(seed, True, elapsed, trainer.step_count, best, _full(trainer, goal))
    best = np.nan if best is None else best
    return Run(seed, False, elapsed, trainer.step_count, best, _full(trainer, goal))


def _full(trainer: Trainer, goal) -> float:
    """The goal's metric on the whole split (the trainer evaluates on a fixed subset)."""
    split_name, kind = goal.metric.split("_")
    split = getattr(trainer.data, split_name)
    loss, acc = evaluate(trainer.model, split, trainer.data.output == "many_to_many")
    return acc if kind == "acc" else loss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tasks", nargs="*", help=f"task names (default: all of {list(TASKS)})")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args(argv)
    threadpool_limits(1, user_api="blas")  # as the server and the tests run
    names = args.tasks or list(TASKS)
    rows = []
    for name in names:
        task = load_task(name)
        runs = [time_to_goal(task, seed) for seed in range(SEEDS.get(name, 1))]
        met = sum(r.met for r in runs)
        seconds = statistics.median(r.seconds for r in runs)
        in_time = task.goal.seconds is None or seconds <= task.goal.seconds
        verdict = "PASS" if met == len(runs) and in_time else "MISS"
        full = ", ".join(f"{r.full:.4g}" for r in runs)
        rows.append((name, task.target, f"{met}/{len(runs)}", f"{seconds:.2f}", full, verdict))
        print(
            f"  {name}: {verdict} ({met}/{len(runs)} met, median {seconds:.2f} s)", file=sys.stderr
        )
    header = ("task", "target", "seeds met", "median s to target", "metric, whole split", "result")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + " --- |" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
