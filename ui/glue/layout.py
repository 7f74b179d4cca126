"""Small pieces of page layout every page uses the same way."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException

NARROW_PX = 1100  # below this window width (projectors, small laptops) the sidebar starts folded

# Streamlit folds the sidebar by itself only below 768 px ("auto"), and the server cannot know
# the window's width: at 1024 px the open sidebar took 30% of the page. So the browser decides,
# once per tab: below NARROW_PX it folds the sidebar as if its button were pressed, unless the
# person has opened or closed it before (Streamlit keeps that choice in localStorage under
# "stSidebarCollapsed-…"). The fold is not written into that choice, so a wide window later
# starts with the sidebar open again. The only JavaScript the app adds (issue 18).
_FOLD_SIDEBAR = f"""
<script id="rnnx-fold-sidebar">
(() => {{
  const doc = window.parent?.document ?? document;
  const store = window.parent?.localStorage ?? localStorage;
  const tab = window.parent?.sessionStorage ?? sessionStorage;
  if ((window.parent ?? window).innerWidth >= {NARROW_PX} || tab.getItem("rnnx-sidebar-folded")) {{
    return;
  }}
  const chosen = () => Object.keys(store).filter((k) => k.startsWith("stSidebarCollapsed-"));
  if (chosen().length) return;
  const button = doc.querySelector('[data-testid="stSidebarCollapseButton"] button');
  const sidebar = doc.querySelector('[data-testid="stSidebar"]');
  if (!button || sidebar?.getAttribute("data-collapsed") !== "false") return;
  tab.setItem("rnnx-sidebar-folded", "1");
  button.click();
  setTimeout(() => chosen().forEach((k) => store.removeItem(k)), 0);
}})();
</script>
"""


STACK_BELOW_PX = 700  # a row of charts narrower than this puts its charts one under another

# Button labels wrap instead of ending in "…". Side-by-side charts in a narrow row (Train's
# pairs beside its settings, with the sidebar open) were ≈ 250 px wide: titles cut, tick
# labels crowded. The server cannot know the row's width, the browser can: a row of columns
# holding a chart is a size container, and below STACK_BELOW_PX its columns take the full
# width, as Streamlit does itself on phones (its rows already wrap). Rows without a chart
# keep their columns (issue 18).
_SIZE_RULES = f"""
<style>
[data-testid="stLayoutWrapper"]:has(> [data-testid="stHorizontalBlock"]
                                    [data-testid="stPlotlyChart"]) {{
  container-type: inline-size;
}}
/* a button's label too long for its column wraps onto a second line: Streamlit ended it in
   "…" ("Clipping r…" in the gradient lab's row of five at 1024 px with the sidebar open) */
[data-testid^="stBaseButton"] [data-testid="stMarkdownContainer"],
[data-testid^="stBaseButton"] [data-testid="stMarkdownContainer"] p {{
  white-space: normal;
  text-overflow: clip;
}}
/* the empty element that holds the script of _FOLD_SIDEBAR: no gap for it */
[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] > script#rnnx-fold-sidebar) {{
  display: none;
}}
@container (max-width: {STACK_BELOW_PX}px) {{
  [data-testid="stHorizontalBlock"]:has([data-testid="stPlotlyChart"]) > [data-testid="stColumn"] {{
    min-width: 100%;
  }}
}}
</style>
"""


def fit_narrow_screens() -> None:
    """The app's size rules, drawn by every page before anything else: the sidebar starts
    folded below NARROW_PX, button labels wrap, narrow rows of charts stack (the notes
    above)."""
    st.html(_SIZE_RULES)  # styles only: Streamlit gives it no space on the page
    # in the main block: a script element in the sidebar broke Learn's b/n step keys
    st.html(_FOLD_SIDEBAR, unsafe_allow_javascript=True)


def how_to_read(text: str) -> None:
    """The "How to read this" note beside a view: folded, so the view stays in front."""
    with st.expander("How to read this"):
        st.markdown(text)


def page_link(page: str, label: str, icon: str, **query) -> None:
    """A link to another page of the app that keeps the session (a plain link in Markdown
    opens a new one, and the trained model with it would be gone). A page script run on its
    own, without the router (AppTest opens one page), has no pages to link to: the label is
    shown as a caption instead."""
    try:
        st.page_link(page, label=label, icon=icon, query_params=query or None)
    except StreamlitAPIException:
        st.caption(f"{icon} {label}")
