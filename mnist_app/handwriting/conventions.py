"""Ways of writing digits that MNIST and the pendigits writers lack, made on pen trajectories.

The model learns from pen-drawn digits replayed on a canvas (pendigits.py). Those 30 writers share a
few habits; people at large write some digits in other ways, which the model then reads wrongly and
confidently. Each convention below changes a digit's strokes the way a writer of that habit would
draw it, so the digit is then drawn at any size and pen width like every other one:

    slashed zero       0 with a slash (Ø): programming, engineering, telecom and military use, to tell 0 from O
    barred zero        0 with a horizontal bar through it: the same purpose, common on old terminals and in maths
    crossed seven      7 with a bar across its stem: continental Europe and Latin America, to tell 7 from 1
    flagged one        1 with a long up-stroke from the lower left: continental Europe (it reads as 7 otherwise)
    one with base      1 with a foot (serif) across its bottom: printed-style 1, taught in many schools
    detached five bar  5 whose top bar is a separate flat stroke set above the body: a very common cursive habit
    open four          4 whose top is open (the left stroke straight down, not joined to the stem): school print
    straight nine      9 with a straight tail
    curved nine        9 whose tail hooks to the left at the bottom, like a cursive g

``writer_style`` widens the hands further: slant, aspect ratio, a wobbly pen and bigger or smaller loops.
Strokes are (K, 2) float32 arrays of tablet points (x, y), y growing downwards.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Strokes = tuple[np.ndarray, ...]


def _box(strokes: Strokes) -> tuple[float, float, float, float]:
    """(left, top, width, height) of all the strokes, at least one unit wide and high."""
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    return float(low[0]), float(low[1]), max(float(high[0] - low[0]), 1.0), max(float(high[1] - low[1]), 1.0)


def _line(start, end, points: int = 8) -> np.ndarray:
    """A straight stroke from ``start`` to ``end`` as (points, 2) float32."""
    steps = np.linspace(0, 1, points, dtype=np.float32)[:, np.newaxis]
    return (np.asarray(start, np.float32) * (1 - steps) + np.asarray(end, np.float32) * steps).astype(np.float32)


def slashed_zero(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    left, top, width, height = _box(strokes)
    reach = rng.uniform(-0.05, 0.45)  # how far past the oval the slash runs, in parts of the oval's size (often far)
    start = (left + width * rng.uniform(-0.1, 0.2) - reach * width, top + height * (1 + reach))
    end = (left + width * rng.uniform(0.8, 1.1) + reach * width, top - reach * height)
    return (*strokes, _line(start, end))


def barred_zero(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    left, top, width, height = _box(strokes)
    row = top + height * rng.uniform(0.4, 0.6)
    reach = rng.uniform(-0.1, 0.2)
    tilt = rng.uniform(-0.06, 0.06) * height
    return (*strokes, _line((left - reach * width, row + tilt), (left + (1 + reach) * width, row - tilt)))


def crossed_seven(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    left, top, width, height = _box(strokes)
    row = top + height * rng.uniform(0.45, 0.62)
    points = np.concatenate([_resample(stroke, spacing=0.02 * height) for stroke in strokes])
    near = points[np.abs(points[:, 1] - row) < 0.08 * height]
    if len(near) == 0:
        return None
    stem = float(near[:, 0].mean())
    half = width * rng.uniform(0.2, 0.38)
    tilt = rng.uniform(-0.04, 0.04) * height
    return (*strokes, _line((stem - half, row + tilt), (stem + half, row - tilt)))


def flagged_one(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    left, top, width, height = _box(strokes)
    points = np.concatenate(strokes)
    peak = points[np.argmin(points[:, 1])]
    start = (peak[0] - height * rng.uniform(0.2, 0.6), peak[1] + height * rng.uniform(0.2, 0.6))  # short to long flags
    return (_line(start, peak), *strokes)


def one_with_base(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    points = np.concatenate(strokes)
    _, _, _, height = _box(strokes)
    foot = points[np.argmax(points[:, 1])]
    left, right = height * rng.uniform(0.15, 0.35), height * rng.uniform(0.15, 0.35)
    return (*strokes, _line((foot[0] - left, foot[1]), (foot[0] + right, foot[1])))


def detached_five_bar(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    """The bar of a 5 drawn in two strokes, made straight, flat and lifted off the body."""
    if len(strokes) < 2:
        return None
    left, top, width, height = _box(strokes)
    flat = [i for i, s in enumerate(strokes) if np.ptp(s[:, 1]) < 0.35 * height]
    if not flat:
        return None
    bar_index = min(flat, key=lambda i: strokes[i][:, 1].mean())
    bar = strokes[bar_index]
    body = tuple(s for i, s in enumerate(strokes) if i != bar_index)
    _, body_top, _, body_height = _box(body)
    row = body_top - body_height * rng.uniform(0.04, 0.3)  # just above the body, or standing well apart
    shift = width * rng.uniform(0.0, 0.25)
    return (*body, _line((bar[:, 0].min() + shift, row), (bar[:, 0].max() + shift, row)))


def open_four(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    """The left stroke of a two-stroke 4 made to go straight down to the bar, so the top stays open."""
    if len(strokes) < 2:
        return None
    left, top, width, height = _box(strokes)
    index = max(range(len(strokes)), key=lambda i: np.ptp(strokes[i][:, 0]))
    stroke = strokes[index]
    corner = int(np.argmax((stroke[:, 1] - top) / height - (stroke[:, 0] - left) / width))
    if corner == 0 or corner == len(stroke) - 1:
        return None
    x, y = stroke[corner]
    start_y = stroke[:corner, 1].min() + height * rng.uniform(0.0, 0.15)
    upright = _line((x + width * rng.uniform(-0.05, 0.08), start_y), (x, y))
    return tuple(np.concatenate([upright, stroke[corner + 1 :]]) if i == index else s for i, s in enumerate(strokes))


def _retail_nine(strokes: Strokes, rng: np.random.Generator, tail: Callable) -> Strokes | None:
    """The 9 with the tail of its last stroke (after its last point in the upper half) replaced by
    ``tail(begin, bottom, height, rng)``; None when the 9 has no tail going down from its loop."""
    _, top, _, height = _box(strokes)
    stroke = strokes[-1]
    upper = np.flatnonzero(stroke[:, 1] < top + 0.5 * height)
    if len(upper) == 0 or upper[-1] >= len(stroke) - 2:
        return None
    start = int(upper[-1])
    if stroke[-1, 1] - stroke[start, 1] < 0.3 * height:
        return None
    new_tail = tail(stroke[start], stroke[-1], height, rng).astype(np.float32)
    return (*strokes[:-1], np.concatenate([stroke[:start], new_tail]))


def _straight_tail(begin, bottom, height, rng):
    return _line(begin, bottom + (rng.uniform(-0.08, 0.08) * height, 0))


def _hooked_tail(begin, bottom, height, rng):
    """A quadratic Bézier from the loop down to the bottom, then hooking back to the left."""
    end = bottom + (-rng.uniform(0.2, 0.45) * height, -rng.uniform(0.0, 0.1) * height)
    control = bottom + (0.05 * height, 0.08 * height)
    steps = np.linspace(0, 1, 12, dtype=np.float32)[:, np.newaxis]
    return (1 - steps) ** 2 * begin + 2 * (1 - steps) * steps * control + steps**2 * end


def straight_nine(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    return _retail_nine(strokes, rng, _straight_tail)


def curved_nine(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    return _retail_nine(strokes, rng, _hooked_tail)


Convention = Callable[[Strokes, np.random.Generator], "Strokes | None"]
# name -> (the digit it applies to, how to write it). A function may answer None when a digit's strokes do
# not allow the change (a 5 written in one stroke has no separate bar to detach).
CONVENTIONS: dict[str, tuple[int, Convention]] = {
    "slashed zero": (0, slashed_zero),
    "barred zero": (0, barred_zero),
    "crossed seven": (7, crossed_seven),
    "flagged one": (1, flagged_one),
    "one with base": (1, one_with_base),
    "detached five bar": (5, detached_five_bar),
    "open four": (4, open_four),
    "straight nine": (9, straight_nine),
    "curved nine": (9, curved_nine),
}


def conventions_for(label: int) -> list[str]:
    """The names of the conventions that apply to the digit ``label``."""
    return [name for name, (digit, _) in CONVENTIONS.items() if digit == label]


def apply_convention(name: str, strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    """``strokes`` written with the named convention, or None where it does not apply to them."""
    if name not in CONVENTIONS:
        raise ValueError(f"unknown convention {name!r}; choose one of {', '.join(CONVENTIONS)}")
    return CONVENTIONS[name][1](strokes, rng)


def writer_style(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """The same digit by another hand: slanted, narrower or wider, with a wobbly pen and resized loops."""
    left, top, width, height = _box(strokes)
    slant = rng.uniform(-0.3, 0.3)  # x moves by slant * height from the bottom of the digit to its top
    aspect = float(np.exp(rng.uniform(np.log(0.7), np.log(1.35))))
    loops = float(np.exp(rng.uniform(-0.3, 0.3)))  # > 1: the upper part grows and the lower shrinks
    wobble = rng.uniform(0.0, 0.025) * height
    styled = []
    for stroke in strokes:
        points = _resample(stroke, spacing=0.03 * height)
        x, y = (points[:, 0] - left) / width, (points[:, 1] - top) / height  # both in [0, 1]
        y = y ** (1 / loops)
        x = x * aspect + slant * (1 - y) * height / width
        # Low-frequency noise along the stroke: a hand that is less steady, not a noisy sensor.
        noise = np.cumsum(rng.normal(0, 1, points.shape), axis=0)
        noise -= np.linspace(0, 1, len(points))[:, np.newaxis] * noise[-1]  # pinned at both ends
        noise *= wobble / max(np.abs(noise).max(), 1e-6)
        styled.append((np.stack([x * width, y * height], axis=1) + noise).astype(np.float32))
    return tuple(styled)


def _resample(stroke: np.ndarray, spacing: float) -> np.ndarray:
    """The stroke with points every ``spacing`` units along it, so that a wobble bends it smoothly."""
    if len(stroke) < 2:
        return stroke.astype(np.float32)
    lengths = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(stroke, axis=0).T))])
    if lengths[-1] <= spacing:
        return stroke.astype(np.float32)
    steps = np.linspace(0, lengths[-1], int(lengths[-1] / spacing) + 1)
    return np.stack([np.interp(steps, lengths, stroke[:, 0]), np.interp(steps, lengths, stroke[:, 1])], axis=1).astype(np.float32)
