"""Small pieces of page layout every page uses the same way."""

from __future__ import annotations

import streamlit as st


def how_to_read(text: str) -> None:
    """The "How to read this" note beside a view: folded, so the view stays in front."""
    with st.expander("How to read this"):
        st.markdown(text)
