"""Things people draw that are not digits: taps, dashes, scribbles, letters, symbols, mirrored and paired digits.

A model trained on digits alone answers every drawing with a digit, often a confident one: a tap reads 0,
a capital A reads 4. The training set gets these drawings too, with "not a digit" as their label, and the
loss asks the model to spread its belief evenly over the ten digits for them (outlier exposure: Hendrycks,
Mazeika and Dietterich, ICLR 2019). Its confidence then falls on things that are not digits, and the
recognizer can say so.

Everything here is made by the project itself: pen strokes it invents, OpenCV's Hershey stroke fonts, and
the pen-drawn digits of the training writers mirrored or set side by side. No handwriting collection of
letters is used. Each drawing is a 280x280 uint8 canvas, white ink on black, like the app's canvas.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from mnist_app.files import save_arrays_atomically
from mnist_app.handwriting.pendigits import PenDigit, cache_key, draw_like_a_user, read_pendigits
from mnist_app.reading.preprocess import model_input
from mnist_app.threads import in_threads

CANVAS = 280
# Letters that no common way of writing a digit resembles. Left out on purpose: O o D Q C c U u (zeros,
# closed or open), I l i j J L T ! / ( ) ^ | (ones, with and without base or flag), Z z S s $ (2 and 5),
# B & (8), b G (6), a d g q y (9 and open 4), n (an open 0).
LETTERS = "AEFHKMNPRVWXYefhkmprtvwx"
SYMBOLS = "#%@+=*?<>~"
# Hershey fonts used for training; the other two are kept for measuring, so that the benchmark's letters
# are shapes the model has not seen.
TRAINING_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX,
                  cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_PLAIN)
HELD_OUT_FONTS = (cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX)
MIRRORED = (3, 4, 7)  # digits that are no digit when mirrored (a mirrored 0, 1 or 8 still is one)
# How often each kind is made for training, in parts of the whole.
TRAINING_MIX = {"tap": 0.08, "dash": 0.10, "scribble": 0.20, "letter": 0.30, "symbol": 0.10,
                "mirrored digit": 0.10, "two digits": 0.12}
KINDS = tuple(TRAINING_MIX)


def make(kind: str, rng: np.random.Generator, pen_digits: list[PenDigit] | None = None,
         fonts: tuple[int, ...] = TRAINING_FONTS) -> np.ndarray:
    """One drawing of ``kind`` on a (280, 280) uint8 canvas; the digit kinds need ``pen_digits``."""
    pen = int(rng.integers(10, 31))  # the canvas's pen widths
    if kind == "tap":
        return _taps(rng, pen)
    if kind in ("mirrored digit", "two digits"):
        if not pen_digits:
            raise ValueError(f"{kind!r} drawings need pen-drawn digits")
        return _from_digits(kind, rng, pen_digits)
    if kind == "dash":
        return _draw_paths([_dash(rng)], rng, pen)
    if kind == "scribble":
        return _draw_paths([_scribble(rng)], rng, pen)
    if kind in ("letter", "symbol"):
        return _glyph(rng, LETTERS if kind == "letter" else SYMBOLS, fonts, pen)
    raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")


def training_drawings(count: int, rng: np.random.Generator, pen_digits: list[PenDigit] | None) -> list[np.ndarray]:
    """``count`` canvases in the proportions of TRAINING_MIX (without pen digits, their share goes to the rest)."""
    mix = {kind: share for kind, share in TRAINING_MIX.items() if pen_digits or kind not in ("mirrored digit", "two digits")}
    kinds = rng.choice(list(mix), size=count, p=np.array(list(mix.values())) / sum(mix.values()))
    return [make(str(kind), rng, pen_digits) for kind in kinds]


def non_digit_training_set(
    count: int, seed: int, pen_path: str | Path | None = None, writers: set[int] | None = None,
    cache_dir: Path | None = None, report: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """(count, 28, 28) uint8 model inputs of things that are not digits, through the app's preprocessing.

    The mirrored and paired digits come from the writers ``writers`` of ``pen_path`` (without a file,
    those kinds are left out). Kept in ``cache_dir`` like the pen-drawn digits; ``report(done, total)``
    as in pendigits.pen_training_set.
    """
    cache = cache_dir / f"nondigits-{cache_key(pen_path, count, seed, writers)}.npz" if cache_dir is not None else None
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as cached:
            return cached["images"]
    pen_digits = None
    if pen_path is not None:
        pen_digits = [digit for digit in read_pendigits(pen_path) if writers is None or digit.writer in writers]
    drawn = in_threads(lambda index: _training_input(seed, index, pen_digits), range(count), report)
    images = np.stack([image for image in drawn if image is not None])
    if cache is not None:
        save_arrays_atomically(cache, images=images)
    return images


def _training_input(seed: int, index: int, pen_digits: list[PenDigit] | None) -> np.ndarray | None:

    rng = np.random.default_rng([seed, index, 7919])
    digit = model_input(training_drawings(1, rng, pen_digits)[0])
    return np.round(digit * 255).astype(np.uint8) if digit is not None else None


def _taps(rng: np.random.Generator, pen: int) -> np.ndarray:
    """One to three dots, or a flick shorter than the pen is wide."""
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    for _ in range(int(rng.choice([1, 1, 1, 2, 3]))):
        start = rng.uniform(pen, CANVAS - pen, 2)
        end = start + rng.normal(0, pen / 3, 2)
        cv2.line(canvas, _point(start), _point(end), 255, pen, cv2.LINE_AA)
    return canvas


def _dash(rng: np.random.Generator) -> np.ndarray:  # (30, 2) points
    """A line near horizontal, straight or wavy (a minus sign, a crossed-out mark, an underline)."""
    length = rng.uniform(60, 240)
    angle = np.radians(rng.uniform(-25, 25))
    steps = np.linspace(-0.5, 0.5, 30)
    wave = rng.uniform(0, 0.08) * length * np.sin(2 * np.pi * rng.uniform(0.5, 2.5) * steps + rng.uniform(0, 6.3))
    rotation = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
    return np.stack([steps * length, wave], axis=1) @ rotation


def _scribble(rng: np.random.Generator) -> np.ndarray:  # (K, 2) points
    """A random pen path with momentum: zig-zags, loops, tangles."""
    count = int(rng.integers(8, 40))
    heading, speed = rng.uniform(0, 2 * np.pi), 1.0
    turn = rng.uniform(0.3, 1.6)
    position, points = np.zeros(2), []
    for _ in range(count):
        heading += rng.normal(0, turn)
        position = position + speed * np.array([np.cos(heading), np.sin(heading)])
        points.append(position.copy())
    return np.array(points)


def _glyph(rng: np.random.Generator, alphabet: str, fonts: tuple[int, ...], pen: int) -> np.ndarray:
    """A character of a Hershey stroke font, 30-85% of the canvas high, slanted, rotated and stretched
    like a hand would, written with the canvas's pen."""
    text = alphabet[int(rng.integers(len(alphabet)))]
    font = int(fonts[int(rng.integers(len(fonts)))]) | (cv2.FONT_ITALIC if rng.random() < 0.3 else 0)
    thickness = max(2, pen // 2)  # a font's strokes are drawn on both sides of its path: half the pen each
    (width, height), _ = cv2.getTextSize(text, font, 1.0, thickness)
    scale = rng.uniform(0.3, 0.8) * CANVAS / max(height, 1)
    scale = min(scale, 0.8 * CANVAS / max(width, 1))
    (width, height), _ = cv2.getTextSize(text, font, scale, thickness)
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    origin = ((CANVAS - width) // 2, (CANVAS + height) // 2)
    cv2.putText(canvas, text, origin, font, scale, 255, thickness, cv2.LINE_AA)
    shear, angle, aspect = rng.uniform(-0.3, 0.3), rng.uniform(-12, 12), np.exp(rng.uniform(-0.25, 0.15))
    warp = cv2.getRotationMatrix2D((CANVAS / 2, CANVAS / 2), angle, 1.0)
    warp[:, :2] = warp[:, :2] @ np.array([[aspect, shear], [0, 1]])
    rows, columns = np.nonzero(cv2.warpAffine(canvas, warp, (CANVAS, CANVAS)) > 127)
    if len(rows):  # then anywhere on the canvas where it fits
        warp[0, 2] += rng.uniform(-columns.min(), CANVAS - 1 - columns.max())
        warp[1, 2] += rng.uniform(-rows.min(), CANVAS - 1 - rows.max())
    return cv2.warpAffine(canvas, warp, (CANVAS, CANVAS))


def _from_digits(kind: str, rng: np.random.Generator, pen_digits: list[PenDigit]) -> np.ndarray:
    if kind == "mirrored digit":
        candidates = [digit for digit in pen_digits if digit.label in MIRRORED]
        digit = candidates[int(rng.integers(len(candidates)))]
        strokes = tuple(np.stack([-stroke[:, 0], stroke[:, 1]], axis=1) for stroke in digit.strokes)
        return draw_like_a_user(PenDigit(-1, digit.writer, strokes), rng)
    first, second = (pen_digits[int(rng.integers(len(pen_digits)))] for _ in range(2))
    left = np.concatenate(first.strokes)
    gap = rng.uniform(0.0, 0.3) * np.ptp(left[:, 1])
    shift = left[:, 0].max() + gap - np.concatenate(second.strokes)[:, 0].min()
    strokes = (*first.strokes, *(stroke + np.float32([shift, 0]) for stroke in second.strokes))
    return draw_like_a_user(PenDigit(-1, first.writer, strokes), rng)


def _draw_paths(paths: list[np.ndarray], rng: np.random.Generator, pen: int) -> np.ndarray:
    """Paths in any units -> the canvas, as a user would draw them: 30-85% of its size, anywhere, with ``pen``."""
    points = np.concatenate(paths)
    low, extent = points.min(axis=0), np.maximum(np.ptp(points, axis=0), 1e-6)
    room = CANVAS - pen - 12
    scale = min(rng.uniform(0.3, 0.85) * CANVAS / extent.max(), room / extent.max())
    offset = [rng.uniform(pen / 2 + 6, pen / 2 + 6 + room - extent[axis] * scale) for axis in (0, 1)]
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    for path in paths:
        scaled = np.round(((path - low) * scale + offset) * 16).astype(np.int32)  # 1/16 pixel precision
        cv2.polylines(canvas, [scaled.reshape(-1, 1, 2)], False, 255, pen, cv2.LINE_AA, shift=4)
    return canvas


def _point(values: np.ndarray) -> tuple[int, int]:
    return int(round(values[0])), int(round(values[1]))
