"""Predict, then run (ui/views/lab_predict.py): a prediction judged against hand-made measures
of each outcome — right, wrong, none of the choices, still running, no prediction — and the
questions beside the experiments (ui/services/experiments.py) checked as data. Which choice
is right is computed from the measures: the same prediction is right with one set of
measures and wrong with another."""

from __future__ import annotations

import math

import pytest

from ui.services.experiments import EXPERIMENTS, MEASURES
from ui.views.charts_lab import TEST_LOSS_TITLE
from ui.views.lab_frame import FLOW_RUNS_TITLE, experiment_frame
from ui.views.lab_predict import RunMeasures, judge, predict_feedback, run_measures

VANISHING, EXPLODING = EXPERIMENTS["vanishing"], EXPERIMENTS["exploding"]
CLIPPING, GATES = EXPERIMENTS["clipping"], EXPERIMENTS["gates"]


def done(flow="vanishing", factor=0.5, test_loss=0.16, steps=600) -> RunMeasures:
    return RunMeasures("done", steps, flow, factor, test_loss)


def blew_up(factor=1.14, test_loss=math.inf) -> RunMeasures:
    return RunMeasures("diverged", 1, "exploding", factor, test_loss)


# ----------------------------------------------------------------------------- the flow questions


def test_a_right_prediction_on_the_flow_says_so_with_the_measured_rate_and_the_chart():
    said = predict_feedback(VANISHING, "vanish", {"tanh RNN": done(factor=0.5)})
    assert said.startswith("✅ **Right.** You predicted *vanish*: the gradient vanished (")
    assert "×0.50 per step back — after 10 steps only 0.098% of the signal is left" in said
    assert "**Why:** each step back multiplies the gradient by the Jacobian" in said
    assert said.endswith(f"See the chart “{FLOW_RUNS_TITLE}”.")


def test_a_wrong_prediction_on_the_flow_says_what_happened_and_why():
    said = predict_feedback(VANISHING, "stay level", {"tanh RNN": done(factor=0.5)})
    assert said.startswith("❌ **Not this time.** You predicted *stay level*, but the gradient ")
    assert "vanished (×0.50 per step back" in said
    assert "its norm is below 1" in said  # why it vanished, not why it would stay level
    assert FLOW_RUNS_TITLE in said


def test_the_flow_answer_follows_the_data_not_the_experiments_name():
    """A vanishing experiment whose run measured a level gradient: "stay level" is right."""
    level = {"tanh RNN": done(flow="steady", factor=1.0)}
    assert judge(VANISHING, "stay level", level).kind == "right"
    assert judge(VANISHING, "vanish", level).kind == "wrong"
    said = predict_feedback(VANISHING, "vanish", level)
    assert "but the gradient stayed level (×1.00 per step back" in said
    assert "norms stay near 1" in said


def test_a_run_that_blew_up_exploded_and_its_why_is_the_experiments_own():
    measures = {"RNN, ρ = 1.5, no clipping": blew_up(factor=1.14)}
    right = judge(EXPLODING, "explode", measures)
    assert right.kind == "right" and right.mark == "✅"
    assert "the run blew up, and the NaN guard stopped it" in right.body
    assert "(its last readable batch: ×1.14 per step back)" in right.body
    assert "spectral radius 1.5" in right.body
    wrong = judge(EXPLODING, "vanish", measures)
    assert wrong.kind == "wrong" and wrong.mark == "❌"
    assert wrong.body.startswith("**Not this time.** You predicted *vanish*, but the gradient")


def test_a_flow_the_run_could_not_measure_is_none_of_the_choices():
    measures = {"tanh RNN": done(flow="unknown", factor=math.nan)}
    said = judge(VANISHING, "vanish", measures)
    assert said.kind == "open" and said.mark == "❔"
    assert "**None of the choices happened.** You predicted *vanish*" in said.body
    assert "not enough finite gradient values" in said.body
    assert "✅" not in said.text and "❌" not in said.text


# ----------------------------------------------------------------------------- which run blows up


def test_only_the_unclipped_run_blowing_up_is_measured_from_the_runs_states():
    measures = {"no clipping": blew_up(), "norm-clipped at 1": done(test_loss=0.187)}
    right = predict_feedback(CLIPPING, "the unclipped one", measures)
    assert right.startswith("✅ **Right.**")
    assert "only *no clipping* blew up (the NaN guard stopped it)" in right
    assert "*norm-clipped at 1* trained 600 steps (test MSE 0.19)" in right
    assert right.endswith(f"See the chart “{TEST_LOSS_TITLE}”.")
    assert judge(CLIPPING, "both", measures).kind == "wrong"
    assert judge(CLIPPING, "neither", measures).kind == "wrong"


def test_both_runs_blowing_up_makes_both_right():
    measures = {"no clipping": blew_up(), "norm-clipped at 1": blew_up()}
    assert judge(CLIPPING, "both", measures).kind == "right"
    wrong = predict_feedback(CLIPPING, "the unclipped one", measures)
    assert "but every run blew up" in wrong


