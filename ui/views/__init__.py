"""Pure views: arrays in, plotly figures, HTML or text out (figure_kit.py holds the shared
house style; one charts_*.py per page). No Streamlit. See docs/ARCHITECTURE.md, "Layers"."""
