"""The Explore page's figures, assembled from a model and its traces: which chart of
:mod:`ui.views.charts_explore` each view draws, with which arrays, unit order and titles.

Pure (no streamlit): the page draws what these return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from rnn_core import probes
from rnn_core.model import ModelConfig, RNNModel, Trace
from rnn_core.tasks import Task
from ui.views import analysis, charts_explore
from ui.views.explore_text import STATE_NAMES, short
from ui.views.inputs import Reading


def state_heatmaps(
    config: ModelConfig, trace: Trace, shown: str, order_key: str, tokens: Sequence[str]
) -> list[go.Figure]:
    """One heatmap per layer of the state ``shown`` ("h", "c" or a gate: a key of
    :func:`ui.views.analysis.state_views`), its rows in that layer's ``order_key`` unit order
    (one of ``probes.UNIT_ORDERS``), titled "Layer 2 · f · forget gate" (no layer for one)."""
    figs = []
    for layer in range(config.num_layers):
        values, zrange = analysis.state_views(config, trace, layer)[shown]
        order = probes.unit_order(trace.hs[layer], order_key)
        prefix = f"Layer {layer + 1} · " if config.num_layers > 1 else ""
        figs.append(
            charts_explore.hidden_heatmap(
                values,
                tokens,
                order=order,
                zrange=zrange,
                title=f"{prefix}{STATE_NAMES[shown]}",
                value_name=shown,
            )
        )
    return figs


def prediction_figure(task: Task, trace: Trace, reading: Reading) -> go.Figure:
    """The prediction as the model reads, by the task's output kind: class probabilities
    (many-to-one), the top-5 next tokens (one class per step), else the regression output
    against the truth."""
    tokens = reading.tokens
    if task.output_kind == "class_per_sequence":
        return charts_explore.prediction_lines(trace.probs, tokens, task.class_names)
    if task.output_kind == "class_per_step":
        return charts_explore.top_next_tokens(trace.probs, tokens, list(task.class_names), k=5)
    return charts_explore.regression_trace(trace.outputs[:, 0], reading.truth, tokens)


def state_map_figure(
    model: RNNModel,
    task: Task,
    state_map: analysis.StateMap,
    sentences: Sequence[tuple[Trace, Sequence[str]]],
) -> go.Figure:
    """The paths of one or two sentences ((trace, tokens) each) through the task's state map
    (the last layer's states on its two principal components), over where training sentences
    end and, where there is one, the readout's answer across the plane."""
    paths = [state_map.pca.transform(trace.hs[-1]) for trace, _ in sentences]
    ratio = state_map.pca.explained_variance_ratio
    ends = state_map.ends
    cloud = (ends, state_map.end_labels) if state_map.end_labels is not None else ends
    return charts_explore.trajectory(
        paths,
        [short(tokens) for _, tokens in sentences],
        [tokens for _, tokens in sentences],
        background=analysis.readout_background(model, state_map, paths),
        cloud=cloud,
        class_names=task.class_names,
        title="Path of the hidden state (PCA of the training states)",
        axis_titles=(
            f"PC 1 ({100 * ratio[0]:.0f}% of variance)",
            f"PC 2 ({100 * ratio[1]:.0f}% of variance)",
        ),
    )


@dataclass(frozen=True, eq=False)
class Comparison:
    """Two sentences side by side: their last layer's heatmaps in one unit order and one
    colour range, and the difference of their states token pair by token pair."""

    heatmaps: tuple[go.Figure, go.Figure]  # sentence A, sentence B
    difference: go.Figure
    gaps: int  # tokens only one sentence has (empty columns of the difference)


def comparison(
    config: ModelConfig,
    order_key: str,
    a: tuple[Trace, Sequence[str]],
    b: tuple[Trace, Sequence[str]],
) -> Comparison:
    """Sentences ``a`` and ``b`` ((trace, tokens) each) compared, rows in A's ``order_key``
    unit order, the tokens lined up by :func:`ui.views.analysis.align_tokens`."""
    (trace_a, tokens_a), (trace_b, tokens_b) = a, b
    order = probes.unit_order(trace_a.hs[-1], order_key)
    zrange = analysis.activation_range(config, trace_a)
    heatmaps = tuple(
        charts_explore.hidden_heatmap(
            trace.hs[-1], tokens, order=order, zrange=zrange, title=f"h_t · “{short(tokens)}”"
        )
        for trace, tokens in (a, b)
    )
    pairs = analysis.align_tokens(list(tokens_a), list(tokens_b))
    difference = charts_explore.state_difference(
        trace_a.hs[-1], trace_b.hs[-1], tokens_a, tokens_b, pairs=pairs, order=order
    )
    gaps = sum(i is None or j is None for i, j in pairs)
    return Comparison(heatmaps, difference, gaps)
