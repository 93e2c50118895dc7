"""The one way from an image to digits, used by the pages and the CLI.

    image (array, or a file through images.read_picture) -> shrunk to pictures.ANALYSIS_MAX_PIXELS
          -> ink -> candidate digits -> 28x28 inputs, each also turned either way -> model (one batch)
          -> calibrated probabilities, averaged over the three views of each input
          -> the grouping that reads best -> Reading, its boxes in the original image's pixels

A reading knows how sure it is: probabilities are calibrated on writers held out of training (the
model's temperature, see calibrate.py) and averaged over turned views (confidence.py), a digit below
UNCERTAIN_BELOW is flagged, and ink below NOT_A_DIGIT_BELOW is no digit at all (the model learned to be
unsure of taps, letters and scribbles).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnist_app.reading import segment
from mnist_app.reading.confidence import read_once
from mnist_app.reading.ink import Ink
from mnist_app.reading.pictures import Picture, map_box, shrink
from mnist_app.reading.preprocess import ink_of, mnist_like
from mnist_app.threads import on_a_worker

if TYPE_CHECKING:  # TensorFlow is imported only to predict: preparing images stays light
    from mnist_app.models.model import Predictor

# Checked on the writers held out of training (pendigits-orig.tra's 25-30 and UJI's 10, 11, 55, 56, 58, 59),
# never on pendigits-orig.tes or UJI's test writers (docs/figures.md): with the shipped ensemble, 75% on the
# mean over a digit's views (steady) flags 2.0% of their answers, as 80% did with the single network before,
# and catches 74% of the mistakes (80% would flag 2.4% and catch 77%: benchmarks/recognition_accuracy.py
# --calibrate); under 40%, 0.1% of their digits and most drawings that are no digit (benchmarks/hard_cases.py)
# are read as no digit; NO_DIGIT_WEIGHT 0.3 and 0.5 read as many of their numbers right as 0 (no such option)
# and keep printed letters out, 0.7 read fewer.
UNCERTAIN_BELOW = 0.75  # a digit read less surely than this is flagged "not sure"
NOT_A_DIGIT_BELOW = 0.40  # ink read less surely than this is not a digit at all
NO_DIGIT_WEIGHT = 0.5  # in number mode, how likely a mark is no digit against being one (see _read)
# A mark read as no digit counts as one mark for each this many line heights of its width (at least one), so
# that one wide mark is no cheaper than the digits it would swallow (candidate_scores). On the held-out writers'
# numbers written tight, 0.7 read 87.7% exactly (86.3% without; 1.0: 87.0%; 1.3: 86.3%) and 93.3% with the
# right count of digits (91.7%); words beside a number lose more letters to 1s (docs/figures.md).
NO_DIGIT_WIDTH = 0.7


@dataclass(frozen=True)
class DigitReading:
    """One digit read from an image (or ink that was read and found to be no digit)."""

    digit: int
    confidence: float  # the calibrated probability of ``digit``
    probabilities: np.ndarray = field(repr=False)  # (10,) float32, calibrated
    box: tuple[int, int, int, int]  # (x, y, width, height) in the original image's pixels
    crop: np.ndarray = field(repr=False)  # (h, w) float32 ink of this digit, cut out of the image as analysed
    model_input: np.ndarray = field(repr=False)  # (28, 28) float32 in [0, 1]: what the model saw
    uncertain: bool = False  # below UNCERTAIN_BELOW, or a single digit whose ink looks like a number
    line: int = 0  # the line of writing, from the top

    @property
    def not_a_digit(self) -> bool:
        return self.confidence < NOT_A_DIGIT_BELOW

    def as_dict(self) -> dict:
        """Plain JSON types only (int, float, bool, list): NumPy's scalars are not JSON serializable."""
        return {"digit": int(self.digit), "confidence": round(float(self.confidence), 4), "uncertain": bool(self.uncertain),
                "box": [int(value) for value in self.box], "line": int(self.line)}


@dataclass(frozen=True)
class Reading:
    """Everything read from one image, in reading order, with the ink found for showing to the user."""

    digits: tuple[DigitReading, ...]
    ink: np.ndarray = field(repr=False)  # (h, w) float32 in [0, 1]: the ink as found, bright on black, at the
    # resolution analysed (the image's own, or shrunk to pictures.ANALYSIS_MAX_PIXELS)
    not_digits: tuple[DigitReading, ...] = ()  # ink that was read and is no digit (a letter, a tap...)
    number: Reading | None = None  # one-digit mode: the ink read as a number, when it looks like one

    @property
    def lines(self) -> list[str]:
        """The digits of each line of writing, top to bottom."""
        lines: dict[int, str] = {}
        for reading in self.digits:
            lines[reading.line] = lines.get(reading.line, "") + str(reading.digit)
        return [lines[number] for number in sorted(lines)]

    @property
    def text(self) -> str:
        """The digits read, a line of writing per line of text."""
        return "\n".join(self.lines)

    @property
    def empty(self) -> bool:
        """No digit was read (there may still be ink that is no digit)."""
        return not self.digits

    def as_dict(self) -> dict:
        """The reading in plain JSON types: text, digits, not_digits (box and confidence) and, when the ink of
        one-digit mode looks like a number, number (its text)."""
        record = {"text": self.text, "digits": [digit.as_dict() for digit in self.digits],
                  "not_digits": [{key: value for key, value in mark.as_dict().items() if key in ("box", "confidence")}
                                 for mark in self.not_digits]}
        if self.number is not None:
            record["number"] = self.number.text
        return record


