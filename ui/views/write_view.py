"""Explore's "Write" for language models, as pure views: the written text coloured by the
probability the model gave each token (its top alternatives on hover), the words under it,
and the hidden-state heatmap of prime + written text with the prime marked.

No streamlit here: ``ui/glue/write_panel.py`` draws these. The numbers come from
:func:`rnn_core.tasks.text.generate` (a ``Generation``); the colours are the house magnitude
scale of :mod:`ui.views.html` (viridis: dark = the model thought it unlikely, yellow = sure),
written as ``background:rgb(…);color:#…`` so the session's palette recolours them like every
other HTML view (:func:`ui.views.palettes.recolour_html`).
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from rnn_core.model import ModelConfig, Trace
from rnn_core.tasks import Task
from rnn_core.tasks.text import Generation, detokenize
from ui.services.samples import is_language_model
from ui.views import explore_figures
from ui.views.html import rgb_array, text_colour, visible_token

LEGEND_STEPS = (0.05, 0.25, 0.5, 0.75, 0.95)  # the probabilities the legend shows

_PRIME = "color:inherit;opacity:0.75;text-decoration:underline dotted;text-underline-offset:3px"
_MONO = "ui-monospace,SFMono-Regular,Menlo,Consolas,monospace"


def writes(task: Task) -> bool:
    """Whether Explore offers Write for this task: a language model (chars, words)."""
    return is_language_model(task)


def _quoted(token: str) -> str:
    return f"‘{visible_token(token)}’"


def token_title(token: str, p: float, top: Sequence[str], top_p: Sequence[float]) -> str:
    """A written token's hover text (unescaped, with line breaks): its probability, then the
    model's top guesses at that step, the chosen one marked."""
    lines = [f"wrote {_quoted(token)}: p = {p:.3f}", "the model's top guesses:"]
    for alt, q in zip(top, top_p, strict=True):
        mark = " ◀" if alt == token else ""
        lines.append(f"  {_quoted(alt)} {q:.3f}{mark}")
    return "\n".join(lines)


def _attr(text: str) -> str:
    """Text for an HTML attribute on one line: escaped, line breaks as character references
    (the builders return one line, safe for st.markdown)."""
    return html.escape(text, quote=True).replace("\n", "&#10;")


def _content(token: str, level: str) -> tuple[str, str]:
    """(span content, what follows the span): characters keep their whitespace (pre-wrap), a
    line break is a visible "↵" then ``<br>``; words show whitespace tokens visibly."""
    if level == "word":
        return html.escape(visible_token(token), quote=True), ""
    if "\n" in token:
        n = token.count("\n")
        return html.escape(token.replace("\n", ""), quote=True) + "↵" * n, "<br>" * n
    if token and token.strip(" \t") == "":
        return html.escape(token, quote=True), ""
    return html.escape(visible_token(token), quote=True), ""


def _gaps(tokens: Sequence[str], level: str) -> list[str]:
    """What goes before each token: nothing for characters; for words a space where
    :func:`detokenize` puts one (none before closing punctuation, none after a bracket)."""
    if level == "char":
        return [""] * len(tokens)
    gaps = [""]
    for a, b in itertools.pairwise(tokens):
        gaps.append(" " if detokenize([a, b], "word") == f"{a} {b}" else "")
    return gaps[: len(tokens)]


