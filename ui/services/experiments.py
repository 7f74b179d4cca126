"""The gradient lab's one-click experiments: configs, what to notice, the question a learner
may answer before pressing Run (:class:`Question`, judged from the measured runs by
``ui/views/lab_predict.py``), and the run class that keeps an explosion on record
(:func:`lab_run`, all of an experiment's: :func:`start_runs`). Pure (no streamlit).

Each runs on the adding problem at lag 50 (``rnn_core.tasks.memory``), where the documented
contrast holds on this machine: a tanh RNN never gets below the "recent number only" MSE of
≈ 0.083 (it sits at 0.14–0.17), while a GRU reaches ≤ 0.01 after 200–300 steps and an LSTM
after 350–400. Budgets are a few hundred steps, so each experiment ends within seconds to
about half a minute here, and can be shared as ``/gradients?experiment=<key>``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rnn_core.tasks.memory import ADDING_CONFIG, VANISHING_CONFIG
from rnn_core.train import TrainConfig
from ui.services.run import TrainingRun

EXPLODING_CONFIG = replace(
    VANISHING_CONFIG,
    spectral_radius=1.5,  # every recurrent step stretches the state and the gradient
    clip="none",
    optimizer="sgd",
    lr=0.1,  # measured: the gradient norm goes 40 → 309 → 58 744 …; NaN guard at step ~29
)
RESCUED_CONFIG = replace(EXPLODING_CONFIG, clip="norm", clip_value=1.0)


@dataclass(frozen=True)
class Choice:
    """One answer to an experiment's :class:`Question`."""

    label: str  # what the learner picks: a few words, a radio option
    outcome: object  # the measured outcome that makes it right (see Question.measure)
    because: str  # why that outcome happens, said when it did (whatever was predicted)


@dataclass(frozen=True)
class Question:
    """ "What do you predict?", asked before an experiment runs. Which choice is right is
    never written here: ``ui/views/lab_predict.py`` measures it from the finished runs, the
    numbers the verdicts use, so a run that surprises is judged by what it did."""

    ask: str  # the question, short: it is the label above the choices
    # what is measured, and what a Choice.outcome is then:
    #   "flow"      the gradient-flow verdict's kind of the experiment's (first) run, as its
    #               line under "Gradient reaching each step" says: "vanishing",
    #               "steady" or "exploding" (a run that blew up is exploding)
    #   "diverged"  the names of the runs that blew up (the NaN guard stopped them), a frozenset
    #   "best"      the name of the run with the lowest test loss at its last evaluation
    measure: str
    choices: tuple[Choice, ...]


MEASURES = ("flow", "diverged", "best")


def _flow_question(ask: str, explode_because: str) -> Question:
    return Question(
        ask,
        "flow",
        (
            Choice(
                "vanish",
                "vanishing",
                "each step back multiplies the gradient by the Jacobian ∂h_t/∂h_{t−1}; "
                "here its norm is below 1 (tanh's slope is at most 1 and saturated units pass "
                "almost nothing), so the product shrinks geometrically",
            ),
            Choice("explode", "exploding", explode_because),
            Choice(
                "stay level",
                "steady",
                "the Jacobians' norms stay near 1, so their product neither shrinks nor grows",
            ),
        ),
    )


@dataclass(frozen=True)
class Experiment:
    key: str
    title: str
    task: str
    # name -> config, trained side by side with one seed. The names are the "Run to inspect"
    # labels, which a link carries (?inspect=GRU): keep them short.
    runs: dict[str, TrainConfig]
    steps: int
    what: str  # the set-up, one sentence
    notice: str  # what to look for, for a newcomer
    question: Question | None = None  # asked before Run (None: no question)


# Each evaluation scores a fixed subset of EVAL_SIZE training and as many test sequences (the
# trainer's default is 512 of each). The test curves are the point of the experiments; on
# the gates experiment, 512 + 512 sequences every 25 steps were a quarter of its training
# time. 256 tell the same story (the final test MSE on 512 / 256 test sequences, measured
# with benchmarks/lab.py: RNN 0.170 / 0.159, GRU 0.0004 / 0.0005, LSTM 0.0029 / 0.0027).
EVAL_SIZE = 256


def _steps(config: TrainConfig, steps: int, eval_every: int = 25) -> TrainConfig:
    return replace(config, steps=steps, eval_every=eval_every, eval_size=EVAL_SIZE)


# An unclipped ρ = 1.5 run diverges at step 29: evaluated every 25 steps its test loss would
# be one point (3.7e33 at step 25), so these evaluate often enough to draw the climb
# (measured every 2 steps: 1.2, 180, 1.8e5, … 1.2e35 at step 26, inf at 28; an evaluation
# takes about 4 ms here).
EXPLODING_EVAL, CLIPPING_EVAL = 2, 5


