"""Journey 7: on every page, change a few widgets, then open the sidebar's "Share this view"
link in a fresh browser context: every widget shows the same value there."""

from __future__ import annotations

import time

import pytest

from tests.journeys.conftest import (
    arrive,
    choose,
    nudge,
    pick,
    settle,
    share_link,
    type_into,
    widget_values,
)


def change_explore(page):
    type_into(page, "Sentence", "the plot was not good at all")
    settle(page)
    type_into(page, "Compare with (optional)", "the plot was good")
    settle(page)
    pick(page, "Order units by", "final")
    settle(page)
    pick(page, "Method", "occlusion")


def change_train(page):
    pick(page, "Cell", "lstm")
    settle(page)
    choose(page, "Optimizer", "adam")
    settle(page)
    pick(page, "Clipping", "value")
    settle(page)
    nudge(page, "Learning rate (log scale)", "ArrowLeft", 2)


def change_gradients(page):
    pick(page, "Measure on", "one sequence")


def change_dynamics(page):
    choose(page, "Constant input", "good")
    settle(page)
    pick(page, "Show", "fixed points")
    settle(page)
    pick(page, "Time constants of", "LSTM")


def change_compare(page):
    pick(page, "Cell", "lstm", nth=0)
    settle(page)
    nudge(page, "Learning rate", "ArrowRight", 1, nth=1)
    settle(page)
    pick(page, "Clipping", "none", nth=1)


def change_learn(page):
    type_into(page, "Sentence", "a good film")
    settle(page)
    nudge(page, "Step t", "ArrowLeft", 1)
    settle(page)
    page.get_by_role("button", name="Remove 0").locator("visible=true").first.click()


PAGES = {  # url path -> (title heading, the widgets a workshop changes)
    "explore": ("Explore", change_explore),
    "train": ("Train", change_train),
    "gradients": ("Gradient lab", change_gradients),
    "dynamics": ("Dynamics lab", change_dynamics),
    "compare": ("Compare", change_compare),
    "learn": ("Learn", change_learn),
}


def same_values(page, want: dict, timeout: float = 10.0) -> dict:
    """Wait until ``page`` shows ``want``'s values; returns the differences left."""
    deadline = time.perf_counter() + timeout
    while True:
        got = widget_values(page)
        diff = {k: (v, got.get(k, "(missing)")) for k, v in want.items() if got.get(k) != v}
        if not diff or time.perf_counter() > deadline:
            return diff
        page.wait_for_timeout(300)


@pytest.mark.parametrize("path", list(PAGES))
def test_share_link_reproduces_every_widget(path, open_page, journey_server, shoot, note):
    title, change = PAGES[path]
    page = open_page()
    page.set_default_timeout(20_000)  # a widget that is not there fails fast
    page.goto(f"{journey_server.url}/{path}")
    arrive(page, title)
    before = widget_values(page)
    change(page)
    page.wait_for_timeout(300)
    arrive(page, title)
    want = widget_values(page)
    changed = sorted(k for k in want if want[k] != before.get(k))
    assert changed, f"changing the widgets on {path} changed nothing: {want}"
    link = share_link(page)
    shoot(page, "1-changed")
    assert link.startswith(f"{journey_server.url}/{path}"), link

    other = open_page()
    other.goto(link)
    arrive(other, title)
    diff = same_values(other, want)
    shoot(other, "2-from-link")
    note(f"{path}: changed {changed}; link {link.removeprefix(journey_server.url)}")
    assert not diff, f"the link {link} does not reproduce (here, there): {diff}"
