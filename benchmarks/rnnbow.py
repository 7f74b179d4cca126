"""Server time of the Dynamics lab's "Where the gradient comes from" (RNNbow) on the chars task.

    python -m benchmarks.rnnbow            # the shipped chars default model, 9 repeats
    python -m benchmarks.rnnbow --quick    # an untrained model of the same size, 2 repeats

What the section computes when it is not cached (ui/glue/dynamics_rnnbow.py): the split
(``rnnbow_split``, every output step a source, on a float64 copy), the projections onto the
total, and the chart built and serialised to JSON (what Streamlit sends). Three sequences:
the task's example sentence as the page reads it by default (33 steps: every character but
the last, scored on the next), test sequence 0 (64 steps) and a 200-character sentence
(Explore's longest: 199 steps, drawn as 64 grouped bands). The split grows with S·T, so the
last is by far the slowest; each result is then kept with the session's model until its
weights change. Times are wall clock, median and range; one BLAS thread, as the server runs.
The machine is shared: its load average is printed, and every number grows with it.

Measured on the project's 2-core Intel Xeon VM (2026-12-06, load average 3–8 from other
sessions' work, 9 repeats, the shipped chars GRU of 128 units): the example sentence's split
a median 20.8 ms (50.1 ms for the whole section's work), test sequence 0 73.6 ms (122 ms),
the 200-character sentence 1.07 s (range 0.68–2.0 s; 1.15 s in all). At load average 7 the
same medians were 55 ms, 189 ms and 2.3 s.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import plotly.io as pio

from benchmarks.machine import hardware, loadavg
from rnn_core.dynamics_grads import rnnbow_split
from rnn_core.model import RNNModel
from rnn_core.tasks import load_task
from rnn_core.tasks.defaults import load_shipped
from ui.views import rnnbow

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # optional: without it numpy's BLAS keeps its own thread count
    threadpool_limits = None

LONG = (
    "But soft, what light through yonder window breaks? It is the east, and Juliet is the "
    "sun. Arise, fair sun, and kill the envious moon, who is already sick and pale with "
    "grief, that thou her maid art far more fair than she."
)[:200]


def section(model, seq, targets, tokens, labels) -> tuple[float, float]:
    """(seconds of the split and projections, seconds of the whole section's work)."""
    t0 = time.perf_counter()
    bow = rnnbow_split(model, seq, targets)
    contrib = rnnbow.projections(bow.parts, bow.total)
    t1 = time.perf_counter()
    total = np.linalg.norm(bow.total, axis=1)
    fig = rnnbow.rnnbow_chart(contrib, bow.sources, total, tokens, labels)
    rnnbow.where_from_words(contrib, bow.sources, total, tokens, labels)
    pio.to_json(fig, validate=False, engine="orjson")
    return t1 - t0, time.perf_counter() - t0


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="untrained model, 2 repeats")
    ap.add_argument("--repeats", type=int, default=None)
    args = ap.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 9)
    built = load_task("chars")
    if args.quick:
        cfg = built.default_config.model_config(built.data)
        model = RNNModel.create(cfg, np.random.default_rng(0))
    else:
        model = load_shipped(built).model
    enc = built.encoder
    sequences = {}
    for name, text in (("example sentence", built.example), ("200-character sentence", LONG)):
        toks = enc.tokens(text)
        ids = enc.encode(toks)
        sequences[name] = (ids[:-1], ids[1:], toks[:-1], toks[1:])
    test = built.data.test
    real = test.mask[0]
    ids, tg = test.inputs[0][real], test.targets[0][real]
    sequences["test sequence 0"] = (ids, tg, enc.decode(ids), enc.decode(tg))
    print(f"{hardware()}; {loadavg()}; 1 BLAS thread")
    print(f"chars model: {model.config.cell.upper()}, {model.config.hidden_size} units")
    for name in ("example sentence", "test sequence 0", "200-character sentence"):
        seq, targets, tokens, labels = sequences[name]
        runs = [section(model, seq, targets, tokens, labels) for _ in range(repeats)]
        split = [r[0] * 1000 for r in runs]
        whole = [r[1] * 1000 for r in runs]
        print(
            f"{name} ({len(seq)} steps): split median {statistics.median(split):.1f} ms "
            f"(range {min(split):.1f}–{max(split):.1f}); whole section "
            f"{statistics.median(whole):.1f} ms"
        )


if __name__ == "__main__":
    if threadpool_limits is not None:
        with threadpool_limits(limits=1):
            main()
    else:
        main()
