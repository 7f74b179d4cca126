"""The gradient lab through AppTest: every view on the session's model, every experiment."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, ROOT, no_exceptions, open_page, titled
from tests.plotly_spec import decode
from ui.experiments import EXPERIMENTS

LAB = str(ROOT / "app_pages" / "gradients.py")


def open_lab(**query) -> AppTest:
    return open_page("gradients", **query)


def test_the_router_serves_the_lab():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/gradients.py").run()
    no_exceptions(at)
    assert at.title[0].value == "Gradient lab"


def test_every_view_on_the_sessions_model():
    at = open_lab()
    for title in ("‖∂L/∂h_t‖", "Eigenvalues", "How far back", "three ways", "cliff"):
        assert titled(at, title), title
    said = " ".join(m.value for m in at.markdown)
    assert any(word in said for word in ("Vanishing", "Steady", "Exploding"))
    # the flow chart is the model's own batch profile
    (flow,) = titled(at, "‖∂L/∂h_t‖ on")
    y = decode(flow["data"][0]["y"])
    assert np.isfinite(y).any() and (y[np.isfinite(y)] >= 0).all()


def test_the_gradient_check_button_reports_every_parameter():
    at = open_lab(task="sentiment-tiny")
    (check,) = [b for b in at.button if b.label.startswith("Check the gradients")]
    check.click().run()
    no_exceptions(at)
    frame = at.dataframe[0].value
    assert len(frame) >= 4 and (frame.iloc[:, 3] < 1e-4).all()  # relative errors


@pytest.mark.parametrize("key", list(EXPERIMENTS))
def test_each_experiment_runs_and_shows_its_charts(key):
    at = open_lab(experiment=key)
    lab = at.session_state["lab"]
    assert lab["key"] == key and set(lab["runs"]) == set(EXPERIMENTS[key].runs)
    for _ in range(3):  # the live fragment trains a slice on every run
        at.run()
        no_exceptions(at)
    runs = at.session_state["lab"]["runs"]
    assert all(r.steps > 0 for r in runs.values())
    assert titled(at, "Test loss") and titled(at, "Gradient norm")
    assert titled(at, "over training")
    assert any(EXPERIMENTS[key].notice[:30] in i.value for i in at.info)


def test_exploding_diverges_and_clipping_rescues_it():
    at = open_lab(experiment="clipping")
    for _ in range(40):
        runs = at.session_state["lab"]["runs"]
        if runs["no clipping"].state == "diverged" and runs["global-norm clipping at 1"].steps > 60:
            break
        at.run()
    at.run()  # the page draws what the last slice did
    runs = at.session_state["lab"]["runs"]
    assert runs["no clipping"].state == "diverged"
    assert runs["global-norm clipping at 1"].state in ("running", "done")
    assert any("diverged" in e.value for e in at.error)


def test_an_unknown_experiment_in_the_link_is_explained():
    at = open_lab(experiment="nope")
    assert any("does not have" in i.value for i in at.info)
    assert "lab" not in at.session_state


def test_one_sequence_puts_its_tokens_on_the_axis():
    at = open_lab()
    at.segmented_control(key="flow_on").set_value("one sequence").run()
    no_exceptions(at)
    (flow,) = titled(at, "first test sequence")
    assert flow["layout"]["xaxis"].get("ticktext")  # the sequence's tokens label the steps


def test_the_train_pages_run_is_measured_with_its_history():
    from tests.app.test_train_page import button, open_train

    at = open_train(task="sentiment-tiny")
    for _ in range(3):
        button(at, "Step").click().run()
    run = at.session_state["run"]
    lab_at = AppTest.from_file(LAB, default_timeout=120)
    lab_at.session_state["run"] = run
    lab_at.session_state["models"] = at.session_state["models"]
    lab_at.session_state["current_task"] = "sentiment-tiny"
    lab_at.run()
    no_exceptions(lab_at)
    assert any("Train page's run" in c.value for c in lab_at.caption)
    assert titled(lab_at, "over training")
