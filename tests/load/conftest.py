"""The load tests (``tests/load``) need a real server and Debian's Chromium: every test here
is marked ``load`` and ``browser``, and skipped only where no Chromium exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.server import browser_unavailable

HERE = Path(__file__).resolve().parent
SKIP = browser_unavailable()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.load)
            item.add_marker(pytest.mark.browser)
            if SKIP:
                item.add_marker(pytest.mark.skip(reason=SKIP))
