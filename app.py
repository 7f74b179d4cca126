"""RNN Explorer: the router. Run with ``streamlit run app.py``.

Explore is served twice: as the hidden default page (the app root) and at ``/explore``, the
canonical link. Streamlit serves its default page only at the root, so a shared
``/explore?sentence=…`` link needs a page of its own with that url_path.
"""

import streamlit as st

from ui.services.runtime import configure_process

configure_process()  # one BLAS thread, calmer malloc: once per server process
st.set_page_config(page_title="RNN Explorer", page_icon="🔁", layout="wide")
EXPLORE = "app_pages/explore.py"
st.navigation(
    [
        st.Page(EXPLORE, title="Explore", url_path="home", default=True, visibility="hidden"),
        st.Page(EXPLORE, title="Explore", url_path="explore"),
        st.Page("app_pages/train.py", title="Train", url_path="train"),
        st.Page("app_pages/gradients.py", title="Gradient lab", url_path="gradients"),
        st.Page("app_pages/dynamics.py", title="Dynamics lab", url_path="dynamics"),
        st.Page("app_pages/compare.py", title="Compare", url_path="compare"),
        st.Page("app_pages/learn.py", title="Learn", url_path="learn"),
    ]
).run()
