"""Entry point of the Streamlit app: `streamlit run app.py`. Navigation and the shared sidebar; nothing else."""

from pathlib import Path

import streamlit as st

# The browser tab's icon is served by the app: a Material icon name here would be fetched from Google's
# font server, which an offline machine cannot reach.
st.set_page_config(page_title="Handwritten digits", page_icon=str(Path(__file__).parent / "ui" / "icon.png"), layout="wide")

navigation = st.navigation(
    [
        st.Page("app_pages/draw.py", title="Draw", icon=":material/draw:", default=True),
        st.Page("app_pages/upload.py", title="Upload a photo", icon=":material/photo_camera:"),
        st.Page("app_pages/dataset.py", title="Dataset", icon=":material/grid_view:"),
        st.Page("app_pages/training.py", title="Training", icon=":material/monitoring:"),
        st.Page("app_pages/evaluation.py", title="Evaluation", icon=":material/fact_check:"),
        st.Page("app_pages/inside.py", title="Inside the model", icon=":material/neurology:"),
        st.Page("app_pages/corrections.py", title="Corrections", icon=":material/rate_review:"),
    ]
)

# Imported after the navigation is drawn: this loads TensorFlow, which takes seconds on a fresh server, and
# the visitor sees the pages meanwhile.
from ui.common import pending_toast_ui, sidebar_ui  # noqa: E402

sidebar_ui()
pending_toast_ui()
navigation.run()
