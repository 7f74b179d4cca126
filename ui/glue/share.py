"""Share this view: the page's link with every URL-bound setting, ready to copy."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.state.session_state_proxy import get_session_state

from ui.glue.display import display_controls, display_defaults
from ui.glue.state import SHARE_DARK, SHARE_OPEN


def view_link(url: str | None, params: dict[str, str | list[str]]) -> str:
    """The page's URL (scheme, host, path of ``url``) with ``params`` as its query; a list
    value is a repeated key (a multiselect's ``units=1&units=5``)."""
    parts = urlsplit(url or "")
    query = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def current_link() -> str:
    """This view's link: the page's URL, its query parameters (repeated keys included:
    ``st.query_params.to_dict()`` keeps only the last value), and the value of every
    URL-bound widget the page has drawn so far in this run."""
    try:
        url = st.context.url
    except Exception:  # no browser context (tests, bare mode)
        url = None
    params = {k: st.query_params.get_all(k) for k in st.query_params}
    params = {k: v[0] if len(v) == 1 else v for k, v in params.items()}
    params = params | bound_widget_values()
    for key, default in display_defaults().items():  # a link says only what differs
        if params.get(key) == default:
            del params[key]
    return view_link(url, params)


def bound_widget_values() -> dict[str, str | list[str]]:
    """URL key -> the value of each widget of this page bound to the URL, as its link takes
    it. The browser's address bar is not enough: measured with Streamlit 1.67, after the
    first change of a bound widget later changes did not reach it (on Explore: Method, then
    Order units by — the address kept only the first). Reads Streamlit's binding registry
    (private, pinned by requirements.txt); without it, the query parameters alone."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return {}
    try:
        with get_session_state().query_params() as qp:
            bindings = {k: b.script_hash for k, b in qp._bindings_by_param.items()}
    except AttributeError:  # another Streamlit: the query parameters alone
        return {}
    out = {}
    for key, script in bindings.items():
        if script != ctx.page_script_hash or key not in st.session_state:
            continue  # another page's widget, or not drawn
        value = st.session_state[key]
        if isinstance(value, list | tuple):
            out[key] = [_url_text(v) for v in value]
        elif value is not None:
            out[key] = _url_text(value)
    return out


def _url_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class ShareBox:
    """The sidebar's "Share this view". A bound widget puts its value into the URL only when
    the run draws it, so a link made before the widgets below it misses them: a page calls
    :meth:`refresh` as its last step (and before an early ``st.stop()``).

    The link is drawn only while the box is open (opening it reruns the page): a code box
    makes the browser load Streamlit's 1.5 MB syntax highlighter, which on every first visit
    competed with plotly.js for the browser's one thread (first heatmap 3.4 → 2.7 s,
    ``python -m benchmarks.explore_load``)."""

    def __init__(self) -> None:
        box = st.sidebar.expander("Share this view", key=SHARE_OPEN, on_change="rerun")
        self._open = bool(box.open)
        self._slot = box.empty()
        self._dark = self._open and box.checkbox(
            "Opens in the dark theme",
            key=SHARE_DARK,
            help="Adds Streamlit's embed_options=dark_theme to the link (for a projector in a "
            "dark room); without it the link follows each viewer's system setting.",
        )
        self.refresh()

    def refresh(self) -> None:
        if not self._open:
            return
        link = dark_link(current_link()) if self._dark else current_link()
        with self._slot.container():
            st.code(
                link or "(open the app in a browser to get a link)", language=None, wrap_lines=True
            )
            st.caption(
                "Every setting that changes what this page shows is in the link: send it to "
                "someone, or put it on a workshop slide."
            )


def dark_link(link: str) -> str:
    """``link`` opening in Streamlit's dark theme (its own URL key, read by the browser)."""
    if not link or "embed_options=dark_theme" in link:
        return link
    return link + ("&" if "?" in link else "?") + "embed_options=dark_theme"


def share_box() -> ShareBox:
    """In the sidebar: the Display choices, then the link that reproduces this view (the
    code box has a copy button)."""
    display_controls()
    return ShareBox()
