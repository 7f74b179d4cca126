"""Streamlit-side helpers shared by the pages (see ARCHITECTURE.md §1)."""
