"""Share this view: the page's link with every URL-bound setting, ready to copy."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st


def view_link(url: str | None, params: dict[str, str | list[str]]) -> str:
    """The page's URL (scheme, host, path of ``url``) with ``params`` as its query; a list
    value is a repeated key (a multiselect's ``units=1&units=5``)."""
    parts = urlsplit(url or "")
    query = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def current_link() -> str:
    """This view's link: the page's URL and every query parameter, repeated keys included
    (``st.query_params.to_dict()`` keeps only the last value of a repeated key)."""
    try:
        url = st.context.url
    except Exception:  # no browser context (tests, bare mode)
        url = None
    params = {k: st.query_params.get_all(k) for k in st.query_params}
    return view_link(url, {k: v[0] if len(v) == 1 else v for k, v in params.items()})


def share_box() -> None:
    """In the sidebar: the link that reproduces this view (the code box has a copy button)."""
    link = current_link()
    with st.sidebar.expander("Share this view"):
        st.code(link or "(open the app in a browser to get a link)", language=None, wrap_lines=True)
        st.caption(
            "Every setting that changes what this page shows is in the link: send it to "
            "someone, or put it on a workshop slide."
        )
