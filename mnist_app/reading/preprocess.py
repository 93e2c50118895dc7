"""From the ink of an image (``ink``) to MNIST-like 28x28 digits, with OpenCV.

MNIST digits were made by fitting each digit into a 20x20 box (keeping its aspect ratio, with
anti-aliasing) and placing that box in a 28x28 image so that the digit's centre of mass sits at the
centre. Drawings and photos are none of that, so they go through the same construction here:

    image -> gray in [0, 1] -> ink (bright on dark, lighting flattened, specks and ruled lines removed)
          -> one digit, or several found by ``segment`` -> stroke width evened out -> 20x20 box -> 28x28
"""

from __future__ import annotations

import cv2
import numpy as np

from mnist_app.reading.ink import MIN_CONTRAST, Ink, bounding_box, find_ink, stroke_width, to_gray

BOX_SIZE = 20  # MNIST fits the digit's longer side into 20 pixels ...
IMAGE_SIZE = 28  # ... and centres it in 28x28 ...
CENTRE_OF_MASS = 14.0  # ... with the ink's centre of mass at pixel (14, 14), measured on MNIST's test set.
# Stroke widths of MNIST digits in 28x28 pixels (2 * area / perimeter): the 10th and 90th percentiles
# of the test set. Thinner or thicker strokes are brought to the nearest end of this range.
MNIST_STROKE_RANGE = (1.65, 3.1)


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


def mnist_like(strength: np.ndarray) -> np.ndarray:
    """(H, W) ink strength (bright on black, one digit) -> (28, 28) float32 in [0, 1], MNIST's construction.

    The stroke width is first brought to what it will be in MNIST after the 20x20 fit, then the ink is
    cropped, fitted into 20x20 keeping its aspect ratio (area averaging anti-aliases), and shifted so that
    its centre of mass is at (14, 14).
    """
    strength = np.asarray(strength, dtype=np.float32)
    x, y, width, height = bounding_box(strength > 0.5 * strength.max(initial=0))
    if width == 0:
        raise ValueError("there is no ink to turn into a digit")
    crop = even_stroke_width(np.pad(strength[y : y + height, x : x + width], 2))
    x, y, width, height = bounding_box(crop > 0.05)
    crop = crop[y : y + height, x : x + width]
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
