"""The headless client of the capacity benchmark (benchmarks/st_client.py) against the real
app, no browser: it starts a Train run with the Start button and follows the live fragment's
timer to the end of the budget, and an Explore rerun after a new sentence draws that
sentence."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json

import pytest

from benchmarks.browser import running_server
from benchmarks.st_client import StSession, rate

pytestmark = pytest.mark.slow


def run_async(make):
    """``asyncio.run(make())`` in a thread of its own: the browser tests' session-wide sync
    Playwright may hold an event loop in this one (as in tests/load/test_memory.py)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("st_client") / "server.log", audit=False) as s:
        yield s


def test_start_trains_to_the_budget_through_the_fragment_timer(server):
    async def go():
        async with StSession(server.url, "/train", "task=sentiment&steps=1000") as s:
            await s.wait_for(lambda: s.full_runs >= 1 and s.widget("button", "▶ Start"))
            assert s.page_script_hash  # named by the navigation message
            assert s.steps == 0 and s.budget == 1000
            await s.click("▶ Start")
            # a slice trains at most 0.4 s per run: 1,000 steps need the fragment's timer
            await s.wait_for(lambda: s.steps >= 1000, timeout=120)
            # the run ended: the page is drawn again, with Start disabled and no timer left
            await s.wait_for(lambda: s.widget("button", "▶ Start").disabled, timeout=30)
            await s.wait_for(lambda: not s.timers, timeout=30)
            assert not s.exceptions, s.exceptions
            return s

    s = run_async(go)
    assert s.steps == 1000
    assert s.fragment_runs >= 1
    assert rate(s.samples, 0.0, float("inf")) > 0


def test_explore_rerun_draws_the_new_sentence(server):
    new = "boring acting before"
    tokens = json.dumps(new.split(), separators=(",", ":"))  # as in a chart's ticktext

    async def go():
        async with StSession(server.url, "/explore", "task=sentiment") as s:
            await s.wait_for(lambda: s.full_runs >= 1 and s.widget_by_key("text_input", "sentence"))
            assert not any(tokens in t for t in s.texts())
            seconds = await s.set_text("sentence", new)
            return seconds, list(s.texts()), s.exceptions

    seconds, texts, exceptions = run_async(go)
    assert not exceptions, exceptions
    assert 0 < seconds < 60
    assert any(tokens in t for t in texts), tokens
