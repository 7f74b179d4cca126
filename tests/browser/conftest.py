"""Fixtures for the browser tests: a live ``streamlit run`` server and Debian's Chromium.

Skipped only where no Chromium executable (or no ``playwright`` package) exists. The fixture
names are distinct from pytest-playwright's ``browser``/``page``, which would try to use a
Playwright-downloaded browser.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from tests.browser.server import (
    Server,
    mark_browser_folder,
    new_context,
    offsite,
)

HERE = Path(__file__).resolve().parent

FAILED = pytest.StashKey[bool]()
SERVER_LOG = pytest.StashKey[Path]()


def pytest_collection_modifyitems(config, items):
    mark_browser_folder(items, HERE)


@pytest.fixture(scope="session")
def server(request, tmp_path_factory):
    """The base URL of ``streamlit run app.py`` on a free 127.0.0.1 port. At the end of the
    session, the server must not have tried to reach any address but the loopback."""
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    request.config.stash[SERVER_LOG] = log
    srv = Server(log)
    try:
        srv.start(timeout=60)
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield srv.url
    finally:
        srv.stop()
    outbound = srv.outbound()
    assert not outbound, "the server tried to leave 127.0.0.1:\n" + "\n".join(outbound)


@pytest.fixture(scope="session")
def timings():
    """Measured seconds, filled by the tests and printed at the end of the session (never
    asserted: speed is measured by benchmarks/)."""
    found: dict[str, float] = {}
    yield found
    if found:
        print("\nexplore page timings (s): " + ", ".join(f"{k}={v:.2f}" for k, v in found.items()))


@pytest.fixture
def explore_page(chromium_browser, server, request):
    """A page in a fresh 1400×1000 context; at teardown, every request must be to 127.0.0.1."""
    requests: list[str] = []
    context = new_context(chromium_browser, requests)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        failed = request.node.stash.get(FAILED, False)
        if failed:
            with contextlib.suppress(Exception):
                print(f"\n--- page text at failure ---\n{page.inner_text('body')[:4000]}")
        context.close()
    bad = offsite(requests)
    assert not bad, f"{len(bad)} request(s) left 127.0.0.1:\n" + "\n".join(sorted(set(bad)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, note it (for ``explore_page``) and attach the server log to the report."""
    report = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
        log = item.config.stash.get(SERVER_LOG, None)
        if log is not None and log.exists():
            report.sections.append(("streamlit server log", log.read_text(errors="replace")))
    return report
