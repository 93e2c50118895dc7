"""Corrections: digits that users said the model read wrong, kept in a database until an operator accepts (or
relabels, or deletes) them and a retrain learns from the accepted ones.

The database (``Paths.corrections_location``) is PostgreSQL when DATABASE_URL names one, else an embedded
SQLite file (CORRECTIONS_PATH, else ``corrections.sqlite`` in the runs folder); backends.py holds what
differs. Several server processes read and write it at once, each write one transaction (a writer killed in
the middle leaves the database as it was before that write). Images are
stored as PNG bytes: the 28x28 model input and the crop of the digit, never a whole photo; a drawing also
keeps its pen strokes, so that a retrain can draw it again at other sizes and pen widths. Beside each: the
label given, what the model read and how sure it was, the model version, the time and a random id of the
browser session (no address, no file name).
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_app.corrections.backends import backend_for

SOURCES = ("canvas", "photo")
STATES = ("new", "accepted")
HELD_OUT_SHARE = 0.2  # of the accepted corrections, this share is never trained on: it measures the effect
SESSION_LIMIT = 30  # corrections one browser session may store per SESSION_WINDOW_S
SESSION_WINDOW_S = 3600.0
TOTAL_CAP = 5000  # corrections kept at most (new and accepted together)

_COLUMNS = "id, label, predicted, confidence, model_version, created, session, source, state, model_input, crop, strokes"


class CorrectionRefused(ValueError):
    """A limit was reached: this session's rate, or the total the database keeps."""


@dataclass(frozen=True)
class Correction:
    """One digit a user corrected."""

    id: int
    label: int  # what the user says the digit is, 0-9
    predicted: int  # what the model read (-1: "not a digit")
    confidence: float  # how sure the model was of what it read
    model_version: str
    created: float  # time.time() when it was stored
    session: str  # a random id of the browser session that stored it
    source: str  # "canvas" or "photo"
    state: str  # "new" until an operator accepts it
    model_input: np.ndarray  # (28, 28) uint8: what the model saw
    crop: np.ndarray | None  # (h, w) uint8 ink, bright on black, as cut out of the drawing or photo
    strokes: list[np.ndarray] | None  # a drawing's pen strokes, (K, 2) float32 canvas pixels each

    @property
    def held_out(self) -> bool:
        return is_held_out(self.id)


def is_held_out(correction_id: int) -> bool:
    """Whether a correction is kept out of training, to measure what training on the others changed. Fixed
    by its id, so that a correction stays on its side as others are added."""
    digest = hashlib.sha256(f"correction-{correction_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") < HELD_OUT_SHARE * 2**32


