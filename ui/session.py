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


def remembered(key: str, default):
    """The value to give the widget with this ``key`` as its default (``value=``, ``default=``), so that it
    keeps its value when the visitor goes to another page and back: ``default`` the first time.

    Streamlit forgets the state of a widget that a run does not draw, so the value is copied aside on every
    run and handed back, on the return, as the new widget's default. A default, unlike a value written into
    st.session_state, reaches a widget the browser draws only later (one in a popover): the Draw page's pen
    width slider showed 8, its minimum, while strokes were drawn 18 wide, until it was opened.
    """
    copy = f"remembered_{key}"
    if key in st.session_state:
        st.session_state[copy] = st.session_state[key]
        return st.session_state[key]
    return st.session_state.get(copy, default)
