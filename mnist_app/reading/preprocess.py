"""From any image a person hands over to MNIST-like 28x28 digits, with OpenCV.

MNIST digits were made by fitting each digit into a 20x20 box (keeping its aspect ratio, with
anti-aliasing) and placing that box in a 28x28 image so that the digit's centre of mass sits at the
centre. Drawings and photos are none of that, so they go through the same construction here:

    image -> gray in [0, 1] -> ink (bright on dark, lighting flattened, specks and ruled lines removed)
          -> one digit, or several found by ``segment`` -> stroke width evened out -> 20x20 box -> 28x28
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

BOX_SIZE = 20  # MNIST fits the digit's longer side into 20 pixels ...
IMAGE_SIZE = 28  # ... and centres it in 28x28 ...
CENTRE_OF_MASS = 14.0  # ... with the ink's centre of mass at pixel (14, 14), measured on MNIST's test set.
# Stroke widths of MNIST digits in 28x28 pixels (2 * area / perimeter): the 10th and 90th percentiles
# of the test set. Thinner or thicker strokes are brought to the nearest end of this range.
MNIST_STROKE_RANGE = (1.65, 3.1)
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
        count = int(self.mask.sum())
        return count < max(MIN_INK_PIXELS, MIN_INK_SHARE * self.mask.size)

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(x, y, width, height) of the smallest box holding every stroke pixel (of a non-empty ink)."""
        rows, columns = np.nonzero(self.mask)
        x, y = int(columns.min()), int(rows.min())
        return x, y, int(columns.max()) - x + 1, int(rows.max()) - y + 1

    def crop(self, box: tuple[int, int, int, int], mask: np.ndarray) -> np.ndarray:
        """The ink strength of one digit: ``box`` (x, y, width, height), keeping only the pixels of ``mask``
        (the digit's stroke pixels within the box) and their neighbours, so that a neighbour reaching into
        the box is left out. (h, w) float32."""
        x, y, width, height = box
        keep = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        return np.where(keep, self.strength[y : y + height, x : x + width], 0).astype(np.float32)


def ink_of(image: np.ndarray) -> tuple[Ink, np.ndarray | None]:
    """The ink of an image, and the image itself when it already is in MNIST's form (28x28, the digit
    fitted and centred): such an image is one digit, used as it is, since rebuilding it would only blur
    it, and its faint strokes are ink even where the general rules for photos would call them noise."""
    gray = to_gray(image)
    mnist_image = as_mnist_image(gray)
    if mnist_image is not None:
        return Ink(mnist_image, mnist_image > 0.2), mnist_image
    return find_ink(gray), None


def model_input(image: np.ndarray) -> np.ndarray | None:
    """All the ink of ``image`` as one digit's (28, 28) float32 model input; None when there is no ink.

    The same input ``recognize`` gives the model for a drawing read as one digit: the pen data, the
    drawings that are no digit and the corrections are turned into training images by it.
    """
    ink, mnist_image = ink_of(image)
    if ink.empty:
        return None
    if mnist_image is not None:
        return mnist_image
    x, y, width, height = ink.box
    return mnist_like(ink.crop(ink.box, ink.mask[y : y + height, x : x + width]))


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
    if np.median(gray) > 0.5:
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
    grid = np.percentile(blocks, 25, axis=2).astype(np.float32)
    if min(grid.shape) >= 3:
        grid = cv2.medianBlur(_to_uint8(grid), 3).astype(np.float32) / 255
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_LINEAR)


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
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = areas >= max(MIN_INK_PIXELS / 2, 0.03 * areas.max())
    if keep.all():
        return mask
    return np.concatenate([[False], keep])[labels]  # a lookup per pixel: label -> kept


