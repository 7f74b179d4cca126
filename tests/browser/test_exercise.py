"""An exercise link in a real Chromium: /train?…&lock=cell,hidden&hide=clip shows Cell and
Hidden units greyed out with the lock, no Clipping control, and keeps all of it across a
page change and a reload (the address keeps lock= and hide=). The screenshots go to pytest's
temporary folder (``RNNX_SHOTS`` names another)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from benchmarks.browser import button_name
from tests.browser.server import assert_no_exception

pytestmark = pytest.mark.browser

START = "▶ Start"
LINK = "train?task=sentiment&cell=gru&hidden=8&clip=none&lock=cell,hidden&hide=clip"


def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("RNNX_SHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def wait_for_train(page) -> None:
    page.get_by_role("button", name=button_name(START)).wait_for(timeout=120_000)
    page.wait_for_load_state("networkidle")
    assert_no_exception(page)


def check_locked(page) -> None:
    cell = page.locator(".st-key-cell")
    expect(cell).to_contain_text("🔒 Cell")
    for name in ("rnn", "gru", "lstm"):
        expect(cell.get_by_role("radio", name=name, exact=True)).to_be_disabled()
    hidden = page.locator(".st-key-hidden")
    expect(hidden).to_contain_text("🔒 Hidden units")
    expect(hidden.locator("input")).to_be_disabled()
    expect(hidden.locator("input")).to_have_value("8")
    expect(page.locator(".st-key-clip")).to_have_count(0)  # hidden: not drawn
    expect(page.locator(".st-key-clip_value")).to_have_count(1)  # its neighbour is
    expect(page.get_by_text("Cell and Hidden units are locked")).to_be_visible()


def test_a_locked_train_page_keeps_its_locks_across_pages_and_a_reload(
    explore_page, server, tmp_path
):
    page = explore_page
    page.goto(f"{server}/{LINK}")
    wait_for_train(page)
    check_locked(page)
    # the unlocked knob is there to turn
    expect(page.locator(".st-key-layers").get_by_role("radio", name="2")).to_be_enabled()
    page.screenshot(path=str(shots(tmp_path) / "train_exercise_locked.png"), full_page=True)

    page.get_by_role("link", name="Explore").first.click()
    page.get_by_label("Sentence", exact=True).wait_for()
    assert "lock=cell" in page.url.replace("%2C", ",") and "hide=clip" in page.url
    page.get_by_role("link", name="Train").first.click()
    wait_for_train(page)
    check_locked(page)

    page.reload()
    wait_for_train(page)
    check_locked(page)
