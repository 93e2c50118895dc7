"""A visitor's session across runs and pages: widget values kept between pages, and a toast that survives a rerun."""

from __future__ import annotations

import streamlit as st

_TOAST_KEY = "toast_after_rerun"  # the message rerun_saying leaves for the next run


def rerun_saying(message: str) -> None:
    """Run the app again, as st.rerun does, and say ``message`` in a toast on the new run: a toast sent just
    before st.rerun is gone when the new run ends (Streamlit issue #7740)."""
    st.session_state[_TOAST_KEY] = message
    st.rerun()


def pending_toast_ui() -> None:
    """The toast of rerun_saying, on the run after it; call it on every run."""
    message = st.session_state.pop(_TOAST_KEY, None)
    if message:
        st.toast(message)


def remembered(key: str, default) -> None:
    """Make the widget with this ``key`` keep its value when the visitor goes to another page and back.

    Streamlit forgets the state of a widget that a run does not draw, so the value is copied aside on every
    run and handed back on the return. Call it just before drawing the widget, and give the widget no
    default of its own (``default`` here is the first value).
    """
    copy = f"remembered_{key}"
    if key in st.session_state:
        st.session_state[copy] = st.session_state[key]
    else:
        st.session_state[key] = st.session_state.get(copy, default)
