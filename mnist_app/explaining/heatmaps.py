"""Pictures of what explain.py computes: saliency over the input, and grids of feature maps and weights.

Every function returns an RGB uint8 array, already enlarged with sharp pixels, ready to be shown. Signed
values are red where positive and blue where negative, black at zero (the ink of MNIST is white on black).
"""

from __future__ import annotations

import cv2
import numpy as np

from mnist_app.reading.images import ACCENT_RGB

NEGATIVE_RGB = (30, 136, 229)  # a blue as strong as the accent red
GAP_RGB = (64, 64, 64)  # between the tiles of a grid: a map that is black everywhere still shows its edge
INK_UNDER_SALIENCY = 0.4  # how bright the input shows under a saliency map: there, but behind the colour


def robust_scale(values: np.ndarray) -> float:
    """The value shown at full colour: the 99th percentile of the magnitudes that are not zero, so that
    one extreme pixel does not fade all the others. 1.0 when everything is zero."""
    magnitudes = np.abs(np.asarray(values, dtype=np.float32)).ravel()
    magnitudes = magnitudes[magnitudes > 0]
    return float(np.percentile(magnitudes, 99)) if magnitudes.size else 1.0


def signed_rgb(values: np.ndarray, scale: float) -> np.ndarray:
    """(H, W) signed values -> (H, W, 3) uint8: red for +scale and above, blue for -scale, black for 0."""
    strength = np.clip(np.asarray(values, dtype=np.float32) / max(scale, 1e-12), -1, 1)[..., None]
    positive = np.maximum(strength, 0) * np.array(ACCENT_RGB, np.float32)
    negative = np.maximum(-strength, 0) * np.array(NEGATIVE_RGB, np.float32)
    return (positive + negative).round().astype(np.uint8)


def input_picture(image: np.ndarray, size: int = 196) -> np.ndarray:
    """(28, 28) input in [0, 1] -> (size, size, 3) grey, as the model sees it."""
    grey = (np.clip(np.asarray(image, np.float32), 0, 1) * 255).round().astype(np.uint8)
    return enlarge(np.repeat(grey[..., None], 3, axis=2), max(1, size // 28))


def saliency_picture(image: np.ndarray, attribution: np.ndarray, scale: float, size: int = 196) -> np.ndarray:
    """(28, 28) input in [0, 1] and its (28, 28) attribution -> (size, size, 3): the input in grey, the
    attribution over it in red or blue, the more opaque the stronger. Opacity grows with the square root of
    the strength, so that a pixel at a tenth of the scale still shows (at a third)."""
    strength = np.clip(np.asarray(attribution, np.float32) / max(scale, 1e-12), -1, 1)[..., None]
    opacity = np.sqrt(np.abs(strength))
    colour = np.where(strength > 0, np.array(ACCENT_RGB, np.float32), np.array(NEGATIVE_RGB, np.float32))
    ink = np.clip(np.asarray(image, np.float32), 0, 1)[..., None] * 255 * INK_UNDER_SALIENCY
    picture = (ink * (1 - opacity) + colour * opacity).round().astype(np.uint8)
    return enlarge(picture, max(1, size // 28))


def magnitude_rgb(values: np.ndarray, scale: float) -> np.ndarray:
    """(..., H, W) values >= 0 -> (..., H, W, 3) uint8 in the viridis colour map, ``scale`` and above at its
    brightest."""
    values = np.asarray(values, np.float32)
    levels = (np.clip(values / max(scale, 1e-12), 0, 1) * 255).round().astype(np.uint8)
    coloured = cv2.applyColorMap(levels.reshape(-1, values.shape[-1]), cv2.COLORMAP_VIRIDIS)  # OpenCV takes 2-D
    return coloured[..., ::-1].reshape(*values.shape, 3)  # BGR -> RGB


def grid(tiles: np.ndarray, columns: int, cell: int, gap: int = 2) -> np.ndarray:
    """(count, h, w, 3) uint8 tiles -> one picture, ``columns`` to a row, each tile enlarged ``cell`` times
    and ``gap`` pixels apart (in one pass over the arrays: a layer has up to 64 maps, a page shows four)."""
    tiles = np.asarray(tiles)
    if tiles.ndim != 4 or not len(tiles):
        raise ValueError("a grid needs at least one tile")
    if columns < 1 or cell < 1:
        raise ValueError(f"columns and cell must be at least 1, got {columns} and {cell}")
    count, height, width = tiles.shape[0], tiles.shape[1] * cell, tiles.shape[2] * cell
    columns = min(columns, count)
    rows = -(-count // columns)
    # Each tile with its gap to the right and below.
    padded = np.zeros((rows * columns, height + gap, width + gap, 3), np.uint8)  # the empty places black
    padded[:count] = GAP_RGB
    padded[:count, :height, :width] = enlarge(tiles, cell, axes=(1, 2))
    # (rows * columns, h, w, 3) -> (rows, h, columns, w, 3) -> one picture, and the gap above and left of it
    picture = padded.reshape(rows, columns, height + gap, width + gap, 3).transpose(0, 2, 1, 3, 4)
    picture = picture.reshape(rows * (height + gap), columns * (width + gap), 3)
    framed = np.empty((picture.shape[0] + gap, picture.shape[1] + gap, 3), np.uint8)
    framed[:] = GAP_RGB
    framed[gap:, gap:] = picture
    return framed


def feature_grid(maps: np.ndarray, order: np.ndarray, columns: int = 8, width: int = 600) -> np.ndarray:
    """(channels, h, w) feature maps -> a grid in ``order`` (strongest first), all on the layer's one
    scale, so that a weak map looks weak; at most ``columns`` to a row, as close to ``width`` pixels wide as
    whole pixels allow. Fewer to a row where that shows each map pixel as two screen pixels rather than one
    (a 26x26 map at its own size is too small to read, on a phone)."""
    def cell(columns: int) -> int:
        return max(1, (width - 2 * (columns + 1)) // (columns * maps.shape[2]))

    columns = next((fewer for fewer in range(columns, 0, -1) if cell(fewer) >= 2), columns)
    return grid(magnitude_rgb(maps[order], robust_scale(maps)), columns, cell(columns))


def signed_grid(weights: np.ndarray, columns: int, width: int) -> np.ndarray:
    """(count, h, w) weights (filters, templates) -> a grid in red and blue, each on its own scale."""
    cell = max(1, (width - 2 * (columns + 1)) // (min(columns, len(weights)) * weights.shape[2]))
    scales = np.abs(weights).max(axis=(1, 2), keepdims=True)
    return grid(signed_rgb(weights / np.where(scales > 0, scales, 1.0), 1.0), columns, cell)


def enlarge(picture: np.ndarray, factor: int, axes: tuple[int, int] = (0, 1)) -> np.ndarray:
    """Each pixel as a ``factor`` x ``factor`` square (``axes``: those of its rows and columns)."""
    if factor <= 1:
        return picture
    return np.repeat(np.repeat(picture, factor, axis=axes[0]), factor, axis=axes[1])
