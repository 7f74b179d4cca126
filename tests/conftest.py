"""Shared test set-up.

One BLAS thread for the whole run: the core's matmuls are small, and on a shared 2-core machine
a second BLAS thread makes training an order of magnitude slower under load (as the server
runs it too; see ARCHITECTURE.md §2).
"""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_limits

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
