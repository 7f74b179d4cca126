"""Explore's response time while many sessions train, with and without the fair-share gate.

    python -m benchmarks.fair_share [--sessions 10] [--reruns 15] [--seconds 20]

In this process, ``--sessions`` threads each train their own sentiment GRU (the hosted default
config, a different seed each) the way the Train page's live fragment does: a slice of
training (``TrainingRun.advance``), then a copy of the run for drawing (``view()``), then a
short pause for the browser's round trip. Meanwhile the main thread times Explore reruns
after a new sentence (the real page through AppTest, as ``benchmarks.explore_rerun``).

Three conditions: nobody training (baseline); every session training with as many gate slots
as sessions ("before": no effective gate, before ``fairshare``); the server's default of
one slot ("after"). Reports Explore's median and worst rerun, and each condition's training
steps/s per session (min / median / max: fairness) and in total.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import threading
import time

from threadpoolctl import threadpool_limits

from benchmarks.explore_rerun import model_for, sentences, time_reruns
from rnn_core.tasks import load_task
from ui.services.fairshare import FairGate
from ui.services.limits import Limits
from ui.services.run import TrainingRun

ROUND_TRIP = 0.05  # seconds a fragment waits between slices (redraw in the browser)


class Sessions:
    """``n`` training sessions in threads, sharing one gate of ``slots`` slots."""

    def __init__(self, n: int, slots: int):
        task = load_task("sentiment")
        self.gate = FairGate(slots)
        limits = Limits(max_steps=10**9, max_seconds=10**9)
        probe = task.encoder.encode(task.example)
        self.runs = []
        for seed in range(n):
            config = dataclasses.replace(task.default_config, steps=10**9, seed=seed)
            self.runs.append(TrainingRun(task, config, probe, limits, gate=self.gate))
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._session, args=(r,)) for r in self.runs]

    def _session(self, run: TrainingRun) -> None:
        run.start()
        while not self.stop.is_set():
            run.advance(0.2)
            run.view()
            time.sleep(ROUND_TRIP)

    def __enter__(self):
        self.t0 = time.perf_counter()
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for r in self.runs:
            r.pause()
        for t in self.threads:
            t.join()
        self.wall = time.perf_counter() - self.t0

    def rates(self) -> list[float]:
        return [r.steps / self.wall for r in self.runs]


def report(name: str, times: list[float], rates: list[float] | None) -> str:
    ms = sorted(1000 * t for t in times)
    line = f"{name:<34} Explore rerun median {statistics.median(ms):7.0f} ms, worst {ms[-1]:6.0f}"
    if rates:
        r = sorted(rates)
        line += (
            f" | steps/s per session min {r[0]:5.1f} median {statistics.median(r):5.1f} "
            f"max {r[-1]:5.1f}, total {sum(r):5.0f}"
        )
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--reruns", type=int, default=30)
    parser.add_argument("--slots", type=int, nargs="+", default=[1, 2], help="gate sizes")
    args = parser.parse_args(argv)
    threadpool_limits(1, user_api="blas")  # as the server runs
    sm = model_for(64)
    texts = sentences(20, args.reruns)
    time_reruns(sm, texts[:2], None)  # warm: imports, the PCA
    print(f"{args.sessions} sessions training the hosted sentiment default; 20-token sentences")
    print(report("nobody training", time_reruns(sm, texts, None), None))
    conditions = [(f"before: {args.sessions} slots (no gate)", args.sessions)]
    conditions += [(f"after: {n} slot(s) (RNNX_TRAIN_SLOTS={n})", n) for n in args.slots]
    for name, slots in conditions:
        with Sessions(args.sessions, slots) as sessions:
            time.sleep(1.0)  # every session under way
            times = time_reruns(sm, texts, None)
        print(report(name, times, sessions.rates()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
