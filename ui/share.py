"""Share this view: the page's link with every URL-bound setting, ready to copy."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st


def view_link(url: str | None, params: dict[str, str]) -> str:
    """The page's URL (scheme, host, path of ``url``) with ``params`` as its query."""
    parts = urlsplit(url or "")
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def share_box() -> None:
    """In the sidebar: the link that reproduces this view (the code box has a copy button)."""
    try:
        url = st.context.url
    except Exception:  # no browser context (tests, bare mode)
        url = None
    link = view_link(url, st.query_params.to_dict())
    with st.sidebar.expander("Share this view"):
        st.code(link or "(open the app in a browser to get a link)", language=None, wrap_lines=True)
        st.caption(
            "Every setting that changes what this page shows is in the link: send it to "
            "someone, or put it on a workshop slide."
        )
