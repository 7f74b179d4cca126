"""Server time of the gradient lab: the "Gates help" experiment to the end, and the lab's
measurements of a model on a page rerun.

    python -m benchmarks.lab               # 5 experiments, 15 samples per measurement
    python -m benchmarks.lab --quick       # smoke test: one shortened experiment, 3 samples

1. Experiment (``/gradients?experiment=gates``): what the page's script runs do, in this
   process, with the calls the page makes — ``start_runs`` (the three runs: tanh RNN, GRU,
   LSTM on the adding problem), then frames until no run is running: each frame takes the
   runs' views (``TrainingRun.view``), builds the frame the page draws
   (``ui.views.lab_frame.experiment_frame``) and serialises its figures as
   ``st.plotly_chart`` does (``plotly.io.to_json``), holding the fair-share gate as the page
   does; then trains one turn (``ui.services.experiments.train_turn``). Then the rerun the
   page makes at the end: the measurements of the run inspected (the first) —
   ``ui.services.lab_measures.measure``, never cached at that point (a new model). Timed from
   ``start_runs`` to the last run's last step ("to 500/500") and to the measurements
   ("settled"). Not included: Streamlit's own work per script run (protobuf, websocket, its
   ``gc.collect`` after every run) and the browser's; the command line below the table says
   how to time it in Chromium. The test MSE each run ends at and the verdict on its last
   gradient through time are printed too: the experiment has to still show its contrast.
2. Measurements on a page rerun (sections 1–5 of the page): for the session's default model
   (the sentiment GRU, trained to its goal as the server trains it) and the experiment's
   three finished runs, the time a rerun spends on them — ``ui.glue.lab_measures.
   measurements``, a cache hit when the model has not changed — and, for comparison, the
   time to compute them (``measure``, what every rerun did before the cache; what the first
   view of a model still costs).

Times are the median and the interquartile range over the samples, in one process set up as
the server is (``configure_process``: one BLAS thread, the tuned malloc). The machine's load
average is printed with them: the machine is shared, and every number here grows with it.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import platform
import statistics
import time
from dataclasses import dataclass, replace

import numpy as np
import plotly.io as pio

from rnn_core import lab
from rnn_core.tasks import load_task, train_to_goal
from ui.services.experiments import EXPERIMENTS, Experiment, start_runs, train_turn
from ui.services.fairshare import shared_gate
from ui.services.lab_measures import measure
from ui.services.limits import Limits
from ui.services.runtime import configure_process
from ui.views.lab_frame import experiment_frame
from ui.views.lab_verdicts import trend_words

EXPERIMENT = "gates"
BATCH = 32  # the page's measurement batch (app_pages/gradients.py BATCH)
QUICK_STEPS = 60  # --quick: each run's budget, so a smoke run takes seconds


@dataclass
class ExperimentTimes:
    to_end: float  # start_runs -> every run stopped
    settled: float  # ... and the inspected run's measurements taken
    frames: int
    drawing: float  # seconds spent building and serialising frames
    ends: dict[str, str]  # run -> what it ended with (test MSE, gradient verdict)


def stats(seconds: list[float], unit: str = "ms") -> str:
    scale = 1000.0 if unit == "ms" else 1.0
    v = sorted(scale * s for s in seconds)
    q1, q3 = np.percentile(v, [25, 75])
    digits = 1 if unit == "ms" else 2
    return (
        f"median {statistics.median(v):.{digits}f} {unit}, IQR {q1:.{digits}f}–{q3:.{digits}f}, "
        f"min {v[0]:.{digits}f}, max {v[-1]:.{digits}f} (n={len(v)})"
    )


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_experiment(exp: Experiment, task, limits: Limits) -> ExperimentTimes:
    """The gates experiment from start to end, as the page's script runs do it."""
    classify = task.output_kind.startswith("class")
    chosen = next(iter(exp.runs))
    gate = shared_gate(limits.train_slots)
    frames, drawing = 0, 0.0
    t0 = time.perf_counter()
    runs = start_runs(exp, task, limits)
    while True:
        d0 = time.perf_counter()
        with gate.hold():
            views = {name: r.view() for name, r in runs.items()}
            frame = experiment_frame(views, classify, chosen)
            figs = [*frame.overlays.values(), frame.flow_runs, frame.flow_training]
            for fig in figs:
                if fig is not None:
                    pio.to_json(fig, validate=False)
        drawing += time.perf_counter() - d0
        frames += 1
        if not any(r.state == "running" for r in runs.values()) or not train_turn(runs):
            break
    to_end = time.perf_counter() - t0
    subject = runs[chosen]
    model, config = subject.model_copy()
    measure(model, config, lab.measure_batch(task.data, BATCH))
    settled = time.perf_counter() - t0
    ends = {}
    for name, r in runs.items():
        v = r.view()
        mse = v.evals["test_loss"][-1] if len(v.evals["step"]) else float("nan")
        summary = lab.growth_summary(v.dh[-1]) if len(v.dh) else None
        said = trend_words(summary) if summary else "no gradient yet"
        ends[name] = f"{v.steps}/{v.budget} steps, test MSE {mse:.4f}; gradient: {said}"
    return ExperimentTimes(to_end, settled, frames, drawing, ends)


