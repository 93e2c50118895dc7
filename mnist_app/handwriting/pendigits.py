"""Real pen-drawn digits (UCI pendigits, original trajectories) and how to draw them like a user would.

Each digit is the path of a stylus on a 500x500 tablet. Replaying the path on an image, with a round
pen of a chosen width, gives what a person drawing that digit on the app's canvas produces. This is
how the project measures accuracy on real handwriting, and what it can add to training.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mnist_app.files import save_arrays_atomically
from mnist_app.handwriting.conventions import apply_convention, conventions_for, writer_style
from mnist_app.reading.preprocess import model_input
from mnist_app.threads import in_threads

TABLET_SIZE = 500  # the tablet's coordinates run from 0 to 500 on both axes


@dataclass(frozen=True)
class PenDigit:
    label: int
    writer: int
    strokes: tuple[np.ndarray, ...]  # each (K, 2) float32 points (x, y), y growing downwards as on a screen
    source: str = "pendigits"  # the data set: "pendigits" (UCI, writers 1-44) or "ujipen" (ujipen.py, writers 1-60)


def read_pendigits(path: str | Path) -> list[PenDigit]:
    """Parse a UNIPEN-like pendigits file (``pendigits-orig.tra`` or ``.tes``) into digits."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    digits: list[PenDigit] = []
    label = writer = None
    strokes: list[np.ndarray] = []
    points: list[tuple[int, int]] | None = None

    def finish_digit() -> None:
        if label is not None and strokes:
            digits.append(PenDigit(label, writer, tuple(strokes)))

    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith(".SEGMENT"):
            finish_digit()
            label, strokes = int(line.rsplit('"', 2)[1]), []
        elif line.startswith(".COMMENT"):
            writer = int(line.split()[2])
        elif line.startswith(".PEN_DOWN"):
            points = []
        elif line.startswith(".PEN_UP"):
            if points:
                tablet = np.array(points, dtype=np.float32)
                tablet[:, 1] = TABLET_SIZE - tablet[:, 1]  # tablet y grows upwards, screen y downwards
                strokes.append(tablet)
            points = None
        elif points is not None and line:
            x, y = line.split()
            points.append((int(x), int(y)))
    finish_digit()
    return digits


def draw_strokes(
    strokes: tuple[np.ndarray, ...] | list[np.ndarray],
    canvas_size: tuple[int, int] = (280, 280),
    height: float = 200,
    centre: tuple[float, float] | None = None,
    stroke_width: int = 18,
) -> np.ndarray:
    """Draw tablet strokes as white ink on a black (H, W) uint8 canvas, like the app's drawing canvas.

    The digit is scaled to ``height`` pixels (keeping its aspect ratio, and never wider than the
    canvas), its bounding box centred on ``centre`` (default: the canvas centre), with a round pen of
    ``stroke_width`` pixels and anti-aliased edges.
    """
    canvas_height, canvas_width = canvas_size
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    extent = np.maximum(high - low, 1.0)
    scale = min(height / extent[1], 0.95 * canvas_width / extent[0])
    if centre is None:
        centre = (canvas_width / 2, canvas_height / 2)
    offset = np.asarray(centre, dtype=np.float32) - scale * (low + high) / 2
    canvas = np.zeros((canvas_height, canvas_width), dtype=np.uint8)
    shift = 4  # sub-pixel precision: coordinates in 1/16 pixel
    for stroke in strokes:
        path = np.round((stroke * scale + offset) * (1 << shift)).astype(np.int32)
        if len(path) == 1:
            path = np.concatenate([path, path])
        cv2.polylines(canvas, [path.reshape(-1, 1, 2)], isClosed=False, color=255, thickness=stroke_width, lineType=cv2.LINE_AA, shift=shift)
    return canvas


def draw_like_a_user(digit: PenDigit, rng: np.random.Generator, canvas_size: tuple[int, int] = (280, 280)) -> np.ndarray:
    """Draw ``digit`` as a random user would on the canvas: any size from small to large, anywhere, any pen.

    Heights span 30% to 85% of the canvas, pens 10 to 30 pixels (the canvas's stroke-width range),
    and the digit sits anywhere it fits.
    """
    canvas_height, canvas_width = canvas_size
    stroke_width = int(rng.integers(10, 31))
    room_x, room_y = canvas_width - stroke_width - 10, canvas_height - stroke_width - 10  # the pen stays inside
    height = min(rng.uniform(0.30, 0.85) * canvas_height, room_y)
    points = np.concatenate(digit.strokes)
    extent = np.maximum(points.max(axis=0) - points.min(axis=0), 1.0)
    width = min(height * extent[0] / extent[1], room_x)
    height = width * extent[1] / extent[0]
    margin_x = (canvas_width - width - stroke_width) / 2 - 4  # anti-aliasing adds a pixel or two
    margin_y = (canvas_height - height - stroke_width) / 2 - 4
    centre = (
        canvas_width / 2 + rng.uniform(-1, 1) * max(margin_x, 0),
        canvas_height / 2 + rng.uniform(-1, 1) * max(margin_y, 0),
    )
    return draw_strokes(digit.strokes, canvas_size, height=height, centre=centre, stroke_width=stroke_width)


