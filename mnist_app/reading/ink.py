"""The ink of any image a person hands over: bright strokes on black, as MNIST has them, with OpenCV.

    image -> gray in [0, 1] -> ink (bright on dark, lighting flattened, specks and ruled lines removed)

Used by ``preprocess`` (one digit's 28x28 input) and ``segment`` (where the digits are).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MIN_CONTRAST = 0.12  # ink must stand this far (on a 0..1 scale) above the background to count
MIN_INK_PIXELS = 12  # fewer ink pixels than this, or fewer than MIN_INK_SHARE of the image, is no digit
MIN_INK_SHARE = 2e-4
BACKGROUND_GRID = 8  # the background is estimated in blocks of an 8x8 grid over the image
MAX_INK_SHARE = 0.4  # ink covering more than this share of the image is noise or texture, not writing
MIN_SOLID_SHARE = 0.4  # strokes keep at least half their pixels under a 2x2 opening (MNIST: all of 200 tried); uniform noise a fifth


@dataclass(frozen=True)
class Ink:
    """The ink of an image: bright on black, as MNIST has it."""

    strength: np.ndarray  # (H, W) float32 in [0, 1]: how much ink each pixel holds, anti-aliasing kept
    mask: np.ndarray  # (H, W) bool: the pixels that belong to a stroke

    @classmethod
    def nothing(cls, shape: tuple[int, int]) -> "Ink":
        return cls(np.zeros(shape, dtype=np.float32), np.zeros(shape, dtype=bool))

    @property
    def empty(self) -> bool:
        count = int(np.count_nonzero(self.mask))
        return count < max(MIN_INK_PIXELS, MIN_INK_SHARE * self.mask.size)

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(x, y, width, height) of the smallest box holding every stroke pixel (of a non-empty ink)."""
        if not self.mask.any():
            raise ValueError("there is no ink to put a box round")
        return bounding_box(self.mask)

    def crop(self, box: tuple[int, int, int, int], mask: np.ndarray) -> np.ndarray:
        """The ink strength of one digit: ``box`` (x, y, width, height), keeping only the pixels of ``mask``
        (the digit's stroke pixels within the box) and their neighbours, so that a neighbour reaching into
        the box is left out. (h, w) float32."""
        x, y, width, height = box
        keep = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        return np.where(keep, self.strength[y : y + height, x : x + width], 0).astype(np.float32)


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the non-zero pixels of a 2-D mask; (0, 0, 0, 0) when there are none.
    (OpenCV's scan is twenty times faster than NumPy's nonzero on a canvas.)"""
    if mask.size == 0:
        return 0, 0, 0, 0
    x, y, width, height = cv2.boundingRect(np.ascontiguousarray(mask, dtype=np.uint8))
    return int(x), int(y), int(width), int(height)


def to_gray(image: np.ndarray) -> np.ndarray:
    """Any 2-D image array -> (H, W) float32 in [0, 1].

    Accepts (H, W), (H, W, 1), (H, W, 3) RGB and (H, W, 4) RGBA, as bool, unsigned or signed integers, or
    floats in [0, 1] or [0, 255]. Transparent pixels are laid over whichever of black or white contrasts
    with the opaque ones, so ink drawn only in the alpha channel of a transparent canvas is kept.
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ValueError(f"expected an image of shape (H, W), (H, W, 3) or (H, W, 4), got {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"the image is empty: shape {image.shape}")
    values = _to_unit_float(image)
    if values.ndim == 2:
        return values
    gray = values[:, :, :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601 luma
    if values.shape[2] == 3:
        return gray
    alpha = values[:, :, 3]
    opaque = alpha > 0.5
    if opaque.all():
        return gray
    # Ink colour: the mean of the opaque pixels; the backdrop is its opposite.
    backdrop = 1.0 if opaque.any() and gray[opaque].mean() < 0.5 else 0.0
    return alpha * gray + (1 - alpha) * backdrop


def _to_unit_float(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.bool_:
        return image.astype(np.float32)
    if np.issubdtype(image.dtype, np.integer):
        info = np.iinfo(image.dtype)
        if info.max <= 255:  # uint8 and int8 alike: 0..255 is the usual meaning
            return np.clip(image, 0, 255).astype(np.float32) / 255
        top = 255 if image.max() <= 255 else info.max  # 16-bit files often hold 8-bit values
        return np.clip(image, 0, top).astype(np.float32) / top
    if np.issubdtype(image.dtype, np.floating):
        finite = np.nan_to_num(image, nan=0.0, posinf=0.0, neginf=0.0)  # in its own dtype: no overflow
        values = np.clip(finite, 0, 255).astype(np.float32)
        top = 255.0 if values.max(initial=0) > 1.0 else 1.0
        return np.clip(values / top, 0, 1)
    raise ValueError(f"unsupported image dtype {image.dtype}")


def find_ink(gray: np.ndarray) -> Ink:
    """(H, W) gray in [0, 1] -> the ink, whatever its polarity, lighting or noise.

    Steps: decide the polarity from the background (the median is background, ink is rare); subtract a
    smooth estimate of the background (uneven light, shadows); stretch the contrast; threshold with
    Otsu, but never below ``MIN_CONTRAST``; refuse noise; drop ruled lines and specks.
    """
    if _median_above_half(gray):
        gray = 1.0 - gray  # dark ink on light paper -> bright ink on black
    ink = np.clip(gray - _background(gray), 0, 1)
    # The strongest ink sets the contrast; a 3x3 median first, so that a few hot pixels cannot.
    top = float(cv2.medianBlur(_to_uint8(ink), 3).max() if min(ink.shape) >= 3 else _to_uint8(ink).max()) / 255
    if top < MIN_CONTRAST:
        return Ink.nothing(ink.shape)
    ink = np.clip(ink / top, 0, 1)
    otsu, _ = cv2.threshold(_to_uint8(ink), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = ink > max(otsu / 255, MIN_CONTRAST / top)
    if mask.mean() > MAX_INK_SHARE or not _has_strokes(mask):
        return Ink.nothing(ink.shape)  # noise or texture, not writing
    mask = _remove_ruled_lines(mask)
    mask = _remove_specks(mask)
    # Keep the anti-aliased rim of every stroke, and nothing away from the strokes.
    near_strokes = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return Ink(np.where(near_strokes, ink, 0).astype(np.float32), mask)


def _median_above_half(gray: np.ndarray) -> bool:
    """Whether the median of ``gray`` is above 0.5 (ink on paper rather than on a dark screen).

    Counting the pixels above 0.5 is ten times cheaper than the median and gives the same answer unless the
    count is within one of half the pixels, where the median itself decides.
    """
    above = int(np.count_nonzero(gray > 0.5))
    if abs(above - gray.size / 2) > 1:
        return above > gray.size / 2
    return bool(np.median(gray) > 0.5)


def _has_strokes(mask: np.ndarray) -> bool:
    """Whether the ink is made of strokes: much of it survives an opening by a 2x2 square.

    Strokes are at least two pixels wide; noise that crosses the threshold is scattered pixels, and
    almost none of it is left after the opening.
    """
    if not mask.any():
        return False
    opened = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    return opened.sum() >= MIN_SOLID_SHARE * mask.sum()


def _to_uint8(values: np.ndarray) -> np.ndarray:
    """[0, 1] floats -> uint8 0..255, rounded (OpenCV's median and Otsu take 8-bit images)."""
    return np.round(np.clip(values, 0, 1) * 255).astype(np.uint8)


def _background(gray: np.ndarray) -> np.ndarray:
    """A smooth estimate of the background: the 25th percentile of each block of an 8x8 grid.

    Ink is bright and rare, so the darker quarter of a block is background even where thick strokes
    cross (a median is not: a 30-pixel pen fills half of a small window). A 3x3 median over the grid
    mends the few blocks that are nearly all ink, and bilinear interpolation smooths the steps.
    """
    height, width = gray.shape
    blocks_y = max(1, round(BACKGROUND_GRID * height / max(height, width)))
    blocks_x = max(1, round(BACKGROUND_GRID * width / max(height, width)))
    side = 12  # pixels of each block in the shrunken copy
    small = cv2.resize(gray, (blocks_x * side, blocks_y * side), interpolation=cv2.INTER_AREA)
    blocks = small.reshape(blocks_y, side, blocks_x, side).transpose(0, 2, 1, 3).reshape(blocks_y, blocks_x, -1)
    grid = _lower_quartile(blocks)
    if min(grid.shape) >= 3:
        grid = cv2.medianBlur(_to_uint8(grid), 3).astype(np.float32) / 255
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_LINEAR)


def _lower_quartile(blocks: np.ndarray) -> np.ndarray:
    """(..., N) values -> (...) float32: their 25th percentile, as np.percentile computes it (linear
    interpolation between the two nearest ranks), from a partial sort, at a quarter of its cost."""
    position = 0.25 * (blocks.shape[-1] - 1)
    below = int(position)
    above = min(below + 1, blocks.shape[-1] - 1)
    ranked = np.partition(blocks, (below, above), axis=-1)
    low, high = ranked[..., below], ranked[..., above]
    share = blocks.dtype.type(position - below)
    # NumPy's own interpolation, in the values' precision, counting from the nearer rank.
    between = high - (high - low) * (1 - share) if share >= 0.5 else low + (high - low) * share
    return between.astype(np.float32)


def _remove_ruled_lines(mask: np.ndarray) -> np.ndarray:
    """Remove thin straight lines across most of the image (ruled or squared paper).

    A run counts as a ruled line when it spans 60% of the image and is at most 2% of the image's shorter
    side thick, so that the bar of a large 7 or 4, drawn with a pen far thicker than that, stays. (Against
    the other side, a "1" drawn along the edge of a wide canvas, half cut off by the edge, was a ruled line.)
    """
    height, width = mask.shape
    cleaned = mask.astype(np.uint8)
    across = min(height, width)
    for axis, length in ((1, width), (0, height)):
        span = int(0.6 * length)
        # A run of `span` pixels needs a row (or column) with that much ink. A drawing rarely has one,
        # and this count is ten times cheaper than the opening and labelling below.
        if span < 40 or cleaned.sum(axis=axis, dtype=np.int32).max() < span:
            continue
        kernel = np.ones((1, span) if axis == 1 else (span, 1), np.uint8)
        runs = cv2.morphologyEx(cleaned, cv2.MORPH_OPEN, kernel)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
        thickness = stats[1:, cv2.CC_STAT_HEIGHT if axis == 1 else cv2.CC_STAT_WIDTH]
        thin = np.flatnonzero(thickness <= max(3, 0.02 * across)) + 1
        cleaned[np.isin(labels, thin)] = 0
    return cleaned.astype(bool)


def _remove_specks(mask: np.ndarray) -> np.ndarray:
    """Drop connected blobs that are tiny next to the largest one (dust, paper grain, JPEG noise)."""
    # Labels alone, and their areas counted here: OpenCV's statistics cost four times the labelling.
    count, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return mask
    areas = np.bincount(labels.ravel(), minlength=count)[1:]
    keep = areas >= max(MIN_INK_PIXELS / 2, 0.03 * areas.max())
    if keep.all():
        return mask
    return np.concatenate([[False], keep])[labels]  # a lookup per pixel: label -> kept


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in pixels of a binary ink mask: twice the area over the outline's length."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(contour, closed=True) for contour in contours)
    return 2 * float(mask.sum()) / perimeter if perimeter else 0.0