def written_html(
    prime_tokens: Sequence[str],
    tokens: Sequence[str],
    probs,
    top_tokens: Sequence[Sequence[str]],
    top_probs,
    level: str,
) -> str:
    """The prime (plain, dotted underline) then the written tokens, each on a background
    coloured by the probability the model gave it (0…1 on the magnitude scale), its hover
    title naming that probability and the model's top guesses at that step.

    prime_tokens: P strings; tokens: n strings; probs: (n,); top_tokens: n lists of k strings;
    top_probs: (n, k). Each written token's span has ``class="rnnx-gen"`` and
    ``data-p`` (its probability, 6 decimals); the prime's tokens ``class="rnnx-prime"``.
    Returns one ``<div>`` without newline characters; every token is escaped."""
    if level not in ("word", "char"):
        raise ValueError(f"level must be 'word' or 'char'; got {level!r}")
    probs = np.asarray(probs, dtype=np.float64).reshape(-1)
    top_probs = np.asarray(top_probs, dtype=np.float64)
    if not len(tokens) == probs.shape[0] == len(top_tokens) == len(top_probs):
        raise ValueError("tokens, probs and top-k must have one entry per written token")
    everything = [*prime_tokens, *tokens]
    gaps = _gaps(everything, level)
    rgb = rgb_array(probs, 0.0, 1.0)
    parts = []
    for i, tok in enumerate(everything):
        parts.append(gaps[i])
        text, tail = _content(tok, level)
        if i < len(prime_tokens):
            parts.append(
                f'<span class="rnnx-prime" style="{_PRIME}" title="prime">{text}</span>{tail}'
            )
            continue
        j = i - len(prime_tokens)
        c = rgb[j]
        style = f"background:rgb({c[0]},{c[1]},{c[2]});color:{text_colour(c)}"
        if level == "word":
            style += ";padding:1px 3px;border-radius:3px"
        title = _attr(token_title(tok, probs[j], top_tokens[j], top_probs[j]))
        parts.append(
            f'<span class="rnnx-gen" data-p="{probs[j]:.6f}" style="{style}" '
            f'title="{title}">{text}</span>{tail}'
        )
    font = _MONO if level == "char" else "inherit"
    return (
        f'<div class="rnnx-written rnnx-{level}" style="line-height:1.9;font-family:{font};'
        f"white-space:pre-wrap;word-break:break-word;padding:0.5rem 0.75rem;"
        f'border:1px solid rgba(128,128,128,0.35);border-radius:6px">{"".join(parts)}</div>'
    )


def legend_html() -> str:
    """The colour key: a few probabilities on the scale the written tokens use."""
    rgb = rgb_array(np.array(LEGEND_STEPS), 0.0, 1.0)
    swatches = "".join(
        f'<span style="background:rgb({c[0]},{c[1]},{c[2]});color:{text_colour(c)};'
        f'padding:1px 6px;border-radius:3px;margin-right:2px">{p:g}</span>'
        for p, c in zip(LEGEND_STEPS, rgb, strict=True)
    )
    return (
        '<div class="rnnx-legend" style="font-size:0.85em;margin:0.25rem 0 0.5rem 0">'
        f"probability the model gave each token it wrote: {swatches}</div>"
    )


def written_words(gen: Generation, unit: str, seconds: float) -> str:
    """One or two sentences under the text: how much was written, how fast, and how sure the
    model was (its mean probability and the perplexity of what it wrote)."""
    n = len(gen.ids)
    if n == 0:
        return "Nothing written."
    logp = np.log(np.maximum(np.asarray(gen.probs, np.float64), 1e-300))
    perplexity = float(np.exp(-logp.mean()))
    top_share = float(np.mean(gen.ids == gen.top_ids[:, 0]))
    how = (
        "at temperature 0 (always its most probable token)"
        if gen.temperature <= 0
        else f"at temperature {gen.temperature:g}"
    )
    return (
        f"{n} {unit}{'s' if n != 1 else ''} written {how} in {seconds * 1000:.0f} ms. "
        f"The model gave them {np.mean(gen.probs):.2f} on average (perplexity "
        f"{perplexity:.2f}); {top_share:.0%} were its top guess. Hover a token for its "
        "alternatives."
    )


def write_heatmaps(
    config: ModelConfig,
    trace: Trace,
    shown: str,
    order_key: str,
    tokens: Sequence[str],
    prime_len: int,
) -> list[go.Figure]:
    """Explore's hidden-state heatmaps (:func:`explore_figures.state_heatmaps`) of prime +
    written text, titled as such, with a black dashed line where the prime ends (grey was lost
    among the heatmap's pale cells)."""
    figs = explore_figures.state_heatmaps(config, trace, shown, order_key, tokens)
    for fig in figs:
        fig.update_layout(title_text=f"Prime + written text · {fig.layout.title.text}")
        fig.add_vline(x=prime_len - 0.5, line_dash="dash", line_width=3, line_color="#111111")
    return figs
