"""Shared test set-up.

One BLAS thread for the whole run: the core's matmuls are small, and on a shared 2-core machine
a second BLAS thread makes training an order of magnitude slower under load (as the server
runs it too; see docs/ARCHITECTURE.md, "One BLAS thread").

No test writes into the repository's tracked files: the plugin ``tests/tree_guard.py`` records
every file ``git ls-files`` lists when the session starts and fails the session at its end
(exit status 1, the changed files listed in the summary) if any of them was modified, deleted
or created, even when every test passed. Tests write into ``tmp_path``; the README's
screenshots are remade by ``python -m benchmarks.screenshots``, not by a test.

Set ``RNNX_ALLOW_TREE_CHANGES=1`` to turn that check off for a run during which you (or your
editor) change files on purpose; ``.ci/run`` never sets it.
"""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_limits

pytest_plugins = ["tests.tree_guard"]

_BLAS = threadpool_limits(1, user_api="blas")


@pytest.fixture(scope="session")
def chromium_browser():
    """Debian's Chromium, headless, one per test session (the browser and journey tests
    share it; they are skipped where none exists, see tests/browser/conftest.py)."""
    from playwright.sync_api import sync_playwright

    from tests.browser.server import find_chromium, launch_chromium

    with sync_playwright() as pw:
        browser = launch_chromium(pw, find_chromium())
        try:
            yield browser
        finally:
            browser.close()
