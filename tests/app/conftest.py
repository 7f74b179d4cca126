"""AppTest helpers: run the real app script, read plotly figures back out of the page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def run_app(timeout: float = 60, **query) -> AppTest:
    """The app's default page (Explore) after one run with these URL parameters."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def open_page(page: str, session: dict | None = None, timeout: float = 120, **query) -> AppTest:
    """One page file (app_pages/<page>.py) as a browser opening its link gets it: the URL
    parameters and any session state set before the first run, which must not raise."""
    at = AppTest.from_file(str(ROOT / "app_pages" / f"{page}.py"), default_timeout=timeout)
    for key, value in (session or {}).items():
        at.session_state[key] = value
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    no_exceptions(at)
    return at


def figures(at: AppTest) -> list[dict]:
    """Every plotly figure on the page as its JSON spec (data + layout)."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def titled(at: AppTest, text: str) -> list[dict]:
    """The figures whose title contains ``text``."""
    out = []
    for fig in figures(at):
        title = fig.get("layout", {}).get("title", {})
        title = title.get("text", "") if isinstance(title, dict) else str(title)
        if text in title:
            out.append(fig)
    return out


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture
def app():
    return run_app
