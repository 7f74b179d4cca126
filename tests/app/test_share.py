"""Share links reproduce the view: the page's path plus every bound setting."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, ROOT
from ui.glue.share import view_link
from ui.glue.state import SHARE_OPEN


def run_app(page: str | None = None, **query) -> AppTest:
    """A page (Explore by default) after one run with these URL parameters and the
    sidebar's "Share this view" open, as after a click on it."""
    at = AppTest.from_file(str(ROOT / "app_pages" / f"{page}.py") if page else APP)
    at.session_state[SHARE_OPEN] = True
    for key, value in query.items():
        at.query_params[key] = value
    return at.run(timeout=60)


def test_a_closed_share_box_draws_no_code_box_and_opening_it_draws_the_link():
    """A code box loads the browser's 1.5 MB syntax highlighter: on a first visit it
    competed with plotly.js, so the link is drawn only once the box is open."""
    at = AppTest.from_file(APP)
    at.query_params["sentence"] = "this is not bad"
    at.run(timeout=60)
    assert not at.exception
    assert [e.label for e in at.sidebar.expander] == ["Display", "Share this view"]
    assert not at.code  # nowhere on the page: no code box at all
    at.session_state[SHARE_OPEN] = True  # what a click on the expander does, then a rerun
    at.run(timeout=60)
    assert len(at.sidebar.code) == 1
    assert "sentence=this+is+not+bad" in at.sidebar.code[0].value


def test_view_link_keeps_the_page_and_sets_the_query():
    link = view_link("http://host:8501/explore?old=1", {"task": "sentiment", "sentence": "a b"})
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "host:8501", "/explore")
    assert parse_qs(parts.query) == {"task": ["sentiment"], "sentence": ["a b"]}
    assert view_link(None, {"a": "1"}) == "?a=1"


def test_the_sidebar_offers_the_link_with_the_pages_settings():
    at = run_app(sentence="1101", task="parity")
    codes = [c.value for c in at.sidebar.code]
    assert codes and "sentence=1101" in codes[0] and "task=parity" in codes[0]
    # every bound widget of the page is in the link with its value, defaults included
    # (the browser's address bar misses some changes, and a default can depend on the
    # sentence: Explore's unit starts at the busiest one)
    at = run_app(sentence="this is not bad")
    query = parse_qs(urlsplit(at.sidebar.code[0].value).query, keep_blank_values=True)
    assert query["task"] == ["sentiment"] and query["sentence"] == ["this is not bad"]
    assert query["unit"] == [str(at.selectbox(key="unit").value)]
    assert query["order"] == ["index"]


def test_the_link_follows_a_widget_changed_in_this_run():
    """Journey 7: after a change of Explore's "Order units by", the share link still said
    the old order (Streamlit's address bar had not taken the change)."""
    at = run_app(sentence="this is not bad")
    at.button_group(key="order").set_value("final").run()
    query = parse_qs(urlsplit(at.sidebar.code[0].value).query)
    assert query["order"] == ["final"]


def test_a_repeated_key_keeps_every_value_in_the_link():
    """Learn's followed units are a multiselect: ``units=1&units=5``. The link kept only the
    last value (st.query_params.to_dict()), so a shared link followed one unit."""
    assert parse_qs(urlsplit(view_link("http://h/learn", {"units": ["1", "5"]})).query) == {
        "units": ["1", "5"]
    }
    at = run_app("learn", units=["1", "5"])
    link = at.sidebar.code[0].value
    assert parse_qs(urlsplit(link).query)["units"] == ["1", "5"]
