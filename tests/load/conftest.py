"""The load tests (``tests/load``) need a real server and Debian's Chromium: every test here
is marked ``load`` and ``browser``, and skipped only where no Chromium exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.server import mark_browser_folder

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    mark_browser_folder(items, HERE, pytest.mark.load)
