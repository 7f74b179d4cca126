"""The Dynamics lab's section 3 through AppTest: the trio's memory beside its gradient horizon
(the numbers are the services'), your model joining on adding, its own chart on copy, the
gates' τ chosen by the URL, and a hostile link value falling back with a note.

The trio is trained for a few steps here (the plumbing, not the learning): the section reads
``memory_lab.STEPS`` and ``SNAPSHOT_EVERY`` when it is drawn."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_core.tasks import load_task
from tests.app.conftest import open_page, titled
from tests.app.test_hostile_urls import NASTY, assert_not_echoed, noted, short
from tests.plotly_spec import decode
from ui.services import memory_lab as M
from ui.views import memory_words as W

STEPS, EVERY = 12, 6
MEMORY = "Memory and gradient, against the lag"


@pytest.fixture(autouse=True)
def few_steps(monkeypatch):
    monkeypatch.setattr(M, "STEPS", STEPS)
    monkeypatch.setattr(M, "SNAPSHOT_EVERY", EVERY)


@pytest.fixture(scope="module")
def trio():
    """The same three models and measures, made here without the page."""
    return M.build_trio(STEPS, EVERY, task=load_task("adding"))


def lines(fig) -> dict[str, list]:
    """name -> [the score line's y, the gradient line's y]."""
    out: dict[str, list] = {}
    for tr in fig["data"]:
        out.setdefault(tr["name"], []).append(decode(tr["y"]))
    return out


def said(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_the_trio_and_your_adding_model_on_one_lag_axis(trio):
    at = open_page("dynamics", task="adding")
    assert "3 · How far back it remembers" in [s.value for s in at.subheader]
    (fig,) = titled(at, MEMORY)
    drawn = lines(fig)
    assert list(drawn) == ["tanh RNN", "GRU", "LSTM", "your model"]
    yours = M.measure_memory("your model", at.session_state["models"]["adding"].model)
    for name, m in (*trio.measures.items(), ("your model", yours)):
        score, gradient = drawn[name]
        np.testing.assert_allclose(score, m.curve.scores, rtol=1e-6)
        floor = np.where(m.gradient.ratios >= 1e-9, m.gradient.ratios, np.nan)
        np.testing.assert_allclose(gradient, floor, rtol=1e-6)
        assert W.memory_sentence(m) in said(at)
    shown = [*trio.measures.values(), yours]
    assert W.headline(shown, M.TRAIN_LAG) in said(at)
    # the τ charts: the GRU by default, its counts at every snapshot
    (heat,) = titled(at, "GRU: time constants over training")
    counts = M.tau_counts(trio.taus["GRU"].taus)
    np.testing.assert_array_equal(decode(heat["data"][0]["z"]), counts.T)
    assert list(decode(heat["data"][0]["x"])) == [0, 6, 12]
    assert titled(at, "GRU: time constants of its 32 units")
    assert "The tanh RNN has no gate" in " ".join(c.value for c in at.caption)


def test_a_task_without_memory_shows_the_trio_only():
    at = open_page("dynamics", task="sentiment")
    (fig,) = titled(at, MEMORY)
    assert list(lines(fig)) == ["tanh RNN", "GRU", "LSTM"]
    assert not titled(at, "Your copy model")


def test_your_copy_model_gets_a_recall_chart_of_its_own():
    at = open_page("dynamics", task="copy")
    (fig,) = titled(at, "Your copy model")
    model = at.session_state["models"]["copy"].model
    m = M.measure_memory("your model", model, "copy")
    (score, gradient) = lines(fig)["your model"]
    np.testing.assert_allclose(score, m.curve.scores, rtol=1e-6)
    floor = np.where(m.gradient.ratios >= 1e-9, m.gradient.ratios, np.nan)
    np.testing.assert_allclose(gradient, floor, rtol=1e-6)  # back from the first recall step
    assert gradient.size == 5 + max(M.COPY_LAGS) + 2
    assert fig["layout"]["yaxis"]["tickformat"] == ".0%"
    assert W.memory_sentence(m, 1 / (model.config.input_size - 4)) in said(at)
    (trio_fig,) = titled(at, MEMORY)
    assert "your model" not in lines(trio_fig)  # MSE and recall never share an axis


def test_the_link_picks_whose_time_constants():
    at = open_page("dynamics", mem_tau="LSTM")
    assert titled(at, "LSTM: time constants over training")
    assert not titled(at, "GRU: time constants")
    assert not noted(at, r"The link's value for (.*) cannot be used")
    assert "The LSTM's forget gate f:" in said(at)


@pytest.mark.parametrize("value", ["tanh RNN", "lstm", *NASTY[::3]], ids=short)
def test_a_hostile_link_value_falls_back_to_the_gru_with_a_note(value):
    at = open_page("dynamics", mem_tau=value)
    assert noted(at, r"The link's value for (.*) cannot be used") == {"mem_tau"}
    assert_not_echoed(at, value)
    assert titled(at, "GRU: time constants over training")