def write_on_paper(
    digits: list[PenDigit], rng: np.random.Generator, digit_height: float | None = None,
    spacing: tuple[float, float] = (0.15, 0.5),
) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A phone photo of ``digits`` written left to right in dark ink on paper: (H, W, 3) uint8 RGB and boxes.

    The space between neighbouring digits is drawn from ``spacing``, in digit heights (below 0 they overlap).
    The photo has what real ones have: a paper tint, light falling off across the sheet and a soft
    shadow, sometimes ruled lines, a slight rotation, sensor noise, a little blur and JPEG compression.
    The boxes are (x, y, width, height) of each digit's ink before the rotation.
    """
    digit_height = digit_height or rng.uniform(60, 110)
    pen = max(2, round(digit_height * rng.uniform(0.05, 0.10)))
    glyphs = []
    for digit in digits:
        points = np.concatenate(digit.strokes)
        extent = np.maximum(points.max(axis=0) - points.min(axis=0), 1.0)
        height = digit_height * rng.uniform(0.9, 1.1)
        width = min(height * extent[0] / extent[1], 1.2 * digit_height)
        glyphs.append((digit, width * extent[1] / extent[0], width))
    gaps = [digit_height * rng.uniform(*spacing) for _ in digits]
    margin = round(digit_height * 0.8)
    canvas_width = round(2 * margin + sum(width for _, _, width in glyphs) + sum(gaps[:-1]) + pen * len(glyphs))
    canvas_height = round(2 * margin + digit_height * 1.2)
    ink = np.zeros((canvas_height, canvas_width), dtype=np.uint8)
    boxes = []
    x = float(margin)
    baseline = margin + digit_height * 1.1
    for (digit, height, width), gap in zip(glyphs, gaps):
        centre = (x + width / 2 + pen / 2, baseline - height / 2 + rng.uniform(-0.05, 0.05) * digit_height)
        layer = draw_strokes(digit.strokes, (canvas_height, canvas_width), height=height, centre=centre, stroke_width=pen)
        ink = np.maximum(ink, layer)
        rows, columns = np.nonzero(layer)
        boxes.append((int(columns.min()), int(rows.min()), int(np.ptp(columns) + 1), int(np.ptp(rows) + 1)))
        x += width + pen + gap
    return _photograph(ink, rng), boxes


def _photograph(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(H, W) uint8 ink mask -> (H, W, 3) uint8 photo of that ink on a lit sheet of paper."""
    height, width = ink.shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    paper = np.array([rng.uniform(215, 250), rng.uniform(210, 245), rng.uniform(195, 240)], dtype=np.float32)
    # Light falling off across the sheet, and a soft shadow (a hand, a phone) somewhere on it.
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xs / width + np.sin(angle) * ys / height)
    light = 1 - rng.uniform(0.1, 0.35) * (ramp - ramp.min()) / max(np.ptp(ramp), 1e-6)
    shadow_x, shadow_y = rng.uniform(0, width), rng.uniform(0, height)
    radius = rng.uniform(0.3, 0.8) * max(width, height)
    light *= 1 - rng.uniform(0.0, 0.3) * np.exp(-((xs - shadow_x) ** 2 + (ys - shadow_y) ** 2) / (2 * radius**2))
    photo = paper[np.newaxis, np.newaxis, :] * light[..., np.newaxis]
    if rng.random() < 0.4:  # ruled paper: thin pale blue lines
        spacing = rng.uniform(0.35, 0.6) * height
        for row in np.arange(rng.uniform(0, spacing), height, spacing):
            cv2.line(photo, (0, int(row)), (width - 1, int(row)), (150, 170, 210), 1, cv2.LINE_AA)
    ink_colour = np.array([rng.uniform(10, 60), rng.uniform(10, 60), rng.uniform(30, 110)], dtype=np.float32)
    cover = (ink.astype(np.float32) / 255)[..., np.newaxis] * rng.uniform(0.75, 1.0)
    photo = photo * (1 - cover) + ink_colour * light[..., np.newaxis] * cover
    rotation = cv2.getRotationMatrix2D((width / 2, height / 2), rng.uniform(-4, 4), 1.0)
    photo = cv2.warpAffine(photo, rotation, (width, height), borderMode=cv2.BORDER_REPLICATE)
    photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(0.3, 1.2))
    photo += rng.normal(0, rng.uniform(2, 8), photo.shape).astype(np.float32)
    photo = np.clip(photo, 0, 255).astype(np.uint8)
    quality = int(rng.integers(55, 92))
    encoded = cv2.imencode(".jpg", cv2.cvtColor(photo, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])[1]
    return cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def pen_training_set(
    digits: list[PenDigit], renders: int, seed: int, cache_dir: Path | None = None,
    convention_renders: int = 0, report: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Model inputs made from pen-drawn digits (pen_sources.training_digits), to train on alongside MNIST.

    Each digit is drawn ``renders`` times like a user would: first as its writer wrote it, then in other
    writers' styles (conventions.writer_style), every third drawing as a paper photo. A digit that a writing
    convention applies to (conventions.CONVENTIONS) is drawn ``convention_renders`` more times with one of them.
    Every drawing goes through the app's own preprocessing, so the model learns from exactly what it will
    see. Returns uint8 images (N, 28, 28) and labels (N,). Drawing 25,000 takes about a minute and a half
    on 2 cores, so with ``cache_dir`` the result is kept there, keyed by the digits' strokes and everything
    else that shapes it. ``report(done, total)`` is told how many drawings are done while they are drawn
    (not when they come from the cache).
    """
    key = cache_key(None, digits_digest(digits), renders, seed, convention_renders)
    cache = cache_dir / f"pen-{key}.npz" if cache_dir is not None else None
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as cached:
            return cached["images"], cached["labels"]
    jobs = [(index, render, False) for index in range(len(digits)) for render in range(renders)]
    jobs += [(index, renders + extra, True) for index, digit in enumerate(digits) if conventions_for(digit.label)
             for extra in range(convention_renders)]
    drawn = in_threads(lambda job: _draw(digits[job[0]], seed, *job), jobs, report)
    kept = [(image, digits[index].label) for image, (index, _, _) in zip(drawn, jobs) if image is not None]
    images = np.stack([image for image, _ in kept])
    labels = np.array([label for _, label in kept], dtype=np.uint8)
    if cache is not None:
        save_arrays_atomically(cache, images=images, labels=labels)
    return images, labels


def digits_digest(digits: list[PenDigit]) -> str:
    """A digest of the digits, in order: their labels, writers, sources and every stroke's points."""
    digest = hashlib.sha256()
    for digit in digits:
        digest.update(f"{digit.label} {digit.writer} {digit.source} {len(digit.strokes)};".encode())
        for stroke in digit.strokes:
            digest.update(np.ascontiguousarray(stroke, dtype=np.float32).tobytes() + b";")
    return digest.hexdigest()


def _draw(digit: PenDigit, seed: int, index: int, render: int, convention: bool) -> np.ndarray | None:
    """The ``render``-th drawing of the ``index``-th digit, as the uint8 28x28 model input (None if no ink)."""
    rng = np.random.default_rng([seed, index, render])
    strokes = digit.strokes
    if convention:
        names = conventions_for(digit.label)
        strokes = apply_convention(names[int(rng.integers(len(names)))], strokes, rng) or strokes
    if render > 0:
        strokes = writer_style(strokes, rng)
    styled = PenDigit(digit.label, digit.writer, strokes, digit.source)
    image = write_on_paper([styled], rng)[0] if render % 3 == 2 else draw_like_a_user(styled, rng)
    digit = model_input(image)
    return np.round(digit * 255).astype(np.uint8) if digit is not None else None


def cache_key(path: str | Path | None, *settings) -> str:
    """A digest of the file, the settings and the code that draws and preprocesses: every module of the
    handwriting and reading packages, found by folder so that a module added or renamed is not missed."""
    digest = hashlib.sha256(Path(path).read_bytes() if path is not None else b"")
    digest.update(repr([sorted(value) if isinstance(value, set) else value for value in settings]).encode())
    package = Path(__file__).resolve().parent.parent
    for source in sorted([*(package / "handwriting").glob("*.py"), *(package / "reading").glob("*.py")]):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:20]
