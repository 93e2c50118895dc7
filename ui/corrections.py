"""Corrections in the UI: the "Wrong? It is: 0 1 2 ... 9" control beside a reading, on the Draw and Upload
pages, and the review table of the Corrections page.

Pressing a digit stores the sample (mnist_app.corrections) and says so in one line, with Undo; nothing is
stored unless the visitor presses one. What is stored: the 28x28 input and the crop of the digit, what the
model read and how sure it was, the model version, and for a drawing its pen strokes; the browser session
is named by a random id made here, never by an address or a file name.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import secrets
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

from mnist_app.config import Paths
from mnist_app.corrections import Correction, CorrectionRefused, CorrectionsError, CorrectionStore
from ui.wording import a_digit, local_time

_SESSION_KEY = "corrections_session"  # the random id of this browser session
_STORED_KEY = "corrections_stored"  # {control key: (correction id, label)} of what this session stored
DIGITS = list(range(10))


def correction_store() -> CorrectionStore:
    return CorrectionStore(Paths.from_env().corrections_location)


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
    from ui.pictures import pixels_ui
    from ui.wording import ordinal

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


def review_rows(shown: list[Correction]) -> list[dict]:
    """The Corrections page's table: a row per correction, its 28x28 input as a small picture."""
    return [{"picture": _thumbnail(c.model_input), "id": c.id, "label": c.label,
             "read as": "not a digit" if c.predicted < 0 else c.predicted, "sure": c.confidence,
             "state": c.state + (" · held out" if c.held_out and c.state == "accepted" else ""),
             "from": "drawing" if c.source == "canvas" else "photo", "model": c.model_version,
             "sent": local_time(dt.datetime.fromtimestamp(c.created, dt.UTC).isoformat())}
            for c in shown]


def review_table_key(shown: list[Correction]) -> str:
    """A key that changes with the rows. A selection is of row numbers: once the rows change (an action, a
    filter, another operator's work), the same numbers would be other corrections, so the table is a new
    one, with nothing selected."""
    return f"corrections_table_{zlib.crc32(repr([(c.id, c.label, c.state) for c in shown]).encode()):08x}"


def exported_npz(store: CorrectionStore) -> bytes:
    """The accepted corrections as an .npz, made when the button is pressed (for 1,000 it takes 0.4 s,
    benchmarks/corrections_page.py: too long to spend on every run of the page)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corrections.npz"
        store.export_npz(path)
        return path.read_bytes()


def _thumbnail(image: np.ndarray) -> str:
    """A 28x28 image as a data URL, for the table's picture column (shown at the row's height)."""
    buffer = io.BytesIO()
    Image.fromarray(image).resize((56, 56), Image.NEAREST).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