@dataclass(frozen=True)
class _Plan:
    """Everything before the model: the ink, and each candidate digit's segment, crop and 28x28 input."""

    ink: Ink
    whole: bool  # the first segment is all the ink, read as one digit
    lines: list[segment.Line]
    segments: list[segment.Segment] = field(default_factory=list)
    crops: list[np.ndarray] = field(default_factory=list)
    inputs: list[np.ndarray] = field(default_factory=list)
    scale: tuple[float, float] = (1.0, 1.0)  # the original's pixels per analysed pixel, across and down
    original_size: tuple[int, int] = (0, 0)  # (width, height) of the original, where boxes are given

    def original_box(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        return box if self.scale == (1.0, 1.0) else map_box(box, self.scale, self.original_size)

    def add(self, part: segment.Segment, mnist_image: np.ndarray | None = None) -> None:
        if self.whole and self.segments and self._same_ink(self.segments[0], part):
            # All the pieces of a line together are the whole ink again: its input is already made.
            self.segments.append(part)
            self.crops.append(self.crops[0])
            self.inputs.append(self.inputs[0])
            return
        crop = self.ink.crop(part.box, part.mask)  # ink of this digit only, not of a neighbour reaching in
        self.segments.append(part)
        self.crops.append(crop)
        self.inputs.append(mnist_image if mnist_image is not None else mnist_like(crop))

    @staticmethod
    def _same_ink(first: segment.Segment, second: segment.Segment) -> bool:
        return first.box == second.box and first.mask.sum() == second.mask.sum()


def _plan(image: np.ndarray | Picture, single: bool) -> _Plan:
    """The plan of an image, analysed at most at pictures.ANALYSIS_MAX_PIXELS, its boxes mapped back.

    A large image is analysed by one of a few workers (threads.on_a_worker): the memory analysis
    takes grows with its pixels, and many visitors' photos at once would exhaust it.
    """
    pixels = image.pixels if isinstance(image, Picture) else np.asarray(image)
    height, width = pixels.shape[:2] if pixels.ndim >= 2 else (0, 0)  # other shapes: to_gray says what is wrong
    original_size = image.original_size if isinstance(image, Picture) else (width, height)
    (analysed_height, analysed_width), plan = on_a_worker(width * height, _shrink_and_plan, pixels, single)
    if (analysed_width, analysed_height) == original_size:
        return plan
    scale = (original_size[0] / analysed_width, original_size[1] / analysed_height)
    return replace(plan, scale=scale, original_size=original_size)


def _shrink_and_plan(pixels: np.ndarray, single: bool) -> tuple[tuple[int, ...], _Plan]:
    """(height, width) of the image as analysed, and its plan."""
    analysed = shrink(pixels) if pixels.ndim >= 2 else pixels
    return analysed.shape[:2], _plan_analysed(analysed, single)


def _plan_analysed(image: np.ndarray, single: bool) -> _Plan:
    ink, mnist_image = ink_of(image)
    whole = segment.whole_image(ink)
    if not whole:
        return _Plan(ink, False, [])
    if mnist_image is not None:
        plan = _Plan(ink, True, [])
        plan.add(whole[0], mnist_image)
        return plan
    lines = segment.propose(ink)
    several_pieces = len(lines) > 1 or lines[0].pieces > 1
    if single or not several_pieces:
        # All the ink as one digit; with several pieces, their candidates too, to tell a digit from a number.
        plan = _Plan(ink, True, lines if several_pieces else [])
        plan.add(whole[0])
    else:
        plan = _Plan(ink, False, lines)
    for line in plan.lines:
        for candidate in line.candidates:
            plan.add(candidate.segment)
    return plan


def recognize(image: np.ndarray | Picture, predictor: Predictor, single: bool = True) -> Reading:
    """Read the digit (``single``: all ink is one digit) or every digit of one image: an array, or a
    Picture from images.read_picture. The boxes are in the pixels of the original image either way."""
    return recognize_many([image], predictor, single)[0]


def recognize_many(images: list[np.ndarray | Picture], predictor: Predictor, single: bool = True) -> list[Reading]:
    """Read several images, sending all their candidate digits through the model together."""
    plans = [_plan(image, single) for image in images]
    probabilities = read_once(predictor, [item for plan in plans for item in plan.inputs])
    readings, start = [], 0
    for plan in plans:
        rows = probabilities[start : start + len(plan.inputs)]
        start += len(plan.inputs)
        readings.append(_read(plan, rows))
    return readings


def _read(plan: _Plan, rows: np.ndarray) -> Reading:
    """The plan's readings: the whole ink as one digit, or the best grouping of each line's candidates."""
    grouped = _best_groupings(plan, rows)
    if not plan.whole:
        return _split(grouped, plan.ink.strength)
    return _one_digit(plan, rows, grouped)


def _best_groupings(plan: _Plan, rows: np.ndarray) -> list[DigitReading]:
    """The readings of each line's candidates in the grouping that reads best, in reading order."""
    sure = rows.max(axis=1) if len(rows) else np.zeros(0)
    grouped, offset = [], 1 if plan.whole else 0  # with the whole ink, its reading comes first
    for line in plan.lines:
        scores = candidate_scores(line, sure[offset : offset + len(line.candidates)])
        chosen = segment.best_grouping(line, list(scores))
        grouped.extend(_digit_reading(plan, rows, offset + index) for index in chosen)
        offset += len(line.candidates)
    return grouped


def candidate_scores(line: segment.Line, sure: np.ndarray) -> np.ndarray:
    """The log-score of each of the line's candidates, from the probability ``sure`` of its reading.

    A candidate scores as a digit with p or, under NOT_A_DIGIT_BELOW, as no digit with NO_DIGIT_WEIGHT *
    (1 - p) if that is more: so a letter is not cut into pieces that each look like a 1, while a digit read
    unsurely is still more likely a digit than a stray mark. A mark wider than NO_DIGIT_WIDTH line heights
    pays that once for each such width: otherwise two or three touching digits read together as one mark
    cost less than a sure digit beside a smaller mark, and the sure digit was dropped with them. A mark that
    is its whole line (a letter or a scribble alone) swallows no digit, and pays once: cut up, its strokes
    would read as 1s.
    """
    mark_width = NO_DIGIT_WIDTH * max(line.height, 1)  # in pixels
    marks = np.array([1.0 if (candidate.first, candidate.last) == (0, line.pieces)  # the whole line
                      else max(1.0, candidate.segment.box[2] / mark_width) for candidate in line.candidates])
    no_digit = np.where(sure < NOT_A_DIGIT_BELOW, NO_DIGIT_WEIGHT * (1 - sure), 0.0) ** marks
    return np.log(np.clip(np.maximum(sure, no_digit), 1e-12, 1.0))


def _one_digit(plan: _Plan, rows: np.ndarray, grouped: list[DigitReading]) -> Reading:
    """All the ink read as one digit; with the number its pieces read as (``grouped``) as a hint, and the
    digit flagged, when the number is the likelier reading (its digits' joint probability is higher)."""
    number = _split(grouped, plan.ink.strength) if grouped else None
    looks_like_number = (
        number is not None and len(number.digits) >= 2 and not number.not_digits
        and bool(sum(np.log(d.confidence) for d in number.digits) > np.log(rows[0].max()))
    )
    whole = _digit_reading(plan, rows, 0, uncertain=looks_like_number)
    hint = number if looks_like_number else None
    if whole.not_a_digit:
        return Reading((), plan.ink.strength, (whole,), hint)
    return Reading((whole,), plan.ink.strength, (), hint)


def _digit_reading(plan: _Plan, rows: np.ndarray, index: int, uncertain: bool = False) -> DigitReading:
    """The reading of the plan's ``index``-th candidate from its row of probabilities."""
    row = rows[index]
    best = int(row.argmax())
    part = plan.segments[index]
    return DigitReading(best, float(row[best]), row, plan.original_box(part.box), plan.crops[index], plan.inputs[index],
                        bool(uncertain) or float(row[best]) < UNCERTAIN_BELOW, int(part.line))


def _split(readings: list[DigitReading], ink: np.ndarray) -> Reading:
    """A Reading of the digits among ``readings``; the others are kept as ink that is no digit."""
    return Reading(tuple(r for r in readings if not r.not_a_digit), ink, tuple(r for r in readings if r.not_a_digit))


def load_predictor(model_dir: str | Path) -> Predictor:
    """The fast predictor of the model stored in ``model_dir``, converted and ready, with its calibration.

    One prediction on a blank image makes the predictor's first interpreter now (TensorFlow Lite packs
    the weights for its kernels on the first call), so that the user's first digit does not wait for it.
    """
    from mnist_app.models.model import Predictor
    from mnist_app.models.store import load_model_dir, read_card, temperature_of

    card = read_card(model_dir)
    predictor = Predictor(load_model_dir(model_dir), temperature=temperature_of(card))
    predictor(np.zeros((1, 28, 28), np.float32))
    return predictor
