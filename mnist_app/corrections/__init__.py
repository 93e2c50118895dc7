"""Corrections users send, kept for review and retraining: the store (store.py) on SQLite or PostgreSQL (backends.py)."""

from mnist_app.corrections.backends import SCHEMA_VERSION, CorrectionsError
from mnist_app.corrections.store import (
    HELD_OUT_SHARE,
    SESSION_LIMIT,
    SESSION_WINDOW_S,
    SOURCES,
    STATES,
    TOTAL_CAP,
    Correction,
    CorrectionRefused,
    CorrectionStore,
    is_held_out,
)

__all__ = ["HELD_OUT_SHARE", "SCHEMA_VERSION", "SESSION_LIMIT", "SESSION_WINDOW_S", "SOURCES", "STATES", "TOTAL_CAP", "Correction",
           "CorrectionRefused", "CorrectionStore", "CorrectionsError", "is_held_out"]
