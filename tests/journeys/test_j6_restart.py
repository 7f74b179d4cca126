"""Journey 6: upload a CSV on Train, train on it, read a sentence with it on Explore; then
the server restarts on the same port under the same browser page: no exception, and a clear
note that the upload must be done again."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.server import ROOT
from tests.journeys.conftest import (
    EXCEPTION,
    arrive,
    check_outbound,
    has_value,
    nav,
    no_exception,
    open_train,
    sentence_box,
    settle,
    start_server,
    train_to_end,
)

CSV = ROOT / "tests" / "data" / "example.csv"
AGAIN = re.compile(r"upload", re.IGNORECASE)  # the note asks for the upload again
JS_NOTES = """
() => [...document.querySelectorAll('[data-testid="stAlert"]')]
    .filter(e => e.offsetParent !== null && e.closest('[data-stale="true"]') === null)
    .map(e => e.innerText.trim())
"""


@pytest.fixture
def restartable(request, tmp_path_factory):
    """A server of this test's own (it is restarted); no outbound connection in either life."""
    srv = start_server(request, tmp_path_factory, "server-restart")
    try:
        yield srv
    finally:
        srv.stop()
    check_outbound(srv)


@pytest.fixture
def tab(open_page):
    return open_page()


def test_a_restart_asks_for_the_upload_again(tab, restartable, shoot, note):
    page = tab
    srv = restartable
    open_train(page, srv.url)
    page.get_by_text("Load a model or your own data").first.click()
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="own CSV")
    uploader.locator('input[type="file"]').set_input_files(str(CSV))
    task = page.get_by_role("combobox", name="Task", exact=True)
    assert has_value(task, "csv", timeout=60), f"the task is {task.input_value()!r}, not csv"
    settle(page)
    no_exception(page, "Train after the CSV upload")
    steps = train_to_end(page)
    shoot(page, "1-trained-on-csv")

    nav(page, "Explore")
    arrive(page, "Explore")
    assert has_value(page.get_by_role("combobox", name="Task", exact=True), "csv"), "Explore"
    sentence = sentence_box(page).input_value()
    assert sentence.strip(), "Explore has no sentence to read with the CSV model"
    note(f"trained {steps} steps on the CSV; Explore reads {sentence!r}")
    shoot(page, "2-explore-csv")

    check_outbound(srv)  # the audit log starts afresh with the next server
    srv.stop()
    srv.start(timeout=90)
    restarted = time.perf_counter()
    notes: list[str] = []
    poked = False
    while time.perf_counter() - restarted < 45:
        assert not page.locator(EXCEPTION).count(), page.locator(EXCEPTION).first.inner_text()
        notes = page.evaluate(JS_NOTES)
        if any(AGAIN.search(n) for n in notes):
            break
        if not poked and time.perf_counter() - restarted > 8:
            # Streamlit 1.67 reconnects without rerunning (measured: a new session ~3 s
            # after the restart, no script run): the page changes when the user does
            # something. They type a new sentence: the browser resends every widget's value,
            # task="csv" included, to a session that has no CSV
            poked = True
            box = sentence_box(page)
            box.fill("the weather is cold today")
            box.press("Enter")
        page.wait_for_timeout(500)
    note(
        f"{time.perf_counter() - restarted:.1f} s after the restart"
        + (" (after typing a new sentence)" if poked else "")
    )
    page.wait_for_timeout(1000)
    no_exception(page, "Explore after the server restarted")
    shoot(page, "3-after-restart")
    note(f"after the restart: {notes}")
    assert any(AGAIN.search(n) for n in notes), (
        f"no note asks for the upload again 45 s after the restart; notes: {notes}"
    )
