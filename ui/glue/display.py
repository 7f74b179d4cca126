"""The sidebar's Display: projector mode and colour maps (URL-bound), and what every page
reads of it: :func:`current_display` (charts and HTML views are restyled by it); on a
projector the page's style also stacks every row of charts (:data:`PROJECTOR_CSS`).

The dark theme is Streamlit's own: the browser picks it (the system's setting, or
``embed_options=dark_theme`` in the link, which "Share this view" can add), and the charts
follow whatever the page is drawn in (``st.context.theme``).
"""

from __future__ import annotations

import contextlib

import streamlit as st
from streamlit.errors import StreamlitAPIException

from ui.glue import state
from ui.views.display import DISPLAYS, Display
from ui.views.palettes import (
    DEFAULT_DIVERGING,
    DEFAULT_SEQUENTIAL,
    DIVERGING,
    SEQUENTIAL,
    Palette,
    recolour_html,
)

CHOICES = {  # widget (and URL) key -> (options, default, label)
    state.DISPLAY: (DISPLAYS, "screen", "Display"),
    state.DIVERGING: (tuple(DIVERGING), DEFAULT_DIVERGING, "Signed values (heatmaps)"),
    state.SEQUENTIAL: (tuple(SEQUENTIAL), DEFAULT_SEQUENTIAL, "Magnitudes (gates, probabilities)"),
}
# A bound widget's URL value is the option as shown, so the options are the URL's words.
HELP = {
    state.DISPLAY: "Projector: larger text, thicker lines, one chart per row.",
    state.DIVERGING: "  \n".join(f"**{k}**: {m.label}" for k, m in DIVERGING.items()),
    state.SEQUENTIAL: "  \n".join(f"**{k}**: {m.label}" for k, m in SEQUENTIAL.items()),
}
# Projector mode, for the page itself: larger text and controls (Streamlit sizes in rem),
# captions as dark as body text, wider focus rings for keyboard users, and every row of
# charts stacked, one chart per row at the page's full width.
PROJECTOR_CSS = """<style>
html { font-size: 17px; }
[data-testid="stHorizontalBlock"]:has([data-testid="stPlotlyChart"]) > [data-testid="stColumn"] { min-width: 100%; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { opacity: 1; color: inherit; }
button:focus-visible, [role="slider"]:focus-visible { outline: 3px solid #E69F00; outline-offset: 2px; }
</style>"""  # noqa: E501


def display_defaults() -> dict[str, str]:
    """URL key -> the default of each Display choice (a link leaves those out)."""
    return {key: default for key, (_, default, _) in CHOICES.items()}


def _choice(key: str) -> str:
    options, default, _ = CHOICES[key]
    value = state.held_value(key)
    return value if value in options else default


def current_display() -> Display:
    """The display this session draws in: its Display choices (read before or after the
    sidebar draws them) and the theme the browser shows the page in."""
    try:
        dark = st.context.theme.type == "dark"
    except Exception:  # no browser context (bare mode)
        dark = False
    return Display(
        projector=_choice(state.DISPLAY) == "projector",
        dark=dark,
        palette=Palette(_choice(state.DIVERGING), _choice(state.SEQUENTIAL)),
    )


def html_view(markup: str) -> None:
    """An HTML view (``ui.views.html``) in the session's colour maps."""
    st.markdown(recolour_html(markup, current_display().palette), unsafe_allow_html=True)


def display_controls() -> Display:
    """The sidebar's Display expander; returns the display the page draws in. A link's value
    that is not an option is dropped with a note (never echoed)."""
    bad = []
    for key, (options, default, _) in CHOICES.items():
        asked = st.query_params.get(key)
        if asked is not None and asked not in options:
            bad.append(key)
            with contextlib.suppress(KeyError, StreamlitAPIException):
                del st.query_params[key]
            state.seed(key, default, overwrite=True)
        state.carry(key, default)
    projector = _choice(state.DISPLAY) == "projector"
    with st.sidebar.expander("Display", expanded=projector or bool(bad)):
        for key in bad:
            st.info(f"The link's `{key}` is not one of this app's choices: using the default.")
        for key, (options, _, label) in CHOICES.items():
            widget = st.segmented_control if key == state.DISPLAY else st.selectbox
            widget(label, options, key=key, bind="query-params", help=HELP[key])
        st.caption(
            "Dark theme: follows your system's setting; the share box below can make a link "
            "that opens in the dark theme."
        )
    if projector:
        st.html(PROJECTOR_CSS)
    return current_display()