def mnist_like(strength: np.ndarray) -> np.ndarray:
    """(H, W) ink strength (bright on black, one digit) -> (28, 28) float32 in [0, 1], MNIST's construction.

    The stroke width is first brought to what it will be in MNIST after the 20x20 fit, then the ink is
    cropped, fitted into 20x20 keeping its aspect ratio (area averaging anti-aliases), and shifted so that
    its centre of mass is at (14, 14).
    """
    strength = np.asarray(strength, dtype=np.float32)
    rows, columns = np.nonzero(strength > 0.5 * strength.max(initial=0))
    if len(rows) == 0:
        raise ValueError("there is no ink to turn into a digit")
    crop = strength[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]
    crop = even_stroke_width(np.pad(crop, 2))
    rows, columns = np.nonzero(crop > 0.05)
    crop = crop[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]
    # (h, w) -> longer side 20, aspect kept
    height, width = crop.shape
    scale = BOX_SIZE / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    box = np.clip(cv2.resize(crop, size, interpolation=interpolation), 0, 1)
    # (h', w') box -> (28, 28), centre of mass on (14, 14) with sub-pixel precision
    mass = box.sum()
    ys, xs = np.mgrid[0 : box.shape[0], 0 : box.shape[1]]
    shift_x = CENTRE_OF_MASS - (xs * box).sum() / mass
    shift_y = CENTRE_OF_MASS - (ys * box).sum() / mass
    move = np.float32([[1, 0, shift_x], [0, 1, shift_y]])
    return cv2.warpAffine(box, move, (IMAGE_SIZE, IMAGE_SIZE), flags=cv2.INTER_LINEAR, borderValue=0.0)


def as_mnist_image(gray: np.ndarray) -> np.ndarray | None:
    """A (28, 28) gray image already made as MNIST makes digits, bright on black; None for any other image.

    MNIST-like means: 28x28, the ink's longer side 16 to 22 pixels (MNIST fits it to 20, anti-aliasing
    blurs the edge) and its centre of mass within 2 pixels of (14, 14). Such an image is the model's
    input as it is: cropping and refitting it again would only resample it.
    """
    if gray.shape != (IMAGE_SIZE, IMAGE_SIZE):
        return None
    digit = 1.0 - gray if np.median(gray) > 0.5 else gray
    digit = np.clip(digit - np.median(digit), 0, 1)
    if digit.max() < MIN_CONTRAST:
        return None
    digit = digit / digit.max()
    rows, columns = np.nonzero(digit > 0.2)
    longer_side = max(np.ptp(rows), np.ptp(columns)) + 1
    ys, xs = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE]
    centre = np.array([(ys * digit).sum(), (xs * digit).sum()]) / digit.sum()
    if not 16 <= longer_side <= 22 or np.abs(centre - CENTRE_OF_MASS).max() > 2:
        return None
    return digit.astype(np.float32)


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in pixels of a binary ink mask: twice the area over the outline's length."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(contour, closed=True) for contour in contours)
    return 2 * float(mask.sum()) / perimeter if perimeter else 0.0


def even_stroke_width(crop: np.ndarray) -> np.ndarray:
    """Thicken or thin the strokes of a cropped digit so that, fitted in 20x20, they are as wide as MNIST's.

    With the crop's longer side M and stroke width w, the fitted width is 20 w / M. The box includes the
    stroke, so changing w to w' changes M to M - w + w'; solving 20 w' / (M - w + w') = T for w' gives
    w' = T (M - w) / (20 - T), where T is the fitted width brought into MNIST's range.
    """
    mask = crop > 0.5
    width = stroke_width(mask)
    if width == 0:
        return crop
    longer_side = max(crop.shape) - 4  # the crop carries 2 pixels of padding on each side
    target = float(np.clip(BOX_SIZE * width / longer_side, *MNIST_STROKE_RANGE))
    wanted = target * (longer_side - width) / (BOX_SIZE - target)
    radius = round((wanted - width) / 2)
    if radius == 0:
        return crop
    size = 2 * abs(radius) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    if radius > 0:
        crop = np.pad(crop, radius)
        return cv2.dilate(crop, kernel)
    thinner = cv2.erode(crop, kernel)
    # Erosion must not wipe out a digit whose strokes vary in width; keep the original if it would.
    return thinner if (thinner > 0.5).sum() > 0.25 * mask.sum() else crop


def turned(inputs: np.ndarray, degrees: float) -> np.ndarray:
    """(N, 28, 28) float32 model inputs turned by ``degrees`` (anticlockwise) about their centre."""
    matrix = cv2.getRotationMatrix2D((13.5, 13.5), degrees, 1.0)
    return np.stack([cv2.warpAffine(image, matrix, (28, 28)) for image in inputs]).astype(np.float32) if len(inputs) else inputs