def measured_models(task, runs_models, quick: bool):
    """(name, model, config, task) for the session's default model and the runs' models."""
    sentiment = load_task("sentiment")
    if quick:
        config = replace(sentiment.default_config, steps=20, eval_every=20)
    else:
        config = sentiment.default_config
    trainer = train_to_goal(sentiment, config)
    out = [("sentiment default (GRU)", trainer.model, trainer.config, sentiment)]
    out += [(f"gates: {name}", m, c, task) for name, (m, c) in runs_models.items()]
    return out


def time_measurements(models, samples: int) -> list[tuple[str, list[float], list[float]]]:
    """Per model: (name, rerun times through the page's cache, times to compute them)."""
    import streamlit.runtime.caching.cache_data_api as cache_data_api

    # outside a server st.cache_data keeps its entries in memory, as a server does, and says so
    logging.getLogger(cache_data_api.__name__).setLevel(logging.ERROR)
    from ui.glue.lab_measures import measurements  # the page's call (st.cache_data)

    rows = []
    for name, model, config, built in models:
        batch = lab.measure_batch(built.data, BATCH)
        cold = []
        for _ in range(samples):
            t0 = time.perf_counter()
            measure(model, config, batch)
            cold.append(time.perf_counter() - t0)
        measurements(model, config, batch)  # the model's first view fills the cache
        rerun = []
        for _ in range(samples):
            t0 = time.perf_counter()
            measurements(model, config, batch)
            rerun.append(time.perf_counter() - t0)
        rows.append((name, rerun, cold))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: short and few")
    parser.add_argument("--experiments", type=int, default=None, help="repeats of part 1 (5)")
    parser.add_argument("--samples", type=int, default=None, help="samples in part 2 (15)")
    args = parser.parse_args(argv)
    repeats = args.experiments or (1 if args.quick else 5)
    samples = args.samples or (3 if args.quick else 15)
    configure_process()  # one BLAS thread and the tuned malloc, as the server runs

    print(
        f"gradient lab benchmark, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"numpy {np.__version__}, 1 BLAS thread"
    )
    exp = EXPERIMENTS[EXPERIMENT]
    if args.quick:
        exp = replace(
            exp,
            runs={n: replace(c, steps=QUICK_STEPS) for n, c in exp.runs.items()},
            steps=QUICK_STEPS,
        )
    task = load_task(exp.task)
    limits = Limits()
    budget = next(iter(exp.runs.values())).steps
    print(f"\n1. /gradients?experiment={EXPERIMENT}: {len(exp.runs)} runs of {budget} steps")
    print(f"   before: {load()}")
    results = [run_experiment(exp, task, limits) for _ in range(repeats)]
    print(f"   after:  {load()}")
    print(f"   to {budget}/{budget} (all runs): {stats([r.to_end for r in results], 's')}")
    print(f"   + the end's measurements:     {stats([r.settled for r in results], 's')}")
    frames = statistics.median(r.frames for r in results)
    drawing = statistics.median(r.drawing for r in results)
    print(f"   frames {frames:.0f}, drawing {drawing:.2f} s of it (medians)")
    for name, said in results[-1].ends.items():
        print(f"   {name}: {said}")

    runs = start_runs(exp, task, limits)  # the models the experiment ends with
    while train_turn(runs):
        pass
    models = measured_models(task, {n: r.model_copy() for n, r in runs.items()}, args.quick)
    print(f"\n2. measurements (sections 1–5) on a page rerun, batch of {BATCH}")
    print(f"   before: {load()}")
    rows = time_measurements(models, samples)
    print(f"   after:  {load()}")
    width = max(len(name) for name, _, _ in rows)
    for name, rerun, cold in rows:
        print(f"   {name:<{width}}  rerun {stats(rerun)}")
        print(f"   {'':<{width}}  first view (computed) {stats(cold)}")
    print(
        "\nIn Chromium (the whole page, Streamlit and the browser included): open "
        f"/gradients?experiment={EXPERIMENT} and time until the progress reads "
        f"{budget}/{budget} three times (tests/browser/test_gradients.py waits the same way)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
