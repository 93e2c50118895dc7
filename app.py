"""Entry point of the Streamlit app: `streamlit run app.py`. Navigation and the shared sidebar; nothing else."""

import streamlit as st

from pages.common import sidebar_ui

st.set_page_config(page_title="Handwritten digits", page_icon=":material/draw:", layout="wide")

navigation = st.navigation(
    [
        st.Page("pages/draw.py", title="Draw", icon=":material/draw:", default=True),
        st.Page("pages/upload.py", title="Upload a photo", icon=":material/photo_camera:"),
        st.Page("pages/dataset.py", title="Dataset", icon=":material/grid_view:"),
        st.Page("pages/training.py", title="Training", icon=":material/monitoring:"),
        st.Page("pages/evaluation.py", title="Evaluation", icon=":material/fact_check:"),
    ]
)
sidebar_ui()
navigation.run()
