"""The one way from an image to digits, used by the pages and the CLI.

    image (array, or a file through images.read_image) -> ink -> segments -> 28x28 inputs -> model -> Reading
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from mnist_app import segment
from mnist_app.preprocess import find_ink, mnist_like, to_gray

if TYPE_CHECKING:  # TensorFlow is imported only to predict: preparing images stays light
    from mnist_app.model import Predictor

# Below this confidence a digit is flagged as uncertain. Chosen on canvas drawings of the 6 training
# writers held out of training (benchmarks/recognition_accuracy.py --set tra --writers 25 26 27 28 29 30
# --calibrate): it flags about 2% of answers and catches about half of the mistakes (README, "Figures").
UNCERTAIN_BELOW = 0.80


@dataclass(frozen=True)
class DigitReading:
    """One digit read from an image."""

    digit: int
    confidence: float  # the probability of ``digit``
    probabilities: np.ndarray = field(repr=False)  # (10,) float32
    box: tuple[int, int, int, int]  # (x, y, width, height) in the original image
    crop: np.ndarray = field(repr=False)  # (h, w) float32 ink of this digit, cut out of the image
    model_input: np.ndarray = field(repr=False)  # (28, 28) float32 in [0, 1]: what the model saw

    @property
    def uncertain(self) -> bool:
        return self.confidence < UNCERTAIN_BELOW

    def as_dict(self) -> dict:
        return {"digit": self.digit, "confidence": round(self.confidence, 4), "box": list(self.box)}


@dataclass(frozen=True)
class Reading:
    """Everything read from one image, in reading order, with the ink found for showing to the user."""

    digits: tuple[DigitReading, ...]
    ink: np.ndarray = field(repr=False)  # (H, W) float32 in [0, 1]: the ink as found, bright on black

    @property
    def text(self) -> str:
        return "".join(str(reading.digit) for reading in self.digits)

    @property
    def empty(self) -> bool:
        return not self.digits


@dataclass(frozen=True)
class _Prepared:
    ink: np.ndarray
    boxes: list[tuple[int, int, int, int]]
    crops: list[np.ndarray]
    inputs: list[np.ndarray]


def prepare(image: np.ndarray, single: bool = True) -> _Prepared:
    """Everything before the model: the ink, each digit's box and crop, and its 28x28 input."""
    ink = find_ink(to_gray(image))
    segments = segment.whole_image(ink) if single else segment.split_digits(ink)
    boxes, crops, inputs = [], [], []
    for part in segments:
        x, y, width, height = part.box
        # Ink of this digit only: a neighbour reaching into the box is left out.
        keep = cv2.dilate(part.mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        crop = np.where(keep, ink.strength[y : y + height, x : x + width], 0).astype(np.float32)
        if crop.max() <= 0:
            continue
        boxes.append(part.box)
        crops.append(crop)
        inputs.append(mnist_like(crop))
    return _Prepared(ink.strength, boxes, crops, inputs)


def recognize(image: np.ndarray, predictor: Predictor, single: bool = True) -> Reading:
    """Read the digit (``single``: all ink is one digit) or every digit of one image."""
    return recognize_many([image], predictor, single)[0]


def recognize_many(images: list[np.ndarray], predictor: Predictor, single: bool = True) -> list[Reading]:
    """Read several images, sending all their digits through the model together."""
    prepared = [prepare(image, single) for image in images]
    inputs = [digit for item in prepared for digit in item.inputs]
    probabilities = predictor(np.stack(inputs)) if inputs else np.zeros((0, 10), np.float32)
    readings, start = [], 0
    for item in prepared:
        digits = []
        for offset, (box, crop, model_input) in enumerate(zip(item.boxes, item.crops, item.inputs)):
            row = probabilities[start + offset]
            best = int(row.argmax())
            digits.append(DigitReading(best, float(row[best]), row, box, crop, model_input))
        start += len(item.inputs)
        readings.append(Reading(tuple(digits), item.ink))
    return readings


def load_predictor(model_dir: str | Path) -> Predictor:
    """The fast predictor of the model stored in ``model_dir``, traced and ready.

    One prediction on a blank image traces the compiled function now, so that the user's first
    digit does not wait for it.
    """
    from mnist_app.model import Predictor
    from mnist_app.store import load_model_dir

    predictor = Predictor(load_model_dir(model_dir))
    predictor(np.zeros((1, 28, 28), np.float32))
    return predictor
