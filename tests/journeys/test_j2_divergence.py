"""Journey 2: a forced divergence on Train, then each offered fix in turn (from a fresh
divergence each time): the run trains on past the step it diverged at, or the page offers a
reset with the new settings that trains. The fix buttons' labels are not cut off."""

from __future__ import annotations

import re

import pytest

from tests.journeys.conftest import (
    START,
    button,
    no_exception,
    open_train,
    settle,
    train_state,
    wait_progress,
)

DIVERGE = "cell=rnn&activation=relu&optimizer=sgd&lr=500&clip=none"
FIX_BUTTONS = '[class*="st-key-fix"] button'
FIX_NAMES = re.compile(r"continue|reset with", re.IGNORECASE)

JS_OVERFLOW = """
(b) => [b, ...b.querySelectorAll('*')]
    .filter(e => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0)
    .map(e => `${e.tagName}: ${e.scrollWidth} > ${e.clientWidth} (${e.textContent.trim()})`)
"""


@pytest.fixture
def tab(open_page):
    return open_page()


def fix_buttons(page):
    return (
        page.locator(FIX_BUTTONS)
        .or_(page.get_by_role("button", name=FIX_NAMES))
        .locator("visible=true")
    )


def diverge(page, base: str) -> int:
    """Open the forced-divergence link in a new session, Start, wait for "diverged";
    returns the step shown (the last finite step)."""
    open_train(page, base, DIVERGE)
    button(page, START).click()
    page.get_by_text("diverged").locator("visible=true").first.wait_for(timeout=60_000)
    settle(page)
    no_exception(page, "Train, diverged")
    step = train_state(page)["step"]
    assert step is not None, train_state(page)
    return step


def test_each_fix_for_a_divergence_trains_on(tab, journey_server, shoot, note):
    page = tab
    at = diverge(page, journey_server.url)
    labels = [t.strip() for t in fix_buttons(page).all_inner_texts()]
    assert labels, "diverged, but no fix is offered"
    shoot(page, "1-diverged")
    note(f"diverged at step {at}; fixes offered: {labels}")

    problems = []  # checked at the end, so every fix is tried
    for i, label in enumerate(labels):
        if i:  # every fix from a fresh divergence
            at = diverge(page, journey_server.url)
        fix = fix_buttons(page).filter(has_text=label).first
        cut = fix.evaluate(JS_OVERFLOW)
        if cut:
            problems.append(f"the fix button {label!r} is cut off: {cut}")
        fix.click()
        if label.lower().startswith("reset"):
            start = button(page, START)
            start.wait_for(timeout=30_000)
            assert start.is_enabled(), f"after {label!r}, Start is disabled"
            start.click()
            state = wait_progress(
                page, lambda s: (s["step"] or 0) > 0, f"training after {label!r}", timeout=60
            )
        else:
            state = wait_progress(
                page,
                lambda s, at=at: (s["step"] or 0) > at,
                f"a step beyond {at} after {label!r}",
                timeout=60,
            )
        no_exception(page, f"Train after {label!r}")
        note(f"fix {label!r}: diverged at {at}, then {state['progress']}")
        shoot(page, f"2-after-fix-{i}")
    assert not problems, "\n".join(problems)
