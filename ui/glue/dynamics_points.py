"""The Dynamics lab's fixed and slow points (placeholder: the points helper replaces it)."""

from __future__ import annotations

import streamlit as st


def points_section(built, sm) -> None:
    st.info("Fixed and slow points: being built.")
