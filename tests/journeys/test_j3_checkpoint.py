"""Journey 3: train on Train, download the model (.npz), Reset, load the file through "Load
a model or your own data", and go on training past the saved step."""

from __future__ import annotations

import re

import pytest

from benchmarks.browser import SHORTCUT
from tests.journeys.conftest import (
    RESET,
    START,
    button,
    no_exception,
    open_train,
    settle,
    train_state,
    train_to_end,
    wait_progress,
)

BUDGET = 300


@pytest.fixture
def tab(open_page):
    return open_page()


def test_download_reset_load_and_resume(tab, journey_server, shoot, note, tmp_path):
    page = tab
    open_train(page, journey_server.url, f"steps={BUDGET}")
    saved = train_to_end(page)
    assert saved == BUDGET, saved

    download_button = page.get_by_role("button", name="Model (.npz)").locator("visible=true")
    with page.expect_download(timeout=60_000) as download:
        download_button.first.click()
    path = tmp_path / (download.value.suggested_filename or "model.npz")
    download.value.save_as(path)
    assert path.stat().st_size > 1000, path.stat()

    button(page, RESET).click()
    wait_progress(page, lambda s: s["step"] in (None, 0), "a fresh run after Reset", 30)
    button(page, START).wait_for(timeout=30_000)
    settle(page)
    no_exception(page, "Train after Reset")

    page.get_by_text("Load a model or your own data").first.click()
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Load a model")
    uploader.locator('input[type="file"]').set_input_files(str(path))
    loaded = page.get_by_text(re.compile(r"Loaded a model", re.IGNORECASE))
    loaded.locator("visible=true").first.wait_for(timeout=60_000)
    settle(page)
    no_exception(page, "Train after loading the model")
    assert train_state(page)["step"] == saved, (train_state(page), saved)
    shoot(page, "1-loaded")

    budget = page.get_by_label("Step budget", exact=True)
    if int(budget.input_value()) <= saved:  # the saved run's budget is spent: raise it
        note(f"the loaded run's step budget was {budget.input_value()}: raised it")
        budget.fill(str(saved + 300))
        budget.press("Enter")
        page.wait_for_timeout(300)
        settle(page)
    go = page.get_by_role("button", name=re.compile(r"^▶ (Resume|Start)" + SHORTCUT + "$"))
    go.locator("visible=true").first.click()
    state = wait_progress(
        page, lambda s: (s["step"] or 0) > saved, f"a step beyond the saved {saved}", 60
    )
    no_exception(page, "Train after resuming the loaded model")
    note(f"saved at {saved}, resumed to: {state['progress']}")
    shoot(page, "2-resumed")
