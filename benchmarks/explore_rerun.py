"""Server time per Explore rerun after typing a sentence.

    python -m benchmarks.explore_rerun [--runs 30] [--hidden 64] [--tokens 20]

Runs the real page (app.py -> pages/explore.py) through Streamlit's AppTest in this process,
with a sentiment GRU of the given hidden size as the session's model (trained for 200 steps),
then times reruns after a new sentence of ``--tokens`` tokens is set, as when a user types
and presses Enter. Each run is the whole script: encoding, the trace, every chart built and
serialised, saliency, the trajectory (the PCA is fitted once per model, before timing).
Reports the median and the spread; also the same reruns with a second sentence to compare.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest
from threadpoolctl import threadpool_limits

from rnn_core.tasks import load_task
from rnn_core.train import Trainer
from ui.glue.models import SessionModel, last_scores

APP = str(Path(__file__).resolve().parents[1] / "app.py")
# Words of the sentiment task's vocabulary, drawn at random: 20 tokens a sentence.
WORDS = [
    "the",
    "movie",
    "was",
    "not",
    "bad",
    "at",
    "all",
    "but",
    "the",
    "acting",
    "was",
    "terrible",
    "and",
    "boring",
    "before",
]


def sentences(n_tokens: int, runs: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, n_tokens)) for _ in range(runs)]


def model_for(hidden: int) -> SessionModel:
    task = load_task("sentiment")
    config = dataclasses.replace(task.default_config, hidden_size=hidden, steps=200)
    trainer = Trainer(config, task.data)
    trainer.step(200)
    return SessionModel(
        "sentiment", trainer.model, config, "trained here", 200, last_scores(trainer.history)
    )


def time_reruns(sm: SessionModel, texts: list[str], second: str | None) -> list[float]:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["models"] = {"sentiment": sm}
    at.query_params["task"] = "sentiment"
    if second:
        at.query_params["sentence_b"] = second
    at.run()  # warm: imports, the PCA of the training states, first figures
    assert not at.exception, at.exception
    times = []
    for text in texts:
        at.text_input(key="sentence").set_value(text)
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return times


def describe(name: str, times: list[float]) -> str:
    ms = sorted(1000 * t for t in times)
    q1, q3 = ms[len(ms) // 4], ms[(3 * len(ms)) // 4]
    return (
        f"{name:<32} median {statistics.median(ms):6.1f} ms   "
        f"IQR {q1:.1f}–{q3:.1f}   min {ms[0]:.1f}   max {ms[-1]:.1f}   (n={len(ms)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--tokens", type=int, default=20)
    args = parser.parse_args(argv)
    threadpool_limits(1, user_api="blas")  # as the server runs
    sm = model_for(args.hidden)
    texts = sentences(args.tokens, args.runs)
    print(f"Explore rerun, sentiment GRU H={args.hidden}, {args.tokens}-token sentences:")
    print(describe("one sentence", time_reruns(sm, texts, None)))
    second = sentences(args.tokens, 1, seed=1)[0]
    print(describe("with a second sentence", time_reruns(sm, texts, second)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
