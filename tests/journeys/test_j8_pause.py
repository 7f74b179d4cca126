"""Journey 8: Pause at a moment you choose. The step shown after the pause is the model's
step (the sidebar's), and it overshoots what was on screen at the click by at most about
half a second of training."""

from __future__ import annotations

import time

import pytest

from tests.journeys.conftest import (
    PAUSE,
    RESUME,
    START,
    button,
    no_exception,
    open_train,
    settle,
    sidebar_steps,
    steps_per_second,
    train_state,
    wait_progress,
)
from ui.limits import Limits
from ui.run import CHUNK_SECONDS

# One redraw's worth of training, as the page defines it: the longest slice between two
# frames plus the chunk that may run over it; ×1.3 for the progress text's steps/s being a
# running average (a frame may train a little faster than it)
SLACK_SECONDS = (Limits().slice_seconds + CHUNK_SECONDS) * 1.3


@pytest.fixture
def tab(open_page):
    return open_page()


def test_pause_stops_where_the_screen_was(tab, journey_server, shoot, note):
    page = tab
    open_train(page, journey_server.url, "steps=6000")
    button(page, START).click()
    wait_progress(page, lambda s: (s["step"] or 0) > 0, "training", 60)
    time.sleep(2.5)
    state = wait_progress(page, lambda s: steps_per_second(s["progress"]), "a steps/s figure", 30)
    rate = steps_per_second(state["progress"])
    shown = train_state(page)  # what is on screen right before the click
    clicked = time.perf_counter()
    # force: a person clicks at once; Playwright would otherwise wait for the button to be
    # "stable" while every redraw re-renders it (measured: the click landed ~2 s late)
    button(page, PAUSE).click(force=True)
    button(page, RESUME).wait_for(timeout=30_000)
    answered = time.perf_counter() - clicked
    button(page, PAUSE).wait_for(state="detached", timeout=10_000)
    settle(page)
    no_exception(page, "Train, paused")
    after = train_state(page)["step"]
    page.wait_for_timeout(1000)
    assert train_state(page)["step"] == after, "the step moved after the pause"
    model_step = sidebar_steps(page)
    overshoot = after - shown["step"]
    allowed = max(1, round(rate * SLACK_SECONDS))
    note(
        f"on screen {shown['step']} at the click, paused at {after} (sidebar {model_step}); "
        f"overshoot {overshoot} steps = {overshoot / rate:.2f} s at {rate:.0f} steps/s "
        f"(allowed {allowed}); Resume shown {answered:.2f} s after the click"
    )
    shoot(page, "paused")
    assert model_step == after, f"the progress says {after}, the model has {model_step}"
    assert 0 <= overshoot <= allowed, (
        f"paused at {after}, {overshoot} steps past the {shown['step']} on screen at the "
        f"click ({overshoot / rate:.2f} s at {rate:.0f} steps/s; allowed {allowed})"
    )
