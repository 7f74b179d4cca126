"""Journey 9: a character model writes (issue 19). Explore on chars writes from its prime on
the first visit, with the default model. Train a fresh chars model for a few snapshots: its
samples are listed as it learns. Back on Explore the sidebar shows the model trained here and
Write writes with it (other text than the default's), the same text after a visit to
another page; the steered unit's two samples are there too."""

from __future__ import annotations

import pytest

from tests.journeys.conftest import (
    arrive,
    nav,
    no_exception,
    settle,
    sidebar_origin,
    sidebar_steps,
    train_to_end,
)

BUDGET = 60  # steps: six snapshots of samples, a few seconds of training
WRITTEN = ".rnnx-written .rnnx-gen"
JS_WRITTEN = f"""
() => [...document.querySelectorAll('{WRITTEN}')].map((e) => e.innerText).join('')
"""
JS_SAMPLE_STEPS = """
() => [...document.querySelectorAll('.rnnx-samples [data-step]')].map((r) => +r.dataset.step)
"""


@pytest.fixture
def tab(open_page):
    return open_page()


def written(page, timeout: float = 60.0) -> str:
    """The text Write shows (its 200 tokens), once it is there."""
    page.wait_for_function(
        f"() => document.querySelectorAll('{WRITTEN}').length === 200", timeout=timeout * 1000
    )
    settle(page)
    return page.evaluate(JS_WRITTEN)


def test_a_character_model_writes_learns_and_writes_again(tab, journey_server, shoot):
    page = tab
    page.goto(f"{journey_server.url}/explore?task=chars")
    arrive(page, "Explore")
    default_text = written(page)
    assert sidebar_origin(page) == "default", sidebar_origin(page)
    page.locator(".rnnx-written").first.scroll_into_view_if_needed()
    shoot(page, "1-explore-writes")

    nav(page, "Train")  # the task comes along
    arrive(page, "Train")
    budget = page.get_by_label("Step budget", exact=True)
    budget.fill(str(BUDGET))
    budget.press("Enter")
    page.wait_for_timeout(300)
    arrive(page, "Train")
    steps = train_to_end(page)
    assert steps == BUDGET, f"finished at step {steps}, the budget was {BUDGET}"
    listed = page.evaluate(JS_SAMPLE_STEPS)
    assert listed and listed[0] == 0 and max(listed) == BUDGET, listed
    page.locator(".rnnx-samples").first.scroll_into_view_if_needed()
    shoot(page, "2-train-samples")

    nav(page, "Explore")
    arrive(page, "Explore")
    assert sidebar_origin(page) == "trained here", sidebar_origin(page)
    assert sidebar_steps(page) == BUDGET, sidebar_steps(page)
    trained_text = written(page)
    assert trained_text != default_text, "Write still shows the default model's text"

    nav(page, "Learn")  # away and back: the same model, prime and seed write the same text
    arrive(page, "Learn")
    nav(page, "Explore")
    arrive(page, "Explore")
    assert written(page) == trained_text, "the same model, prime and seed wrote other text"
    assert page.get_by_text("As trained", exact=True).count(), "no steered samples"
    no_exception(page, "Explore, back again")
    page.locator(".rnnx-written").first.scroll_into_view_if_needed()
    shoot(page, "3-explore-trained-writes")
