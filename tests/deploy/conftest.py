"""The cluster tests (``tests/deploy/test_cluster.py``): several replicas behind Debian's
haproxy, driven by Debian's Chromium. Each is marked ``browser`` and ``cluster``, and skipped
(with the reason) only where haproxy or Chromium is missing. The static checks of the shipped
configurations (``test_static.py``) run everywhere; the other modules here mark themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.cluster import MISSING_HAPROXY, haproxy_path
from tests.browser.server import browser_unavailable

HERE = Path(__file__).resolve().parent
CLUSTER_MODULES = {"test_cluster.py"}


def pytest_collection_modifyitems(config, items):
    reason = browser_unavailable() or (MISSING_HAPROXY if haproxy_path() is None else None)
    for item in items:
        if HERE in item.path.parents and item.path.name in CLUSTER_MODULES:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.cluster)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))
