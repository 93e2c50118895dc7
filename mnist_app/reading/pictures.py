"""How many pixels reading digits needs: the ``Picture`` a file is read as, and the rules that shrink it.

A phone photo has 12 million pixels and a scan may have 40; finding and reading digits needs a fraction
of them (each digit ends up 20 pixels high in the model's input). Every image larger than
ANALYSIS_MAX_PIXELS is shrunk by a whole factor (an f x f block of pixels becomes one, their average)
before its ink is looked for, and the digits' boxes are mapped back to the image's own pixels:

    (H, W) image -> f = ceil(sqrt(H W / ANALYSIS_MAX_PIXELS)) -> (ceil(H / f), ceil(W / f)) analysed

``images.read_picture`` decodes a file straight at that size where the format allows (a JPEG at a half,
a quarter or an eighth while decoding), and ``recognize`` shrinks any larger array it is given.
How many large images are worked on at once: ``mnist_app.threads.on_a_worker``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

# About 2000 pixels on the longer side: a whole factor of 2 for a 12-megapixel phone photo (4000x3000 ->
# 2000x1500, which the JPEG decoder delivers itself), 3 for a 36-megapixel scan (6000x6000 -> 2000x2000).
# Measured on 4000x3000 photos of numbers by writers held out of training (benchmarks/photo_cost.py
# --accuracy, seeds 0-4): of 550 photos, with digits 1% to 20% of the frame high and pens 3% to 10% of
# the digits' height, 488 were read exactly at full size and 488 at this budget (and 491 at 1.34 MP, a
# factor of 3: equally good on these photos, kept in reserve for want of real ones); digits 1% high are
# read no better at full size (48%), the ink rules' floor rather than the resolution's.
ANALYSIS_MAX_PIXELS = 4_000_000


@dataclass(frozen=True)
class Picture:
    """An image as read for recognition: its pixels, perhaps shrunk, and the size of the original."""

    pixels: np.ndarray  # (h, w, 3) RGB or (h, w, 4) RGBA uint8, at most ANALYSIS_MAX_PIXELS when read from a file
    original_size: tuple[int, int]  # (width, height) of the image in the file, its EXIF rotation applied

    @property
    def scale(self) -> tuple[float, float]:
        """How many of the original's pixels one of ``pixels`` stands for, across and down."""
        height, width = self.pixels.shape[:2]
        return self.original_size[0] / width, self.original_size[1] / height

    def shown_box(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A box in the original's pixels (as ``recognize`` gives them) -> the same box on ``pixels``."""
        height, width = self.pixels.shape[:2]
        return map_box(box, self.scale, (width, height), inverse=True)


def reduction(width: int, height: int) -> int:
    """The whole factor an image of this size is shrunk by for analysis: 1 (not at all) up to the budget."""
    if width * height <= ANALYSIS_MAX_PIXELS:
        return 1
    return math.ceil(math.sqrt(width * height / ANALYSIS_MAX_PIXELS))


def analysis_size(width: int, height: int) -> tuple[int, int]:
    """(width, height) of the image analysed in place of one of this size (as Pillow's ``reduce`` rounds)."""
    factor = reduction(width, height)
    return -(-width // factor), -(-height // factor)


def shrink(image: np.ndarray) -> np.ndarray:
    """An image array -> the same image at ``analysis_size``, or ``image`` itself when it is no larger.

    Area averaging (OpenCV's INTER_AREA, exact for a whole factor) keeps thin strokes as fainter ink
    rather than dropping them. Arrays OpenCV cannot resize, or of no image shape, are returned as they are:
    ``ink.to_gray`` converts or refuses them.
    """
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        return image
    if image.dtype not in (np.uint8, np.uint16, np.int16, np.float32, np.float64):
        return image
    height, width = image.shape[:2]
    if reduction(width, height) == 1:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    return cv2.resize(image, analysis_size(width, height), interpolation=cv2.INTER_AREA)


def map_box(box: tuple[int, int, int, int], scale: tuple[float, float], bounds: tuple[int, int],
            inverse: bool = False) -> tuple[int, int, int, int]:
    """A box (x, y, width, height) in analysed pixels -> the box covering the same pixels in the original
    (scale: original pixels per analysed pixel, across and down), kept within ``bounds`` (width, height).
    With ``inverse``, from the original's pixels to the analysed ones."""
    x, y, width, height = box
    across, down = (1 / scale[0], 1 / scale[1]) if inverse else scale
    left, top = math.floor(x * across), math.floor(y * down)
    right = min(bounds[0], max(left + 1, math.ceil((x + width) * across)))
    bottom = min(bounds[1], max(top + 1, math.ceil((y + height) * down)))
    return left, top, right - left, bottom - top
