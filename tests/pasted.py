"""An MNIST digit pasted anywhere on a canvas, for the tests of what reads ink and digits from it."""

import cv2
import numpy as np


def paste(digit: np.ndarray, canvas_size: int, scale: float, x: int, y: int) -> np.ndarray:
    """An MNIST digit enlarged ``scale`` times and pasted with its corner at (x, y) on a black canvas."""
    big = cv2.resize(digit, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    canvas = np.zeros((canvas_size, canvas_size), np.uint8)
    height, width = big.shape
    canvas[y : y + height, x : x + width] = big[: canvas_size - y, : canvas_size - x]
    return canvas
