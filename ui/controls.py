"""Widgets shared by pages, bound to the URL (ARCHITECTURE.md §3) and checked on the way in.

A bound widget ignores a URL value it cannot take (Streamlit drops it); these helpers look at
the URL first so the page can say that it fell back to the default, without echoing the
value itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math

import streamlit as st
from streamlit.errors import StreamlitAPIException

from ui.state import available_tasks, current_task, get_task, set_current_task


def task_picker(key: str = "task", on_change=None) -> str:
    """A select box of the built-in tasks (URL key ``task``); sets the session's current task.

    The options are the task names themselves: a bound widget's URL value is its displayed
    option, and links say ``task=sentiment``."""
    names = available_tasks()
    asked = st.query_params.get(key)
    if asked is not None and asked not in names:
        st.info(
            f"The link asked for a task this app does not have; showing "
            f"*{get_task(names[0]).title}* instead. Tasks: {', '.join(names)}."
        )
    if key not in st.session_state and key not in st.query_params:
        st.session_state[key] = current_task()  # pages agree on the task
    name = st.selectbox(
        "Task",
        names,
        index=0,
        key=key,
        bind="query-params",
        on_change=on_change,
        help="Which built-in task the network was trained on. Each task has its own model.",
    )
    if name != current_task():
        set_current_task(name)
    return name


# ----------------------------------------------------------------------------- training settings

# URL key -> TrainConfig field. The keys of ARCHITECTURE.md §3 (task, cell, hidden, lr,
# optimizer, clip, init_scale, seed, sentence) and the rest of the run's settings.
TRAIN_KEYS = {
    "cell": "cell",
    "activation": "activation",
    "hidden": "hidden_size",
    "layers": "num_layers",
    "input": "input_kind",
    "embed_size": "embed_size",  # not "embed": Streamlit reserves that URL key
    "init": "init",
    "init_scale": "spectral_radius",
    "optimizer": "optimizer",
    "lr": "lr",
    "batch": "batch_size",
    "clip": "clip",
    "clip_value": "clip_value",
    "truncate": "truncate",
    "steps": "steps",
    "seed": "seed",
}
# Settings that may change while a run is paused (the optimizer state is kept).
LIVE_KEYS = ("lr", "batch", "clip", "clip_value", "truncate", "steps")
LR_GRID = tuple(m * 10.0**e for e in range(-5, 3) for m in (1, 2, 5))  # 1e-5 … 500
BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
RADII = ("off", "0.25", "0.5", "0.8", "0.9", "1.0", "1.1", "1.25", "1.5", "2.0", "3.0")
TRUNCATIONS = ("full", "1", "2", "3", "5", "10", "20", "50")


def _lr_label(v: float) -> str:
    return f"{v:g}"


LR_LABELS = tuple(_lr_label(v) for v in LR_GRID)


def widget_values(config) -> dict[str, object]:
    """What each training widget shows for a config (the inverse of :func:`read_settings`)."""
    lr = min(LR_GRID, key=lambda v: abs(math.log(v) - math.log(config.lr)))
    batch = min(BATCHES, key=lambda b: abs(b - config.batch_size))
    radius = "off" if config.spectral_radius is None else f"{config.spectral_radius:g}"
    if radius not in RADII:
        radius = min(RADII[1:], key=lambda r: abs(float(r) - config.spectral_radius))
    truncate = "full" if config.truncate is None else str(config.truncate)
    if truncate not in TRUNCATIONS:
        truncate = "full"
    return {
        "cell": config.cell,
        "activation": config.activation,
        "hidden": int(config.hidden_size),
        "layers": int(config.num_layers),
        "input": config.input_kind,
        "embed_size": int(config.embed_size),
        "init": config.init,
        "init_scale": radius,
        "optimizer": config.optimizer,
        "lr": _lr_label(lr),
        "batch": batch,
        "clip": config.clip,
        "clip_value": float(config.clip_value),
        "truncate": truncate,
        "steps": int(config.steps),
        "seed": int(config.seed),
    }


CHOICES = {
    "cell": ("rnn", "gru", "lstm"),
    "activation": ("tanh", "relu"),
    "layers": ("1", "2"),
    "input": ("onehot", "embedding"),
    "init": ("xavier", "orthogonal", "identity", "small_random"),
    "init_scale": RADII,
    "optimizer": ("sgd", "momentum", "adam", "rmsprop"),
    "lr": LR_LABELS,
    "batch": tuple(str(b) for b in BATCHES),
    "clip": ("norm", "value", "none"),
    "truncate": TRUNCATIONS,
}


def numeric_ranges(limits) -> dict[str, tuple[type, float, float]]:
    return {
        "hidden": (int, 2, limits.max_hidden),
        "embed_size": (int, 2, 256),
        "clip_value": (float, 0.001, 1000.0),
        "steps": (int, 1, limits.max_steps),
        "seed": (int, 0, 2**31 - 1),
    }


def url_value_ok(key: str, raw: str, limits) -> bool:
    """Whether a URL value can be shown by its training widget."""
    if key in CHOICES:
        return raw in CHOICES[key]
    return url_number_ok(raw, *numeric_ranges(limits)[key])


def url_number_ok(raw: str, kind: type, lo: float, hi: float) -> bool:
    """Whether a URL value is a number a ``kind`` (int or float) number input from ``lo`` to
    ``hi`` can show."""
    try:
        value = float(raw)
    except ValueError:
        return False
    if not math.isfinite(value) or (kind is int and value != int(value)):
        return False
    return lo <= value <= hi


def url_bind(key: str, usable) -> dict:
    """The ``bind`` argument of a URL-bound number input: ``bind="query-params"``, unless the
    link's value for ``key`` fails ``usable(raw)``. Then the widget is left unbound on this
    run (it shows its session-state value) and the value is taken out of the URL: Streamlit
    1.67 does not just ignore every unusable value itself, an integer number input raises
    OverflowError on ``?hidden=inf`` or ``?seed=1e999``."""
    raw = st.query_params.get(key)
    if raw is None or usable(raw):
        return {"bind": "query-params"}
    with contextlib.suppress(KeyError, StreamlitAPIException):  # bound: Streamlit drops it
        del st.query_params[key]
    return {}


def seed_widgets(config, overwrite: bool = False, limits=None) -> list[str]:
    """Put a config's values into the training widgets' state. Keys the URL sets are left
    to the URL unless ``overwrite`` (a task change, "recommended settings", a one-click fix)
    or the URL's value is unusable (out of range, not an option): then the config's value is
    used and a note says so (without echoing the value). Returns the notes."""
    notes = []
    for key, value in widget_values(config).items():
        in_url = key in st.query_params
        bad = in_url and limits is not None and not url_value_ok(key, st.query_params[key], limits)
        if bad:
            notes.append(key)
        if overwrite or bad or (key not in st.session_state and not in_url):
            st.session_state[key] = value
    return notes


def read_settings(base, values: dict) -> object:
    """A TrainConfig from the widgets' values, on top of ``base`` (eval cadence, dtype…)."""
    radius = values["init_scale"]
    truncate = values["truncate"]
    return dataclasses.replace(
        base,
        cell=values["cell"],
        activation=values["activation"],
        hidden_size=int(values["hidden"]),
        num_layers=int(values["layers"]),
        input_kind=values["input"],
        embed_size=int(values["embed_size"]),
        init=values["init"],
        spectral_radius=None if radius in (None, "off") else float(radius),
        optimizer=values["optimizer"],
        lr=float(values["lr"]),
        batch_size=int(values["batch"]),
        clip=values["clip"],
        clip_value=float(values["clip_value"]),
        truncate=None if truncate in (None, "full") else int(truncate),
        steps=int(values["steps"]),
        seed=int(values["seed"]),
    )