class CorrectionStore:
    """The corrections database at ``location`` (a SQLite file's path, or a PostgreSQL URL); every method
    opens a session, does one thing in it and ends it."""

    def __init__(self, location: str | Path, session_limit: int | None = None, session_window_s: float | None = None,
                 total_cap: int | None = None):
        # The module's limits unless given, read when the store is made (so a test may change them).
        self.location = location
        self.backend = backend_for(location)
        self.session_limit = SESSION_LIMIT if session_limit is None else session_limit
        self.session_window_s = SESSION_WINDOW_S if session_window_s is None else session_window_s
        self.total_cap = TOTAL_CAP if total_cap is None else total_cap

    def add(self, *, session: str, label: int, predicted: int, confidence: float, model_version: str, source: str,
            model_input: np.ndarray, crop: np.ndarray | None = None, strokes: list[np.ndarray] | None = None) -> int:
        """Store one correction and return its id; CorrectionRefused when a limit is reached."""
        if label not in range(10):
            raise ValueError(f"label must be a digit 0-9, got {label!r}")
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
        if np.shape(model_input) != (28, 28):  # an export stacks them all: one of another shape would break it
            raise ValueError(f"model_input must be a (28, 28) image, got shape {np.shape(model_input)}")
        row = (int(label), int(predicted), float(confidence), str(model_version), time.time(), str(session), source,
               _png(model_input), None if crop is None else _png(crop), _strokes_json(strokes))
        with self.backend.session() as db, db.transaction(exclusive=True):
            recent = db.execute("SELECT COUNT(*) FROM corrections WHERE session = ? AND created > ?",
                                (session, time.time() - self.session_window_s)).fetchone()[0]
            if recent >= self.session_limit:
                raise CorrectionRefused(f"this browser session has sent {recent} corrections in the last "
                                        f"{self.session_window_s / 60:.0f} minutes, the most it may; try again later")
            total = db.execute("SELECT COUNT(*) FROM corrections").fetchone()[0]
            if total >= self.total_cap:
                raise CorrectionRefused(f"the corrections database is full ({total:,} kept); an operator has to "
                                        "review and delete some first")
            cursor = db.execute("INSERT INTO corrections (label, predicted, confidence, model_version, created, session, "
                                "source, model_input, crop, strokes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", row)
            return int(cursor.fetchone()[0])

    def remove(self, correction_id: int, session: str | None = None) -> bool:
        """Delete one correction (only if ``session`` stored it, when given: a user's undo); whether it was there."""
        query, arguments = "DELETE FROM corrections WHERE id = ?", [int(correction_id)]
        if session is not None:
            query, arguments = query + " AND session = ?", [*arguments, session]
        with self.backend.session() as db, db.transaction():
            return db.execute(query, arguments).rowcount > 0

    def list(self, *, label: int | None = None, state: str | None = None, model_version: str | None = None,
             session: str | None = None, limit: int | None = None) -> list[Correction]:
        """The corrections that match every filter given, newest first."""
        clauses, arguments = [], []
        for column, value in (("label", label), ("state", state), ("model_version", model_version), ("session", session)):
            if value is not None:
                clauses.append(f"{column} = ?")
                arguments.append(value)
        query = f"SELECT {_COLUMNS} FROM corrections" + (f" WHERE {' AND '.join(clauses)}" if clauses else "")
        query += " ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit is not None else "")
        with self.backend.session() as db:
            return [_correction(row) for row in db.execute(query, arguments)]

    def counts(self) -> dict[str, int]:
        """How many corrections there are in each state (every state named, 0 if none)."""
        with self.backend.session() as db:
            found = dict(db.execute("SELECT state, COUNT(*) FROM corrections GROUP BY state").fetchall())
        return {state: int(found.get(state, 0)) for state in STATES}

    def model_versions(self) -> list[str]:
        with self.backend.session() as db:
            return [row[0] for row in db.execute("SELECT DISTINCT model_version FROM corrections ORDER BY model_version")]

    def accept(self, ids: Iterable[int]) -> int:
        return self._update("UPDATE corrections SET state = 'accepted' WHERE id = ?", ids)

    def relabel(self, ids: Iterable[int], label: int) -> int:
        if label not in range(10):
            raise ValueError(f"label must be a digit 0-9, got {label!r}")
        return self._update(f"UPDATE corrections SET label = {int(label)} WHERE id = ?", ids)

    def delete(self, ids: Iterable[int]) -> int:
        return self._update("DELETE FROM corrections WHERE id = ?", ids)

    def export_counts(self, state: str = "accepted") -> tuple[int, int]:
        """How many corrections ``export_npz`` would write as training and as held-out ones, without reading
        their pictures."""
        with self.backend.session() as db:
            held_out = [is_held_out(row[0]) for row in db.execute("SELECT id FROM corrections WHERE state = ?", (state,))]
        return len(held_out) - sum(held_out), sum(held_out)

    def export_npz(self, path: str | Path, state: str = "accepted") -> tuple[int, int]:
        """Write the corrections in ``state`` as an .npz in Keras's MNIST layout (x_train, y_train, x_test,
        y_test; uint8, (N, 28, 28) and (N,)), the held-out ones as the test part; returns both counts."""
        chosen = self.list(state=state)
        parts = {}
        for name, held_out in (("train", False), ("test", True)):
            part = [c for c in reversed(chosen) if c.held_out == held_out]  # oldest first
            parts[f"x_{name}"] = np.stack([c.model_input for c in part]) if part else np.zeros((0, 28, 28), np.uint8)
            parts[f"y_{name}"] = np.array([c.label for c in part], dtype=np.uint8)
        with open(path, "wb") as handle:
            np.savez_compressed(handle, **parts)
        return len(parts["y_train"]), len(parts["y_test"])

    def _update(self, query: str, ids: Iterable[int]) -> int:
        with self.backend.session() as db, db.transaction():
            return sum(db.execute(query, (int(i),)).rowcount for i in ids)


def _png(image: np.ndarray) -> bytes:
    values = np.asarray(image)
    if values.dtype != np.uint8:
        values = (np.clip(values, 0, 1) * 255).round().astype(np.uint8)
    if values.ndim != 2 or values.size == 0:
        raise ValueError(f"an image to store must be a non-empty (H, W) array, got shape {values.shape}")
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _unpng(data: bytes | None) -> np.ndarray | None:
    return None if data is None else np.asarray(Image.open(io.BytesIO(data)).convert("L"))


def _strokes_json(strokes: list[np.ndarray] | None) -> str | None:
    if not strokes:
        return None
    return json.dumps([np.round(np.asarray(stroke, dtype=np.float32), 1).tolist() for stroke in strokes])


def _correction(row: tuple) -> Correction:
    *fields, model_input, crop, strokes = row
    return Correction(*fields, model_input=_unpng(model_input), crop=_unpng(crop),
                      strokes=[np.asarray(s, dtype=np.float32).reshape(-1, 2) for s in json.loads(strokes)] if strokes else None)
