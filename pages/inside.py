"""Inside the model: why it read what it read, what each layer sees, and what every version reads, for the
visitor's drawing or photo, any MNIST test image, or a mistake picked on the Evaluation page."""

from ui.navigation import through_app

through_app()  # before the imports below, which load TensorFlow: see ui/navigation.py

import streamlit as st

from ui.inside import arrival_ui, every_model_ui, explainer_for, layers_ui, source_choice_ui, subject_ui, usable_versions, version_choice_ui, why_ui
from ui.resources import active_model

st.title("Inside the model")
arrival_ui()
active_id = active_model().version.id
available = usable_versions()
with st.container(horizontal=True, vertical_alignment="bottom"):
    version = version_choice_ui(available, active_id)
    source = source_choice_ui()
subject = subject_ui(source, version)
explainer = explainer_for(version.path)
probabilities = explainer.probabilities(subject.image)

st.subheader("Why this answer")
why_ui(explainer, subject, probabilities)

st.subheader("What each layer sees")
layers_ui(explainer, subject)

st.subheader("Every model on this input")
every_model_ui(subject.image, available, active_id)
