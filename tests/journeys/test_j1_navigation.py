"""Journey 1: Explore (default) → Learn → Train → Explore by the sidebar's links. The task's
example sentence is in every page's sentence box; after training on Train, Explore's sidebar
shows the trained model (origin "trained here", its step count)."""

from __future__ import annotations

import pytest

from rnn_core.tasks import load_task
from tests.journeys.conftest import (
    arrive,
    has_value,
    nav,
    no_exception,
    sentence_box,
    sidebar_origin,
    sidebar_steps,
    train_to_end,
)

EXAMPLE = load_task("sentiment").example  # the default task's example sentence
BUDGET = 400  # steps: a short run, set in the Step budget box like a user would


@pytest.fixture
def tab(open_page):
    return open_page()


def test_navigation_keeps_the_sentence_and_shows_the_trained_model(tab, journey_server, shoot):
    page = tab
    assert EXAMPLE, "the default task has no example sentence"
    page.goto(journey_server.url)
    arrive(page, "Explore")
    box = sentence_box(page)
    assert has_value(box, EXAMPLE), ("Explore (default page)", box.input_value())

    nav(page, "Learn")
    arrive(page, "Learn")
    box = sentence_box(page)
    assert has_value(box, EXAMPLE), ("Learn, after Explore", box.input_value())
    shoot(page, "1-learn")

    nav(page, "Train")
    arrive(page, "Train")
    box = sentence_box(page, "Probe sentence")
    assert has_value(box, EXAMPLE), ("Train, after Learn", box.input_value())
    budget = page.get_by_label("Step budget", exact=True)
    budget.fill(str(BUDGET))
    budget.press("Enter")
    page.wait_for_timeout(300)
    arrive(page, "Train")
    steps = train_to_end(page)
    assert steps == BUDGET, f"finished at step {steps}, the budget was {BUDGET}"
    shoot(page, "2-train-finished")

    nav(page, "Explore")
    arrive(page, "Explore")
    box = sentence_box(page)
    assert has_value(box, EXAMPLE), ("Explore, after Train", box.input_value())
    assert sidebar_origin(page) == "trained here", sidebar_origin(page)
    assert sidebar_steps(page) == steps, (sidebar_steps(page), steps)
    no_exception(page, "Explore after training")
    shoot(page, "3-explore-trained")