def test_only_the_clipped_run_blowing_up_is_none_of_the_choices():
    measures = {"no clipping": done(), "norm-clipped at 1": blew_up()}
    said = judge(CLIPPING, "neither", measures)
    assert said.kind == "open"
    assert "only *norm-clipped at 1* blew up" in said.body


# ----------------------------------------------------------------------------- which cell wins


def gates(rnn=0.16, gru=0.00045, lstm=0.0028) -> dict[str, RunMeasures]:
    return {
        "tanh RNN": done("vanishing", 0.46, rnn, 500),
        "GRU": done("steady", 0.99, gru, 500),
        "LSTM": done("steady", 0.98, lstm, 500),
    }


def test_the_cell_with_the_lowest_test_loss_wins():
    right = predict_feedback(GATES, "GRU", gates())
    assert right.startswith("✅ **Right.** You predicted *GRU*: *GRU* reached the lowest test MSE")
    assert "(last evaluation: GRU 0.00045, LSTM 0.0028, tanh RNN 0.16)" in right
    assert "GRU ×0.99, LSTM ×0.98, tanh RNN ×0.46" in right
    assert "update gate z" in right and TEST_LOSS_TITLE in right
    wrong = predict_feedback(GATES, "LSTM", gates())
    assert wrong.startswith("❌ **Not this time.** You predicted *LSTM*, but *GRU* reached")
    assert "forget gate" not in wrong  # the reason is the winner's


def test_a_seed_where_the_lstm_beats_the_gru_makes_lstm_right():
    surprise = gates(gru=0.01, lstm=0.001)
    assert judge(GATES, "LSTM", surprise).kind == "right"
    said = predict_feedback(GATES, "GRU", surprise)
    assert "but *LSTM* reached the lowest test MSE" in said and "forget gate f" in said


def test_a_run_that_blew_up_never_wins_and_no_finite_loss_settles_nothing():
    measures = gates()
    measures["GRU"] = blew_up()
    assert judge(GATES, "LSTM", measures).kind == "right"
    assert "GRU blew up" in predict_feedback(GATES, "LSTM", measures)
    nothing = {name: blew_up() for name in GATES.runs}
    assert judge(GATES, "GRU", nothing).kind == "open"


# ----------------------------------------------------------------------------- no judgement


@pytest.mark.parametrize("prediction", [None, "just run it", "maybe", ""])
def test_no_prediction_gets_no_judgement(prediction):
    said = judge(GATES, prediction, gates())
    assert (said.kind, said.text) == ("", "")
    assert predict_feedback(VANISHING, prediction, {"tanh RNN": done()}) == ""


def test_while_a_run_trains_the_prediction_waits():
    measures = gates()
    measures["LSTM"] = RunMeasures("running", 200, "steady", 0.98, 0.01)
    said = judge(GATES, "LSTM", measures)
    assert said.kind == "pending" and said.mark == "🔮"
    assert said.body == "You predicted *LSTM*. The verdict comes when the runs end."


# ----------------------------------------------------------------------------- the questions


@pytest.mark.parametrize("exp", list(EXPERIMENTS.values()), ids=list(EXPERIMENTS))
def test_every_experiment_asks_a_question_whose_choices_name_its_outcomes(exp):
    q = exp.question
    assert q is not None and q.ask and q.measure in MEASURES
    labels = [c.label for c in q.choices]
    outcomes = [c.outcome for c in q.choices]
    assert len(set(labels)) == len(labels) >= 2 and "just run it" not in labels
    assert len(set(outcomes)) == len(outcomes)
    assert all(c.because for c in q.choices)
    if q.measure == "flow":
        assert set(outcomes) == {"vanishing", "steady", "exploding"}
    elif q.measure == "diverged":
        assert all(isinstance(o, frozenset) and o <= set(exp.runs) for o in outcomes)
    else:
        assert set(outcomes) == set(exp.runs)


def test_the_measures_say_what_the_verdict_lines_under_the_flow_chart_say():
    """run_measures reads the runs as the lab's verdicts do: the kind it measures is the one
    each run's line under "Gradient reaching each step" says, on real runs of the vanishing
    and exploding experiments (cut to 30 steps: the vanishing one takes 600)."""
    from dataclasses import replace

    from rnn_core.tasks import load_task
    from ui.services.experiments import start_runs
    from ui.services.limits import Limits

    task = load_task("adding")
    kinds = {}
    for key in ("vanishing", "exploding"):
        exp = EXPERIMENTS[key]
        short = replace(exp, runs={n: replace(c, steps=30) for n, c in exp.runs.items()})
        runs = start_runs(short, task, Limits())
        while any(r.state == "running" for r in runs.values()):
            for r in runs.values():
                r.advance(0.5)
        views = {n: r.view() for n, r in runs.items()}
        measures = run_measures(views)
        frame = experiment_frame(views, False, next(iter(views)))
        for (name, m), line in zip(measures.items(), frame.flow_lines, strict=True):
            assert line.startswith(name) and f"**{m.flow.capitalize()}**" in line, line
            assert m.test_loss == views[name].evals["test_loss"][-1]
            kinds[key] = m.flow
    assert kinds == {"vanishing": "vanishing", "exploding": "exploding"}
