"""Pure app services: the training run, limits, uploads and downloads, the settings table,
the fair-share gate. No Streamlit, no plotly. See docs/ARCHITECTURE.md, "Layers"."""
