"""Loading MNIST: Keras's own downloader, or a local .npz in the same layout named by MNIST_PATH."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_app.config import Paths

KEYS = ("x_train", "y_train", "x_test", "y_test")


class DataError(ValueError):
    """The MNIST file is missing or not in Keras's layout; the message names the file and the fault."""


@dataclass(frozen=True)
class Mnist:
    """MNIST as uint8 arrays: images (N, 28, 28) with 0 = background and 255 = ink, labels (N,) in 0..9."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_mnist(path: str | Path | None = None) -> Mnist:
    """Return MNIST's training and test sets.

    ``path`` (or else the MNIST_PATH environment variable) names a local .npz in the layout of
    ``keras.datasets.mnist.load_data()``; with neither, Keras's loader downloads and caches the data.
    """
    if path is None:
        path = Paths.from_env().mnist_path
    if path is None:
        import keras  # Imported here: only this branch needs it, and it takes seconds.

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        return Mnist(x_train, y_train, x_test, y_test)
    return _read_npz(Path(path))


def _read_npz(path: Path) -> Mnist:
    if not path.is_file():
        raise DataError(f"{path}: no such file (MNIST_PATH must name Keras's mnist.npz)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in KEYS if key not in archive.files]
            if missing:
                raise DataError(f"{path}: missing arrays {', '.join(missing)}; expected {', '.join(KEYS)}")
            arrays = {key: archive[key] for key in KEYS}
    except DataError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"{path}: not a readable .npz file ({error})") from error
    for split in ("train", "test"):
        _check_split(path, split, arrays[f"x_{split}"], arrays[f"y_{split}"])
    return Mnist(**arrays)


def _check_split(path: Path, split: str, images: np.ndarray, labels: np.ndarray) -> None:
    if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) == 0:
        raise DataError(f"{path}: x_{split} has shape {images.shape}; expected (N, 28, 28) with N > 0")
    if images.dtype != np.uint8:
        raise DataError(f"{path}: x_{split} has dtype {images.dtype}; expected uint8")
    if labels.shape != (len(images),):
        raise DataError(f"{path}: y_{split} has shape {labels.shape}; expected ({len(images)},) to match x_{split}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{path}: y_{split} has dtype {labels.dtype}; expected integers")
    if labels.min() < 0 or labels.max() > 9:
        raise DataError(f"{path}: y_{split} has labels from {labels.min()} to {labels.max()}; expected 0 to 9")


def to_unit_range(images: np.ndarray) -> np.ndarray:
    """The one place pixels are scaled: uint8 (N, 28, 28) in 0..255 -> float32 (N, 28, 28) in [0, 1]."""
    return np.asarray(images, dtype=np.float32) / np.float32(255.0)


def class_counts(labels: np.ndarray) -> np.ndarray:
    """How many images of each digit: (10,) ints."""
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=10)


def mean_images(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The average image of each digit: uint8 (N, 28, 28) -> float32 (10, 28, 28) in [0, 1]."""
    means = np.zeros((10, 28, 28), dtype=np.float32)
    for digit in range(10):
        chosen = images[labels == digit]
        if len(chosen):
            means[digit] = chosen.mean(axis=0, dtype=np.float64) / 255
    return means


def sample_indices(labels: np.ndarray, digit: int | None, count: int, seed: int) -> np.ndarray:
    """``count`` random indices (sorted) of images of ``digit`` (None: any digit), the same for the same seed."""
    pool = np.arange(len(labels)) if digit is None else np.flatnonzero(labels == digit)
    chosen = np.random.default_rng(seed).choice(pool, size=min(count, len(pool)), replace=False)
    return np.sort(chosen)
