"""The Dynamics lab's memory views (placeholder: the memory helper replaces it)."""

from __future__ import annotations

import streamlit as st


def memory_section() -> None:
    st.info("Memory horizon and time constants: being built.")
