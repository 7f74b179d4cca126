"""The Dynamics lab's RNNbow view (placeholder: the RNNbow helper replaces it)."""

from __future__ import annotations

import streamlit as st


def rnnbow_section(built, sm) -> None:
    st.info("Where the gradient comes from: being built.")
