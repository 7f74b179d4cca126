"""A language model on the Train page, in words: what it writes at each snapshot, and its
target's metric (loss in nats per token and perplexity) as the headline.

Pure (no streamlit): the page hands in the run's snapshots (``ui.services.run.Snapshot``,
each with its ``sample``) and evaluations, and draws the HTML and markdown that come back.

    sample_rows(snapshots, chosen)              -> the snapshots to list, oldest first
    samples_html(rows, prime, chosen)           -> one <div>: the probe, a row per snapshot
    lm_headline(evals, task)                    -> "Test loss **1.921** nats/char …"
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import numpy as np

from rnn_core.tasks import Task
from ui.services.run import Snapshot

ROWS = 8  # samples listed at most: the first, the chosen one and evenly spaced between
PRIME_TAIL = 60  # characters of the prime shown (faint) above the samples
UNITS = {"char": "char", "word": "word"}
CHOSEN_COLOUR = "#E69F00"  # Okabe–Ito orange: the snapshot the slider shows, as on the charts


def sample_rows(snapshots: Sequence[Snapshot], chosen: int, rows: int = ROWS) -> list[Snapshot]:
    """The snapshots with a sample up to step ``chosen`` (the slider's), at most ``rows`` of
    them: always the first and the chosen one, the rest evenly spaced between, oldest first.
    So the list grows with the run, and dragging the slider back shows it as it was then."""
    have = [s for s in snapshots if s.sample is not None and s.step <= chosen]
    if len(have) <= rows:
        return have
    pick = np.unique(np.round(np.linspace(0, len(have) - 1, rows)).astype(int))
    return [have[i] for i in pick]


def _prime_tail(prime: str) -> str:
    """The end of the prime, "…" + at most PRIME_TAIL characters, cut after a space."""
    if len(prime) <= PRIME_TAIL:
        return prime
    tail = prime[-PRIME_TAIL:]
    space = tail.find(" ")
    return "…" + (tail[space + 1 :] if 0 <= space < len(tail) - 1 else tail)


def _text(text: str) -> str:
    """Escaped, with each line break shown as a faint "↵" on the same line (rows stay one
    sample each)."""
    return html.escape(text).replace("\n", '<span style="opacity:0.5">↵</span>')


def _row(label: str, body: str, attrs: str = "", style: str = "") -> str:
    return (
        f'<div{attrs} style="display:flex;gap:0.8em;padding:1px 6px;{style}">'
        f'<span style="flex:0 0 3.8em;text-align:right;opacity:0.65">{label}</span>'
        f'<span style="white-space:pre-wrap;overflow-wrap:anywhere">{body}</span></div>'
    )


def samples_html(rows: Sequence[Snapshot], prime: str, chosen: int) -> str:
    """One ``<div>`` (no newline characters): a faint first line "probe │ …its end" (the
    text every sample continues), then per snapshot in ``rows`` a line "step │ sample", the
    row at step ``chosen`` marked (an orange bar, bold) and carrying ``data-chosen``. Every
    sample's row has ``data-step`` with its step. Line breaks show as "↵"."""
    lines = [_row("probe", _text(_prime_tail(prime)), style="opacity:0.6;font-style:italic")]
    for snap in rows:
        mark = snap.step == chosen
        lines.append(
            _row(
                f"{snap.step:,}",
                _text(snap.sample or ""),
                f' data-step="{snap.step}"' + (" data-chosen" if mark else ""),
                "border-left:3px solid "
                + (
                    f"{CHOSEN_COLOUR};font-weight:600;background:rgba(128,128,128,0.12)"
                    if mark
                    else "transparent"
                ),
            )
        )
    style = (
        "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
        "font-size:0.78rem;line-height:1.55"
    )
    return f'<div class="rnnx-samples" style="{style}">{"".join(lines)}</div>'


def lm_headline(evals: Mapping[str, np.ndarray], task: Task) -> str:
    """A language model's latest test loss in nats per token and its perplexity, against the
    task's target, in one markdown line: "Test loss **1.921** nats/char (perplexity
    **6.83**) at step 300 — target ≤ 1.708 (perplexity 5.52): not met yet." Before the
    first evaluation, the target alone."""
    unit = "nats/" + UNITS.get(task.encoder.level if task.encoder else "", "token")
    goal = task.goal.threshold
    target = f"target ≤ {goal:.3f} {unit} (perplexity {math.exp(goal):.2f})"
    steps, tests = evals.get("step", ()), evals.get("test_loss", ())
    latest = float(tests[-1]) if len(tests) else math.nan
    if not math.isfinite(latest):
        return f"Test loss: measured at each evaluation — {target}."
    verdict = "**met**" if task.goal.met(latest) else "not met yet"
    with np.errstate(over="ignore"):
        ppl = float(np.exp(latest))
    return (
        f"Test loss **{latest:.3f}** {unit} (perplexity **{ppl:.2f}**) at step "
        f"{int(steps[-1]):,} — {target}: {verdict}."
    )
