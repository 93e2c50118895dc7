"""Pictures of what explain.py computes: saliency over the input, and grids of feature maps and weights.

Every function returns an RGB uint8 array, already enlarged with sharp pixels, ready to be shown. Signed
values are red where positive and blue where negative, black at zero (the ink of MNIST is white on black).
"""

from __future__ import annotations

import cv2
import numpy as np

from mnist_app.images import ACCENT_RGB

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
    """(H, W) values >= 0 -> (H, W, 3) uint8 in the viridis colour map, ``scale`` and above at its brightest."""
    levels = (np.clip(np.asarray(values, np.float32) / max(scale, 1e-12), 0, 1) * 255).round().astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(levels, cv2.COLORMAP_VIRIDIS), cv2.COLOR_BGR2RGB)


def grid(tiles: list[np.ndarray], columns: int, cell: int, gap: int = 2) -> np.ndarray:
    """Equal-sized (h, w, 3) uint8 tiles -> one picture, ``columns`` to a row, each tile enlarged ``cell``
    times and ``gap`` pixels apart."""
    if not tiles:
        raise ValueError("a grid needs at least one tile")
    if columns < 1 or cell < 1:
        raise ValueError(f"columns and cell must be at least 1, got {columns} and {cell}")
    tile_height, tile_width = tiles[0].shape[0] * cell, tiles[0].shape[1] * cell
    columns = min(columns, len(tiles))
    rows = -(-len(tiles) // columns)
    picture = np.empty((rows * (tile_height + gap) + gap, columns * (tile_width + gap) + gap, 3), np.uint8)
    picture[:] = GAP_RGB
    for index, tile in enumerate(tiles):
        top = gap + (index // columns) * (tile_height + gap)
        left = gap + (index % columns) * (tile_width + gap)
        picture[top : top + tile_height, left : left + tile_width] = enlarge(tile, cell)
    return picture


def feature_grid(maps: np.ndarray, order: np.ndarray, columns: int = 8, width: int = 600) -> np.ndarray:
    """(channels, h, w) feature maps -> a grid in ``order`` (strongest first), all on the layer's one
    scale, so that a weak map looks weak; as close to ``width`` pixels wide as whole pixels allow."""
    scale = robust_scale(maps)
    cell = max(1, (width - 2 * (columns + 1)) // (columns * maps.shape[2]))
    return grid([magnitude_rgb(maps[channel], scale) for channel in order], columns, cell)


def signed_grid(weights: np.ndarray, columns: int, width: int) -> np.ndarray:
    """(count, h, w) weights (filters, templates) -> a grid in red and blue, each on its own scale."""
    cell = max(1, (width - 2 * (columns + 1)) // (min(columns, len(weights)) * weights.shape[2]))
    return grid([signed_rgb(tile, float(np.abs(tile).max()) or 1.0) for tile in weights], columns, cell)


def enlarge(picture: np.ndarray, factor: int) -> np.ndarray:
    """Each pixel as a ``factor`` x ``factor`` square."""
    if factor <= 1:
        return picture
    return np.repeat(np.repeat(picture, factor, axis=0), factor, axis=1)
