"""What a page says when the shared database (DATABASE_URL) cannot be used: one clear message, no traceback."""

from __future__ import annotations

import streamlit as st

from mnist_app.database import DatabaseError


def database_away_ui(error: DatabaseError) -> None:
    """Say what cannot work until the database is back, and what still does."""
    st.warning(f"The shared database cannot be used right now: {error}. Corrections, training and choosing the active "
               "version work again as soon as it is back (reload then); drawing and reading digits work meanwhile.",
               icon=":material/cloud_off:")
