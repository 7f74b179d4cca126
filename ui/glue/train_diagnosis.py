"""The Train page's diagnosis on screen: what went wrong in plain words (found by
``ui.views.diagnosis``), each cause with its one-click fixes, and what a fix does when
clicked (:func:`apply_fix`, the buttons' callback)."""

from __future__ import annotations

import streamlit as st

from ui.glue import exercise, state
from ui.services.run import TrainingRun
from ui.services.settings import snap
from ui.services.steering import fix_retune
from ui.views.diagnosis import Diagnosis


def apply_fix(changes: dict, continues: bool) -> None:
    """A one-click fix (TrainConfig field changes): set the widgets, on their grid. A fix
    that continues retunes the run and trains on at once; any other starts a fresh run
    with the new settings (Reset), which then trains."""
    values = {k: v for k, v in snap(changes).items() if not exercise.locked(k)}
    if not values and changes:
        return  # everything it would set is locked by the exercise link (its button is off)
    for key, value in values.items():
        state.seed(key, value, overwrite=True)
    state.TRAIN_FULL_RERUN.set(True)  # the settings column shows the new values
    run: TrainingRun | None = state.TRAIN_RUN.get()
    if run is None:
        return
    retune = fix_retune(run.config, values, continues)
    if retune is None:
        state.TRAIN_RUN.pop()  # a fresh run on the next rerun, started at once
        state.TRAIN_START.set(True)
        return
    run.retune(**retune)
    run.resume_after_divergence()
    run.start()


def show_diagnosis(d: Diagnosis) -> None:
    """What went wrong in plain words, each cause with its one-click fixes; when going on
    from here cannot work, say so and offer the reset that does."""
    (st.error if d.kind == "diverged" else st.warning)(d.headline)
    for i, cause in enumerate(d.causes):
        st.markdown(f"- {cause.why}")
        row = st.container(horizontal=True)
        for j, fix in enumerate(cause.fixes):
            verb = "the run continues from here" if fix.continues else "a fresh run starts"
            held = exercise.blocked(snap(fix.changes))
            row.button(
                f"🔒 {fix.label}" if held else fix.label,
                key=f"fix_{i}_{j}",
                on_click=apply_fix,
                args=(fix.changes, fix.continues),
                help=f"This exercise link locks {', '.join(held)}: this fix would change it."
                if held
                else f"{fix.label}: {verb}.",
                disabled=bool(held),
                width="content",
            )
    if d.cannot_continue:
        st.info(d.cannot_continue)
        st.button(
            d.reset.label,
            key="fix_reset",
            type="primary",
            on_click=apply_fix,
            args=(d.reset.changes, False),
            help="A fresh model with every fix above, trained from step 0"
            + (
                f" (except {', '.join(held)}: locked by this exercise link)."
                if (held := exercise.blocked(snap(d.reset.changes)))
                else "."
            ),
        )
