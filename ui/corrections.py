"""The "Wrong? It is: 0 1 2 ... 9" control beside a reading, on the Draw and Upload pages.

Pressing a digit stores the sample (mnist_app.corrections) and says so in one line, with Undo; nothing is
stored unless the visitor presses one. What is stored: the 28x28 input and the crop of the digit, what the
model read and how sure it was, the model version, and for a drawing its pen strokes; the browser session
is named by a random id made here, never by an address or a file name.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Callable

import numpy as np
import streamlit as st

from mnist_app.config import Paths
from mnist_app.corrections import CorrectionRefused, CorrectionsError, CorrectionStore
from ui.common import a_digit

_SESSION_KEY = "corrections_session"  # the random id of this browser session
_STORED_KEY = "corrections_stored"  # {control key: (correction id, label)} of what this session stored
DIGITS = list(range(10))


def correction_store() -> CorrectionStore:
    return CorrectionStore(Paths.from_env().corrections_file)


def session_id() -> str:
    """A random id for this browser session, made on its first correction."""
    return st.session_state.setdefault(_SESSION_KEY, secrets.token_hex(8))


def correct_ui(key: str, digit, model_version: str, source: str, strokes: list[np.ndarray] | None = None,
               label: str = "Wrong? It is:") -> None:
    """The control for one digit read (a recognize.DigitReading): ten digits to press, or, once pressed,
    what was stored and Undo. ``key`` names this reading (a new drawing or photo gets a new key)."""
    stored = st.session_state.setdefault(_STORED_KEY, {})
    if key in stored:
        correction_id, given = stored[key]
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.caption(f":material/check_circle: Kept as {a_digit(given, bold=True)}, to teach the next retrain. Thank you.")
            if st.button("Undo", icon=":material/undo:", key=f"{key}_undo", type="tertiary"):
                _undo(key, correction_id)
        return
    chosen = st.pills(label, DIGITS, key=f"{key}_pills", selection_mode="single")
    if chosen is None:
        return
    try:
        correction_id = correction_store().add(
            session=session_id(), label=int(chosen), predicted=-1 if digit.not_a_digit else int(digit.digit),
            confidence=float(digit.confidence), model_version=model_version, source=source,
            model_input=digit.model_input, crop=digit.crop, strokes=strokes)
    except CorrectionRefused as error:
        st.warning(f"Not kept: {error}.", icon=":material/block:")
        return
    except CorrectionsError as error:
        st.error(f"Corrections cannot be kept right now: {error}.", icon=":material/database_off:")
        return
    stored[key] = (correction_id, int(chosen))
    st.rerun()


def correct_digits_ui(reading, image: np.ndarray, prefix: str, model_version: str, source: str,
                      strokes_of: Callable[[tuple[int, int, int, int]], list[np.ndarray]] | None = None) -> None:
    """A correction control for each digit of a number, folded away until wanted. ``strokes_of(box)``
    gives a drawing's pen strokes inside a digit's box."""
    from ui.common import ordinal, pixels_ui

    stored = st.session_state.get(_STORED_KEY, {})
    keys = reading_keys(prefix, image, len(reading.digits))
    with st.expander("Read wrong? Say what a digit is", icon=":material/edit:", expanded=any(key in stored for key in keys)):
        for number, (key, digit) in enumerate(zip(keys, reading.digits), start=1):
            with st.container(horizontal=True, vertical_alignment="center"):
                pixels_ui(digit.model_input, size=42)
                correct_ui(key, digit, model_version, source, strokes_of(digit.box) if strokes_of else None,
                           label=f"The {ordinal(number)} digit, read as {digit.digit}, is:")


def _undo(key: str, correction_id: int) -> None:
    try:
        correction_store().remove(correction_id, session=session_id())
    except CorrectionsError as error:
        st.error(f"The correction could not be taken back: {error}.", icon=":material/database_off:")
        return
    del st.session_state[_STORED_KEY][key]
    st.session_state.pop(f"{key}_pills", None)
    st.rerun()


def reading_keys(prefix: str, image: np.ndarray, count: int) -> list[str]:
    """Keys for the controls of the ``count`` digits read from ``image``: the same while the image is, new
    ones for a new drawing or photo (so a control pressed for one is not shown pressed for the next). The
    image is digested once, whatever the count: a photo's pixels are megabytes."""
    digest = f"{zlib.crc32(np.ascontiguousarray(image).tobytes()):08x}"
    return [f"{prefix}_{digest}_{index}" for index in range(count)]
