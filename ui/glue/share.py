"""Share this view: the page's link with every URL-bound setting, ready to copy."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.state.session_state_proxy import get_session_state

from ui.glue import exercise
from ui.glue.display import display_controls, display_defaults
from ui.glue.state import SHARE_DARK, SHARE_HIDE, SHARE_LOCK, SHARE_OPEN
from ui.services.exercise import HIDE, LABELS, LOCK, LOCKABLE


def view_link(url: str | None, params: dict[str, str | list[str]]) -> str:
    """The page's URL (scheme, host, path of ``url``) with ``params`` as its query; a list
    value is a repeated key (a multiselect's ``units=1&units=5``)."""
    parts = urlsplit(url or "")
    query = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True, safe=",")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def current_link(lock=(), hide=()) -> str:
    """This view's link: the page's URL, its query parameters (repeated keys included:
    ``st.query_params.to_dict()`` keeps only the last value), and the value of every
    URL-bound widget the page has drawn so far in this run. An exercise link's locks stay
    in it; ``lock`` and ``hide`` add more (URL keys), and the link then carries the value of
    every locked control, so it fixes what it shows."""
    try:
        url = st.context.url
    except Exception:  # no browser context (tests, bare mode)
        url = None
    params = {k: st.query_params.get_all(k) for k in st.query_params}
    params = {k: v[0] if len(v) == 1 else v for k, v in params.items()}
    params |= bound_widget_values()
    ex = exercise.exercise().with_more(lock, hide)
    params = {k: v for k, v in params.items() if k not in (LOCK, HIDE)}
    for key in LOCKABLE:  # a locked control's value: pinned, or as the page holds it now
        value = exercise.pinned(key)
        value = st.session_state.get(key) if value is None else value
        if ex.is_locked(key) and key not in params and value is not None:
            params[key] = _url_text(value)
    for key, default in display_defaults().items():  # a link says only what differs
        if params.get(key) == default:
            del params[key]
    return view_link(url, params | ex.query())


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
        exercise.exercise()  # every page keeps an exercise link's lock= and hide= in its URL
        box = st.sidebar.expander("Share this view", key=SHARE_OPEN, on_change="rerun")
        self._open = bool(box.open)
        self._slot = box.empty()
        self._lock: list[str] = []
        self._hide: list[str] = []
        if self._open:
            with box:
                self._exercise_pickers()
        self._dark = self._open and box.checkbox(
            "Opens in the dark theme",
            key=SHARE_DARK,
            help="Adds Streamlit's embed_options=dark_theme to the link (for a projector in a "
            "dark room); without it the link follows each viewer's system setting.",
        )
        self.refresh()

    def _exercise_pickers(self) -> None:
        """Two pickers that make the link an exercise: controls it locks, controls it hides.
        A page opened with an exercise link keeps its locks in the link (they cannot be
        taken off here)."""
        held = exercise.exercise()
        page = set(bound_widget_values())  # this page's controls, as drawn on its last run
        options = [k for k in LOCKABLE if k in page or held.is_hidden(k)] or list(LOCKABLE)
        name = LABELS.get
        self._lock = st.multiselect(
            "Lock for an exercise", options, key=SHARE_LOCK, format_func=name,
            help="The link fixes these controls: they show its values, greyed out with 🔒.",
        )  # fmt: skip
        self._hide = st.multiselect(
            "Hide", options, key=SHARE_HIDE, format_func=name,
            help="The link hides these controls; their values still apply.",
        )  # fmt: skip
        summary = held.summary()
        if summary:
            st.caption(f"{summary} The link keeps these.")

    def refresh(self) -> None:
        if not self._open:
            return
        link = current_link(self._lock, self._hide)
        link = dark_link(link) if self._dark else link
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