def train_settings(task_obj, limits) -> dict:
    """The training widgets (URL-bound), grouped; returns their values keyed like TRAIN_KEYS."""
    bound = {"bind": "query-params"}
    dense = task_obj.encoder is None
    v = {}

    def number_bind(key: str) -> dict:
        return url_bind(key, lambda raw: url_value_ok(key, raw, limits))

    st.markdown("**Network**")
    v["cell"] = st.segmented_control(
        "Cell", ("rnn", "gru", "lstm"), key="cell", **bound, help="Vanilla RNN, GRU or LSTM."
    )
    v["activation"] = st.segmented_control(
        "Activation (RNN)",
        ("tanh", "relu"),
        key="activation",
        disabled=v["cell"] != "rnn",
        **bound,
        help="Only the vanilla RNN has a choice; gated cells use their own.",
    )
    c1, c2 = st.columns(2)
    v["hidden"] = c1.number_input(
        "Hidden units",
        min_value=2,
        max_value=limits.max_hidden,
        step=1,
        key="hidden",
        **number_bind("hidden"),
    )
    v["layers"] = c2.segmented_control("Layers", (1, 2), key="layers", **bound)
    v["input"] = st.segmented_control(
        "Input",
        ("onehot", "embedding"),
        key="input",
        disabled=dense,
        **bound,
        help="Tokens as one-hot vectors or as a learned embedding (numeric tasks read numbers).",
    )
    if v["input"] == "embedding" and not dense:
        v["embed_size"] = st.number_input(
            "Embedding size",
            min_value=2,
            max_value=256,
            step=1,
            key="embed_size",
            **number_bind("embed_size"),
        )
    else:
        v["embed_size"] = st.session_state.get("embed_size")
    c1, c2 = st.columns(2)
    v["init"] = c1.selectbox(
        "W_hh initialiser",
        ("xavier", "orthogonal", "identity", "small_random"),
        key="init",
        **bound,
        help="small_random is the tutorials' randn/1000: ρ(W_hh) ≈ 0.01, a dead recurrence.",
    )
    v["init_scale"] = c2.select_slider(
        "ρ(W_hh) at init",
        RADII,
        key="init_scale",
        **bound,
        help="Rescale every recurrent block so its largest |eigenvalue| is this. Above 1 "
        "gradients tend to explode; well below 1 they vanish.",
    )
    st.markdown("**Optimisation** — these apply from the next step, even mid-run")
    c1, c2 = st.columns(2)
    v["optimizer"] = c1.selectbox(
        "Optimizer", ("sgd", "momentum", "adam", "rmsprop"), key="optimizer", **bound
    )
    v["batch"] = c2.select_slider("Batch size", BATCHES, key="batch", **bound)
    v["lr"] = st.select_slider(
        "Learning rate (log scale)", LR_LABELS, key="lr", **bound, help="Steps of ×2 and ×2.5."
    )
    v["clip"] = st.segmented_control(
        "Clipping",
        ("norm", "value", "none"),
        key="clip",
        **bound,
        help="norm: rescale the whole gradient when its norm exceeds the threshold (keeps "
        "its direction). value: clip each element — an experiment, it turns the update. "
        "none: let it explode.",
    )
    v["clip_value"] = st.number_input(
        "Clipping threshold" if v["clip"] != "value" else "Per-element limit (experiment)",
        min_value=0.001,
        max_value=1000.0,
        format="%g",
        key="clip_value",
        disabled=v["clip"] == "none",
        **number_bind("clip_value"),
    )
    c1, c2 = st.columns(2)
    v["truncate"] = c1.select_slider(
        "BPTT truncation",
        TRUNCATIONS,
        key="truncate",
        **bound,
        help="full: backpropagate through the whole sequence; k: each loss reaches back k steps.",
    )
    v["steps"] = c2.number_input(
        "Step budget",
        min_value=1,
        max_value=limits.max_steps,
        step=100,
        key="steps",
        **number_bind("steps"),
    )
    v["seed"] = st.number_input(
        "Seed",
        min_value=0,
        max_value=2**31 - 1,
        step=1,
        key="seed",
        **number_bind("seed"),
        help="One seed for the initial weights and the order of the data.",
    )
    return v


