"""A drawing's history on the Draw page's canvas, for Undo and Redo, and the fitting of a drawing to a
canvas of another size. Plain Python on the Fabric.js objects the canvas reports: no Streamlit here, so that
it can be tested alone (ui/canvas.py draws the canvas and its buttons). Also the pen strokes of a drawing,
as a correction keeps them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

HISTORY_STEPS = 50  # how many earlier drawings Undo can go back to
FIT_MARGIN = 0.9  # a drawing moved to a smaller canvas fills at most this share of it

Strokes = list[dict[str, Any]]  # Fabric.js objects, as the canvas reports them


@dataclass
class DrawingHistory:
    """The strokes on the canvas now, the drawings before and after them (for Undo and Redo), and what was
    last handed to the canvas to load. Plain Python: no Streamlit in here."""

    strokes: Strokes = field(default_factory=list)
    past: list[Strokes] = field(default_factory=list)
    future: list[Strokes] = field(default_factory=list)
    loaded: Strokes = field(default_factory=list)  # the canvas's initial drawing
    loads: int = 0  # counts the drawings handed over: a new count makes the canvas load ``loaded`` again
    pending: bool = False  # a drawing was handed over and the canvas has not reported it yet
    # The last image the canvas reported, of the strokes now on it. A canvas that loads a drawing when it is
    # first drawn does not report it until the next stroke: until then, this is what there is to read.
    picture: Any = None

    def load(self, strokes: Strokes) -> None:
        self.strokes, self.loaded, self.loads, self.pending = strokes, strokes, self.loads + 1, True

    def seen(self, reported: Strokes) -> bool:
        """Take the drawing the canvas reports; False while it still shows what it had before a load.

        With the pen the canvas only ever adds strokes, so a drawing is new when its count of strokes is.
        """
        if self.pending:
            if len(reported) != len(self.loaded):
                return False
            self.pending = False
            return True
        if len(reported) != len(self.strokes):
            self._step(reported)
        return True

    def undo(self) -> None:
        self.future.append(self.strokes)
        self.load(self.past.pop())

    def redo(self) -> None:
        self.past.append(self.strokes)
        self.load(self.future.pop())

    def clear(self) -> None:
        self._step([])
        self.load([])

    def _step(self, strokes: Strokes) -> None:
        self.past = [*self.past, self.strokes][-HISTORY_STEPS:]
        self.future = []
        self.strokes = strokes


def fit_strokes(strokes: Strokes, width: int, height: int) -> Strokes:
    """``strokes`` moved and scaled to lie inside a ``width`` x ``height`` canvas, if they do not already
    (a number drawn on the wide canvas, shown on the square one; a canvas narrower after a rotation)."""
    if not strokes:
        return strokes
    boxes = [_box(stroke) for stroke in strokes]
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[2] for b in boxes), max(b[3] for b in boxes)
    if left >= 0 and top >= 0 and right <= width and bottom <= height:
        return strokes
    scale = min(1.0, FIT_MARGIN * width / (right - left), FIT_MARGIN * height / (bottom - top))
    # The drawing's centre goes to the canvas's centre.
    shift_x, shift_y = width / 2 - scale * (left + right) / 2, height / 2 - scale * (top + bottom) / 2
    return [
        {**stroke, "left": stroke["left"] * scale + shift_x, "top": stroke["top"] * scale + shift_y,
         "scaleX": stroke.get("scaleX", 1) * scale, "scaleY": stroke.get("scaleY", 1) * scale}
        for stroke in strokes
    ]


def _box(stroke: dict[str, Any]) -> tuple[float, float, float, float]:
    # A Fabric object's left/top is the point its origin names (the centre, for the canvas's paths); its
    # width and height leave out the stroke's own width.
    width = (stroke.get("width", 0) + stroke.get("strokeWidth", 0)) * stroke.get("scaleX", 1)
    height = (stroke.get("height", 0) + stroke.get("strokeWidth", 0)) * stroke.get("scaleY", 1)
    origin = {"left": 0.0, "top": 0.0, "center": 0.5, "right": 1.0, "bottom": 1.0}
    left = stroke.get("left", 0) - origin[stroke.get("originX", "left")] * width
    top = stroke.get("top", 0) - origin[stroke.get("originY", "top")] * height
    return left, top, left + width, top + height


def pen_strokes(strokes: Strokes) -> list[np.ndarray]:
    """The canvas's Fabric paths as pen strokes: one (K, 2) float32 array of canvas pixels per path.

    A freehand path lists its points in the canvas's coordinates as it was drawn ("M", then "Q" curves,
    then "L"); once the path has been moved or scaled (a drawing fitted to another canvas), its left/top
    and scale say where it is now, about the centre of its points.
    """
    paths = []
    for stroke in strokes:
        points = np.array([command[-2:] for command in stroke.get("path", []) if len(command) >= 3], dtype=np.float32)
        if not len(points):
            continue
        centre = (points.min(axis=0) + points.max(axis=0)) / 2
        scale = np.array([stroke.get("scaleX", 1), stroke.get("scaleY", 1)], dtype=np.float32)
        left, top, right, bottom = _box(stroke)
        paths.append((points - centre) * scale + np.array([(left + right) / 2, (top + bottom) / 2], dtype=np.float32))
    return paths


def strokes_in_box(paths: list[np.ndarray], box: tuple[int, int, int, int]) -> list[np.ndarray]:
    """The pen strokes that belong to the digit in ``box`` (x, y, width, height): those with most of
    their points inside it, a little enlarged (the pen's width reaches past the ink's centre line)."""
    x, y, width, height = box
    margin = 0.1 * max(width, height)
    low, high = np.array([x - margin, y - margin]), np.array([x + width + margin, y + height + margin])
    return [path for path in paths if np.mean(np.all((path >= low) & (path <= high), axis=1)) > 0.5]
