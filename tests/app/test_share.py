"""Share links reproduce the view: the page's path plus every bound setting."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.app.conftest import run_app
from ui.glue.share import view_link


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
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app_pages" / "learn.py"), default_timeout=60)
    at.query_params["units"] = ["1", "5"]
    at.run()
    link = at.sidebar.code[0].value
    assert parse_qs(urlsplit(link).query)["units"] == ["1", "5"]