# ----------------------------------------------------------------------------- compare (A / B)

COMPARE_KEYS = ("cell", "hidden", "optimizer", "lr", "clip", "clip_value", "init_scale", "truncate")


def compare_settings(side: str, limits) -> dict:
    """The settings that most often differ between two runs, keyed ``a_<key>`` / ``b_<key>``
    in the URL; returns {key: value} without the prefix."""
    bound = {"bind": "query-params"}
    k = f"{side}_"
    v = {}

    def number_bind(key: str) -> dict:
        return url_bind(k + key, lambda raw: url_value_ok(key, raw, limits))

    v["cell"] = st.segmented_control("Cell", CHOICES["cell"], key=k + "cell", **bound)
    c1, c2 = st.columns(2)
    v["hidden"] = c1.number_input(
        "Hidden units",
        min_value=2,
        max_value=limits.max_hidden,
        step=1,
        key=k + "hidden",
        **number_bind("hidden"),
    )
    v["optimizer"] = c2.selectbox("Optimizer", CHOICES["optimizer"], key=k + "optimizer", **bound)
    v["lr"] = st.select_slider("Learning rate", LR_LABELS, key=k + "lr", **bound)
    c1, c2 = st.columns(2)
    v["clip"] = c1.segmented_control("Clipping", CHOICES["clip"], key=k + "clip", **bound)
    v["clip_value"] = c2.number_input(
        "Threshold",
        min_value=0.001,
        max_value=1000.0,
        format="%g",
        key=k + "clip_value",
        **number_bind("clip_value"),
    )
    c1, c2 = st.columns(2)
    v["init_scale"] = c1.select_slider("ρ(W_hh) at init", RADII, key=k + "init_scale", **bound)
    v["truncate"] = c2.select_slider("BPTT truncation", TRUNCATIONS, key=k + "truncate", **bound)
    return v


def seed_compare(side: str, config, limits, overwrite: bool = False) -> list[str]:
    """Like :func:`seed_widgets` for one side of the comparison."""
    notes = []
    values = widget_values(config)
    for key in COMPARE_KEYS:
        full = f"{side}_{key}"
        in_url = full in st.query_params
        bad = in_url and not url_value_ok(key, st.query_params[full], limits)
        if bad:
            notes.append(full)
        if overwrite or bad or (full not in st.session_state and not in_url):
            st.session_state[full] = values[key]
    return notes


def config_from_compare(base, values: dict):
    """``base`` with one side's compare settings applied."""
    merged = {**widget_values(base), **{k: v for k, v in values.items() if v is not None}}
    return read_settings(base, merged)
