"""The sidebar under the page links on every page: the active model, and a warning when it stands in for another."""

from __future__ import annotations

import streamlit as st

from ui.resources import active_model


def model_sidebar_ui() -> None:
    """The active model's name, test accuracy and date on every page, and a warning if it stands in."""
    try:
        model = active_model()
    except Exception as error:  # noqa: BLE001  (not even the shipped model loads: nothing can work)
        st.error(f"No model could be loaded: {error}. Check the models folder (see the README).", icon=":material/error:")
        st.stop()
    card = model.card
    with st.sidebar:
        st.caption("Active model")
        st.markdown(f"**{model.version.id}** · {card['name'].upper()}")
        st.metric("MNIST test accuracy", f"{card['test']['accuracy']:.2%}")
        st.caption(f"Trained {card['created'][:10]} · {card['parameters']:,} parameters")
    if model.problem:
        st.warning(model.problem, icon=":material/warning:")
