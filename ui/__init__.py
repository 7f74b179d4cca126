"""What the pages share, in three kinds (docs/ARCHITECTURE.md, "Layers"):

- ``ui.glue`` — the only ui code that imports Streamlit: the session's state, widgets drawn
  from the settings table, the sidebar, the share link, the panels the pages draw;
- ``ui.views`` — pure: figures, HTML and text built from arrays;
- ``ui.services`` — pure: the training run, limits, uploads and downloads, the settings table.
"""
