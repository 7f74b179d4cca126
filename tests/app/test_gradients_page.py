"""The gradient lab through AppTest: every view on the session's model, every experiment."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, ROOT, no_exceptions, open_page, titled
from tests.plotly_spec import decode
from ui.services.experiments import EXPERIMENTS

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
        if runs["no clipping"].state == "diverged" and runs["norm-clipped at 1"].steps > 60:
            break
        at.run()
    at.run()  # the page draws what the last slice did
    runs = at.session_state["lab"]["runs"]
    assert runs["no clipping"].state == "diverged"
    assert runs["norm-clipped at 1"].state in ("running", "done")
    assert any("diverged" in e.value for e in at.error)


def test_an_unknown_experiment_in_the_link_is_explained():
    at = open_lab(experiment="nope")
    assert any("does not have" in i.value for i in at.info)
    assert "lab" not in at.session_state


def test_one_sequence_puts_its_tokens_on_the_axis():
    at = open_lab()
    at.segmented_control(key="measure").set_value("one sequence").run()
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


def finish(at: AppTest, tries: int = 200) -> AppTest:
    """Run the page until every run of its experiment has stopped, then once more (the page
    draws what the last slice did)."""
    for _ in range(tries):
        if all(r.state != "running" for r in at.session_state["lab"]["runs"].values()):
            break
        at.run()
    else:
        raise AssertionError("the experiment did not finish")
    at.run()
    no_exceptions(at)
    return at


def section_verdict(at: AppTest) -> str:
    """Section 1's verdict: the markdown right after the "Measure on" chart's column."""
    said = [m.value for m in at.markdown]
    verdicts = [v for v in said if v.startswith(("**", "Not enough"))]
    return verdicts[-1]


def test_the_exploding_experiment_shows_the_explosion():
    """Issue 13, item 7: the exploding experiment's charts were empty and its verdicts said
    "Vanishing ×0.00" and "Not enough finite values". Now the test loss climbs on the chart,
    the gradient through time is drawn, and every verdict says exploding."""
    at = finish(open_lab(experiment="exploding"))
    (run,) = at.session_state["lab"]["runs"].values()
    assert run.state == "diverged"
    (test,) = titled(at, "Test loss")
    y = decode(test["data"][0]["y"])
    finite = y[np.isfinite(y)]
    assert finite.size >= 10  # the climb, not one point
    assert finite.max() / finite.min() > 1e20 and finite[-1] == finite.max()
    assert "markers" in test["data"][0]["mode"]
    (flow,) = titled(at, "Gradient reaching each step")
    drawn = decode(flow["data"][0]["y"])
    assert np.isfinite(drawn).sum() >= 10  # step 3's curve, before the blow-up
    lines = [m.value for m in at.markdown if m.value.startswith("RNN, ρ = 1.5")]
    assert len(lines) == 1 and "**Exploding**" in lines[0] and "step 3" in lines[0]
    said = " ".join(m.value for m in at.markdown)
    assert "Vanishing" not in said and "Not enough finite" not in said
    assert section_verdict(at).startswith("**Exploding**")


def test_measure_on_comes_from_the_link():
    """Issue 13, item 9: "Measure on" is in the link (?measure=one+sequence)."""
    at = open_lab(measure="one sequence")
    assert titled(at, "first test sequence") and not titled(at, "test sequences (mean)")
    assert at.segmented_control(key="measure").value == "one sequence"
    assert not at.info


def test_a_bad_measure_in_the_link_falls_back_with_a_note():
    at = open_lab(measure="everything")
    assert any("“Measure on”" in i.value for i in at.info)  # not silently ignored
    assert at.segmented_control(key="measure").value == "batch"
    assert titled(at, "test sequences (mean)")


def test_the_run_to_inspect_comes_from_the_link():
    """?inspect=LSTM: the sections below measure the LSTM (its gate blocks in the eigenvalue
    plane, no vanilla-RNN bound), not the first run."""
    at = open_lab(experiment="gates", inspect="LSTM")
    (eigs,) = titled(at, "Eigenvalues")
    names = {t.get("name", "") for t in eigs["data"]}
    assert any("forget f" in n for n in names), names
    assert any("Gated cells have no such simple bound" in m.value for m in at.markdown)
    assert at.segmented_control(key="inspect").value == "LSTM"
    assert not at.info[1:], [i.value for i in at.info]  # only "What to notice"


def test_the_run_to_inspect_redraws_every_section():
    """Picking a run changes what sections 1–2 measure (in the browser this needs a full
    rerun: tests/browser/test_gradients.py checks that)."""
    at = open_lab(experiment="gates")
    (eigs,) = titled(at, "Eigenvalues")
    assert not any("forget f" in t.get("name", "") for t in eigs["data"])
    at.segmented_control(key="inspect").set_value("LSTM").run()
    no_exceptions(at)
    (eigs,) = titled(at, "Eigenvalues")
    assert any("forget f" in t.get("name", "") for t in eigs["data"])


def test_a_bad_run_to_inspect_in_the_link_falls_back_with_a_note():
    at = open_lab(experiment="gates", inspect="Transformer")
    assert any("run to inspect is not one of" in i.value for i in at.info)
    assert at.segmented_control(key="inspect").value == "tanh RNN"
    assert any("σ_max(W_hh)" in m.value for m in at.markdown)  # the RNN's bound


def test_another_experiment_inspects_its_own_first_run_without_a_note():
    at = open_lab(experiment="gates", inspect="LSTM")
    (button,) = [b for b in at.button if b.label == "Clipping rescues it"]
    button.click().run()
    no_exceptions(at)
    assert at.segmented_control(key="inspect").value == "no clipping"
    assert not any("run to inspect" in i.value for i in at.info)


def test_an_experiments_runs_start_side_by_side_on_the_first_test_sequence():
    from rnn_core.tasks import load_task
    from ui.services.experiments import start_runs
    from ui.services.limits import Limits

    task = load_task("adding")
    exp = EXPERIMENTS["gates"]
    runs = start_runs(exp, task, Limits())
    assert list(runs) == list(exp.runs)
    first = task.data.test.inputs[0][task.data.test.mask[0]]
    for name, run in runs.items():
        assert run.state == "running" and run.keep_diverged_steps
        assert run.config.cell == exp.runs[name].cell
        np.testing.assert_array_equal(run.probe, first)


def test_a_rerun_on_the_same_model_takes_the_measurements_from_the_cache(monkeypatch):
    """Issue 16: every rerun recomputed sections 1–5 (two loss slices of 112 forward passes)
    although the model had not changed. Now a rerun, or a "Measure on" click, measures
    nothing again; a model that changed (an experiment training) is measured anew."""
    import ui.glue.lab_measures as cache
    import ui.services.experiments as experiments

    calls = []

    def counted(model, config, batch):
        calls.append(model.config.cell)
        return real(model, config, batch)

    turns = []

    def five_steps(runs):  # an experiment's turn, in steps: a timed turn on a loaded
        turns.append(len(runs))  # machine can end before its first step (CI saw it)
        for r in runs.values():
            if r.state == "running":
                r.advance(0.0, max_steps=5)
        return any(r.state == "running" for r in runs.values())

    real = cache.measure
    monkeypatch.setattr(cache, "measure", counted)
    monkeypatch.setattr(experiments, "train_turn", five_steps)
    at = open_lab(task="sentiment-tiny")
    calls.clear()  # the first run may or may not have found it (another test's entry)
    at.run()
    at.segmented_control(key="measure").set_value("one sequence").run()
    no_exceptions(at)
    assert titled(at, "first test sequence")
    assert calls == []
    lab_at = open_lab(experiment="gates")  # each run trains a slice: a new model to measure
    calls.clear()
    lab_at.run()
    no_exceptions(lab_at)
    assert turns == [3, 3]  # the first run's turn, then this one's
    assert calls == ["rnn"]


def test_experiment_runs_trace_their_probe_only_at_the_ends():
    """Issue 16: the lab draws no probe snapshots, yet its runs traced the probe every 10
    steps and cut their training chunks there. Now only the start and the end are traced;
    evaluations score 256 + 256 sequences (the trainer's default is 512 + 512)."""
    from dataclasses import replace

    from rnn_core.tasks import load_task
    from ui.services.experiments import EVAL_SIZE, lab_run
    from ui.services.limits import Limits

    task = load_task("adding")
    probe = task.data.test.inputs[0][task.data.test.mask[0]]
    config = replace(EXPERIMENTS["gates"].runs["tanh RNN"], steps=40)
    assert EXPERIMENTS["gates"].runs["GRU"].eval_size == EVAL_SIZE == 256
    run = lab_run(task, config, probe, Limits())
    run.start()
    while run.state == "running":
        run.advance(1.0)
    assert run.steps == 40
    assert [s.step for s in run.snapshots.items] == [0, 40]


# ----------------------------------------------------------------------------- predict, then run


def predict_and_run(at: AppTest, key: str, prediction: str | None) -> AppTest:
    """Pick ``prediction`` in experiment ``key``'s "What do you predict?" (None: leave it at
    "just run it"), then press the experiment's button."""
    if prediction is not None:
        at.radio(key=f"predict_{key}").set_value(prediction)
    (button,) = [b for b in at.button if b.key == f"exp_{key}"]
    button.click().run()
    no_exceptions(at)
    return at


def judged(at: AppTest) -> list:
    """The prediction's judgement on the page: the success/warning/info alerts that say
    "You predicted"."""
    alerts = [*at.success, *at.warning, *at.info]
    return [a for a in alerts if "You predicted" in a.value]


def expected(at: AppTest, prediction: str):
    """The judgement ui/views/lab_predict.py makes of the session's finished runs."""
    from ui.views.lab_predict import judge, run_measures

    lab = at.session_state["lab"]
    views = {name: run.view() for name, run in lab["runs"].items()}
    return judge(EXPERIMENTS[lab["key"]], prediction, run_measures(views))


def test_every_experiment_asks_what_you_predict_and_never_forces_it():
    at = open_lab()
    for key, exp in EXPERIMENTS.items():
        radio = at.radio(key=f"predict_{key}")
        assert radio.label == f"**{exp.title}** · {exp.question.ask}"
        assert radio.options == [c.label for c in exp.question.choices] + ["just run it"]
        assert radio.value == "just run it"  # the default: no prediction
    assert len({r.label for r in at.radio}) == len(EXPERIMENTS)  # each says which it is
    assert not any(k.startswith("predict") for k in at.query_params)  # not in the link


@pytest.mark.parametrize(("prediction", "kind"), [("explode", "right"), ("vanish", "wrong")])
def test_a_prediction_is_judged_from_the_runs_and_points_at_the_chart(prediction, kind):
    """The exploding run blows up: "explode" is right, "vanish" wrong — the text the page
    shows is the judgement of the runs' measures, and the chart it names is on the page."""
    from ui.views.lab_frame import FLOW_RUNS_TITLE

    at = finish(predict_and_run(open_lab(), "exploding", prediction))
    want = expected(at, prediction)
    assert want.kind == kind
    (alert,) = judged(at)
    assert alert.value == want.body
    assert alert.icon == (":material/check_circle:" if kind == "right" else ":material/cancel:")
    assert list(at.success if kind == "right" else at.warning) == [alert]
    assert f"You predicted *{prediction}*" in alert.value and "NaN guard" in alert.value
    assert FLOW_RUNS_TITLE in alert.value and titled(at, FLOW_RUNS_TITLE)
    at.run()  # a rerun keeps it
    assert [a.value for a in judged(at)] == [want.body]


def test_which_cell_wins_is_judged_from_the_test_losses(monkeypatch):
    """The gates question, on runs cut to 80 steps (the full experiment takes 500): while the
    runs train the prediction waits; at the end the judgement is the one the test losses
    give, whichever cell that is."""
    from dataclasses import replace

    from ui.views.charts_lab import TEST_LOSS_TITLE

    exp = EXPERIMENTS["gates"]
    short = replace(exp, runs={n: replace(c, steps=80) for n, c in exp.runs.items()}, steps=80)
    monkeypatch.setitem(EXPERIMENTS, "gates", short)
    at = predict_and_run(open_lab(), "gates", "LSTM")
    assert at.session_state["lab"]["prediction"] == "LSTM"
    assert not judged(at)
    waiting = [c.value for c in at.caption if "verdict comes when the runs end" in c.value]
    assert waiting and "*LSTM*" in waiting[0]
    finish(at)
    losses = {
        n: r.view().evals["test_loss"][-1] for n, r in at.session_state["lab"]["runs"].items()
    }
    best = min(losses, key=losses.get)
    (alert,) = judged(at)
    assert alert.value == expected(at, "LSTM").body
    assert f"*{best}* reached the lowest test MSE" in alert.value
    assert alert.value.startswith("**Right.**" if best == "LSTM" else "**Not this time.**")
    assert TEST_LOSS_TITLE in alert.value and titled(at, TEST_LOSS_TITLE)
    assert not any("verdict comes" in c.value for c in at.caption)


def test_no_prediction_gives_no_judgement():
    at = finish(predict_and_run(open_lab(), "exploding", None))
    assert at.session_state["lab"]["prediction"] is None
    assert not judged(at) and not at.success and not at.warning
    assert not any("You predicted" in c.value for c in at.caption)
    linked = finish(open_lab(experiment="exploding"))  # a link runs it at once: no prediction
    assert not judged(linked)


def test_the_prediction_is_frozen_when_run_is_pressed():
    """Changing the choice after Run changes nothing; a new experiment drops the judgement."""
    at = predict_and_run(open_lab(), "exploding", "explode")
    at.radio(key="predict_exploding").set_value("stay level").run()
    finish(at)
    assert at.session_state["lab"]["prediction"] == "explode"
    (alert,) = judged(at)
    assert alert.value.startswith("**Right.** You predicted *explode*")
    at.radio(key="predict_exploding").set_value("vanish").run()
    assert [a.value for a in judged(at)] == [alert.value]
    predict_and_run(at, "vanishing", None)  # a new experiment, no prediction
    assert not judged(at)
