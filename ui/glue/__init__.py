"""Streamlit glue: the only ui code that imports Streamlit — the session's state (state.py,
its one owner), widgets drawn from the settings table, the sidebar, the share link, and the
panels the pages place. See docs/ARCHITECTURE.md, "Layers"."""
