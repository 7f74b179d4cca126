"""Exercise links on screen: the link's ``lock=``/``hide=`` (parsed by
``ui/services/exercise.py``) applied to every control that has a URL key.

A locked control is drawn disabled, "🔒" in its label and its help saying why; a hidden one is
not drawn, and the value the link (or the default) gives it still applies. The first value a
locked control is drawn with is pinned for the session (``state.EXERCISE_PINS``): it is put
back before each draw, and ``state.seed`` / ``state.forget`` leave it alone, so no button, fix,
preset or upload can change it. The lock and hide lists are kept in session state and put
back into the URL when a page change dropped them, so they survive navigation and a reload.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import streamlit as st
from streamlit.errors import StreamlitAPIException

from ui.glue import state
from ui.services.exercise import HIDE, LOCK, Exercise, parse_exercise

LOCKED_HELP = "Locked by this exercise link: the link fixes this value."


def exercise() -> Exercise:
    """This session's exercise: the link's, when it names one; else the one kept from an
    earlier page of the session (put back into the URL)."""
    lock, hide = st.query_params.get_all(LOCK), st.query_params.get_all(HIDE)
    kept: Exercise | None = state.EXERCISE.get()
    if lock or hide:
        ex = parse_exercise(lock, hide)
        if ex != kept:
            state.EXERCISE.set(ex)
            pins = state.EXERCISE_PINS.get({})
            state.EXERCISE_PINS.set({k: v for k, v in pins.items() if ex.is_locked(k)})
        return ex
    if kept:  # a page change dropped them: the address (and a reload) keeps the exercise
        with contextlib.suppress(StreamlitAPIException):
            st.query_params.update(kept.query())
    return kept or Exercise()


def locked(key: str) -> bool:
    return exercise().is_locked(key)


def blocked(keys) -> list[str]:
    """Which of these URL keys the exercise locks (in the order given)."""
    ex = exercise()
    return [k for k in keys if ex.is_locked(k)]


def pinned(key: str):
    """The value a locked control keeps, or None before it was first drawn."""
    return state.EXERCISE_PINS.get({}).get(key)


def lockable(
    key: str,
    draw: Callable[..., object],
    label: str,
    help: str | None = None,
    from_link: Callable[[str], object] | None = None,
    **extra,
):
    """Draw the control ``key`` with ``draw(label, help=..., **extra)``, as the exercise has
    it: normally; locked (disabled, "🔒", its pinned value); or hidden (not drawn: its value
    is the pinned one, else the link's if ``from_link(raw)`` can use it, else what its state
    holds). Returns the control's value."""
    ex = exercise()
    if not ex.is_locked(key):
        return draw(label, help=help, **extra)
    pins = state.EXERCISE_PINS.get({})
    if ex.is_hidden(key):
        if key in pins:
            value = pins[key]
        else:
            raw = st.query_params.get(key)
            value = from_link(raw) if raw is not None and from_link is not None else None
            value = state.widget_value(key) if value is None else value
        state.hold(key, value)  # what the rest of the page reads
        _pin(key, value)
        return value
    if key in pins:
        state.hold(key, pins[key])  # whatever tried to change it, it is back
    tip = f"{help}\n\n{LOCKED_HELP}" if help else LOCKED_HELP
    value = draw(f"🔒 {label}", help=tip, **{**extra, "disabled": True})
    _pin(key, value)
    return value


def _pin(key: str, value) -> None:
    pins = state.EXERCISE_PINS.get({})
    if key not in pins and value is not None:
        state.EXERCISE_PINS.set({**pins, key: value})


def notes(where=st) -> None:
    """What the exercise locks and hides, and a note for names the link had that could not
    be used (drawn in ``where``)."""
    ex = exercise()
    if ex.note():
        where.info(ex.note())
    if ex.summary():
        where.caption(ex.summary())