EXPERIMENTS: dict[str, Experiment] = {
    e.key: e
    for e in (
        Experiment(
            "vanishing",
            "Vanishing",
            "adding",
            {"tanh RNN": _steps(VANISHING_CONFIG, 600)},
            600,
            "A vanilla tanh RNN on the adding problem: the first marked number comes 50+ steps "
            "before the answer is read.",
            "Watch the gradient flow: ‖∂L/∂h_t‖ falls by orders of magnitude from the last "
            "step back to the first, so the weights never learn to keep the first number. "
            "The test MSE stalls near 0.17 (always answering the average) or 0.08 (only the "
            "recent number): it never uses the early one.",
            _flow_question(
                "Back in time, the gradient will…",
                "each step back multiplies the gradient by a Jacobian whose norm is above 1, "
                "so the product grows geometrically",
            ),
        ),
        Experiment(
            "exploding",
            "Exploding",
            "adding",
            {"RNN, ρ = 1.5, no clipping": _steps(EXPLODING_CONFIG, 600, EXPLODING_EVAL)},
            600,
            "The same RNN with W_hh scaled to spectral radius 1.5, plain SGD and no clipping.",
            "The gradient norm (log scale) climbs by orders of magnitude within a few dozen "
            "steps, then the loss becomes inf: the NaN guard stops the run and returns the "
            "model to the last step that was still in line with the run (step 1: the steps "
            "after it were already blowing up). The cliff view shows why: the loss is a wall "
            "along the scale of W_hh.",
            _flow_question(
                "Back in time, the gradient will…",
                "W_hh with spectral radius 1.5 stretches the state and the gradient at every "
                "step: the product of the Jacobians grows until the loss overflows, and the "
                "NaN guard stops the run",
            ),
        ),
        Experiment(
            "clipping",
            "Clipping rescues it",
            "adding",
            {
                "no clipping": _steps(EXPLODING_CONFIG, 600, CLIPPING_EVAL),
                "norm-clipped at 1": _steps(RESCUED_CONFIG, 600, CLIPPING_EVAL),
            },
            600,
            "The exploding set-up twice: as it was, and with the gradient's global norm "
            "clipped to 1 (its direction kept).",
            "Same seed, same data, same huge gradients — but clipped steps (✕) stay small, so "
            "the clipped run keeps training while the other one dies. Clipping tames the "
            "explosion; it does not make the RNN remember further back.",
            Question(
                "Which run will blow up?",
                "diverged",
                (
                    Choice(
                        "both",
                        frozenset({"no clipping", "norm-clipped at 1"}),
                        "clipping at 1 bounds each step, but these steps still threw the "
                        "weights onto the cliff",
                    ),
                    Choice(
                        "the unclipped one",
                        frozenset({"no clipping"}),
                        "clipping rescales a step whose gradient norm is above 1 to length 1 "
                        "and keeps its direction, so the clipped run's steps stay small; the "
                        "unclipped steps grow with the gradient until the loss overflows",
                    ),
                    Choice(
                        "neither",
                        frozenset(),
                        "the gradients stayed small enough for plain SGD this time",
                    ),
                ),
            ),
        ),
        Experiment(
            "gates",
            "Gates help",
            "adding",
            {
                "tanh RNN": _steps(VANISHING_CONFIG, 500),
                "GRU": _steps(ADDING_CONFIG, 500),
                "LSTM": _steps(replace(ADDING_CONFIG, cell="lstm"), 500),
            },
            500,
            "The vanishing set-up with three cells, same seed, same data, same optimizer.",
            "The GRU's test MSE drops below 0.01 after ~200 steps, the LSTM's after ~400; the "
            "RNN's stays near 0.17. Gates give the gradient a path back in time whose factor "
            "per step is a gate the network learns to hold open. At the start all three "
            "vanish (gates half-open); the gap opens as the gates learn.",
            Question(
                "Which cell will reach the lowest test MSE?",
                "best",
                (
                    Choice(
                        "tanh RNN",
                        "tanh RNN",
                        "the gated cells did not learn to keep the first number in time",
                    ),
                    Choice(
                        "GRU",
                        "GRU",
                        "its update gate z can keep the state as it is (h′ = z ⊙ h + (1 − z) "
                        "⊙ n): the gradient flows back through z, which the GRU learns to hold "
                        "open, so it learns to keep the first number",
                    ),
                    Choice(
                        "LSTM",
                        "LSTM",
                        "its forget gate f carries the cell state along (c′ = f ⊙ c + i ⊙ g): "
                        "the gradient flows back through f, which the LSTM learns to hold "
                        "open, so it learns to keep the first number",
                    ),
                ),
            ),
        ),
    )
}


def lab_run(task, config: TrainConfig, probe, limits) -> TrainingRun:
    """One run of an experiment. A divergence returns the model as on the Train page (to its
    last sound step), but the record keeps the steps that blew up: the explosion is the
    thing to see here — the climbing loss and gradient norm, the gradient through time just
    before — and an experiment's run is never resumed. The lab draws no probe snapshots, so
    the probe is traced at the start and the end only (and the training chunks are not cut
    at every tenth step for it)."""
    return TrainingRun(
        task, config, probe, limits, keep_diverged_steps=True, snapshot_every=config.steps
    )


def start_runs(exp: Experiment, task, limits) -> dict[str, TrainingRun]:
    """Every run of ``exp`` on ``task`` (its :class:`~rnn_core.tasks.Task`), started side by
    side: name -> :func:`lab_run`, each probed on the task's first test sequence (its real
    steps)."""
    test = task.data.test
    probe = test.inputs[0][test.mask[0]]
    runs = {name: lab_run(task, cfg, probe, limits) for name, cfg in exp.runs.items()}
    for run in runs.values():
        run.start()
    return runs


TURN_SECONDS = 0.6  # training between two frames of an experiment, shared by its running runs
MIN_TURN = 0.15  # seconds: the shortest turn one run gets


def train_turn(runs: dict[str, TrainingRun]) -> bool:
    """One turn of an experiment between two frames: each running run trains for its share
    of ``TURN_SECONDS`` (at least ``MIN_TURN``), one after the other. Returns whether any run
    is still running."""
    active = [r for r in runs.values() if r.state == "running"]
    if active:
        turn = max(MIN_TURN, TURN_SECONDS / len(active))
        for r in active:
            r.advance(turn)
    return any(r.state == "running" for r in runs.values())
