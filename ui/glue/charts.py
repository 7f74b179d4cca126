"""The one place a chart goes on a page: :func:`show_chart` draws a plotly figure and, right
under it, its plain-text summary (``ui.views.figure_kit.summary_of``) as a caption, so a
screen reader meets the chart's words right after the chart. No page or other glue module
calls ``plotly_chart`` itself (tests/test_layering.py checks), so restyling every chart
(palettes, projector mode, the dark theme) happens here too."""

from __future__ import annotations

import re

import streamlit as st

from ui.glue.display import current_display
from ui.views.display import restyle
from ui.views.figure_kit import summary_of

_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~$])")


def caption_text(summary: str) -> str:
    """A summary as caption Markdown that shows exactly its text: Markdown's special
    characters backslash-escaped (a token "*" or "_" must not turn text italic)."""
    return _MARKDOWN.sub(r"\\\1", summary)


def show_chart(fig, *, key: str, container=None) -> None:
    """Draw ``fig`` (full width of ``container``, default the page) under ``key`` in the
    session's display (``ui.glue.display.current_display``: projector, dark theme, colour
    maps), then its summary as a caption; nothing under it when the figure has none."""
    where = st if container is None else container
    text = summary_of(fig)
    display = current_display()
    if not display.is_default:  # projector, dark theme or another colour map
        fig = restyle(fig.to_plotly_json() if hasattr(fig, "to_plotly_json") else fig, display)
    where.plotly_chart(fig, key=key, width="stretch")
    if text:
        where.caption(caption_text(text))
