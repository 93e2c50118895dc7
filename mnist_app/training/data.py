"""The data sets, each through Keras's downloader (checked, cached) or from a local copy the environment names.

MNIST: ``keras.datasets.mnist.load_data()``, or the .npz named by MNIST_PATH. The pen-drawn digits
(UCI's pendigits-orig.tra): UCI's archive through ``keras.utils.get_file``, or the file named by
PENDIGITS_PATH; they are fetched when a retrain first needs them, never at import or on a page load.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import unlzw3

from mnist_app.config import Paths, pen_download_path
from mnist_app.files import write_bytes_atomically

KEYS = ("x_train", "y_train", "x_test", "y_test")


class DataError(ValueError):
    """A data file is missing, cannot be fetched or is not what it should be; the message names it and the fault."""


@dataclass(frozen=True)
class Download:
    """A file inside a public zip archive, fetched by keras.utils.get_file and checked twice."""

    # The archive's public address.
    url: str
    # SHA-256 of the archive as that address serves it; get_file refuses anything else.
    sha256: str
    # The member wanted, compressed by Unix ``compress`` (LZW, .Z), which Python's standard library cannot read.
    member: str
    # SHA-256 of the member once decompressed: the very file the shipped model learned from.
    extracted_sha256: str


# UCI Machine Learning Repository, dataset 81 "Pen-Based Recognition of Handwritten Digits" (CC BY 4.0): a zip of
# 1,668,118 bytes holding pendigits-orig.tra.Z at its top level. The archive's SHA-256 is the one two other
# projects pin for this address; the .tra's is that of ../shared's copy (md5 28e269fb7eaf8cb51af3f561743a0de5).
PEN_DIGITS = Download(
    url="https://archive.ics.uci.edu/static/public/81/pen+based+recognition+of+handwritten+digits.zip",
    sha256="1e02bea023613c2b11c9492f6f34caf975420455934f3527d270cee9a1f03b64",
    member="pendigits-orig.tra.Z",
    extracted_sha256="a66225d68d7d68591e62944df1ad33b3f5aa608e2df2505844b41f5568a80da4",
)


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


def pen_digits_file(path: str | Path, source: Download | None = None) -> Path:
    """The pen-drawn digits file ``path`` (a TrainConfig's pen_path), downloading it first if it is the download's.

    Paths.from_env().pen_path is PENDIGITS_PATH's file, which must exist, or else config.pen_download_path(),
    which this fills from UCI (``source``, by default PEN_DIGITS) the first time and checks every time. Call
    it where a training run starts, before drawing the digits: it may take a few seconds and needs the internet
    once. Raises DataError, whose message says what to do, when the file cannot be had.
    """
    path = Path(path).expanduser().resolve()
    if path != pen_download_path():
        if not path.is_file():
            raise DataError(f"{path}: no such file (PENDIGITS_PATH must name a pendigits-orig.tra file, "
                            "or be left unset to download UCI's)")
        return path
    source = source or PEN_DIGITS
    if path.is_file():
        if _sha256(path.read_bytes()) == source.extracted_sha256:
            return path  # the cached copy, as downloaded before
        path.unlink()  # cut short or changed since: fetched again below
    return _download_pen_digits(path, source)


def _download_pen_digits(target: Path, source: Download) -> Path:
    import keras  # Imported here: only a download needs it, and it takes seconds.

    # An absolute cache_subdir puts the archive exactly beside the target, wherever Keras's own cache would be;
    # kept there, it spares a second download if the .tra is ever removed.
    archive = target.with_name("pendigits.zip")
    try:
        keras.utils.get_file(fname=archive.name, origin=source.url, file_hash=source.sha256, cache_subdir=str(target.parent))
    except ValueError as error:  # get_file's answer to a checksum mismatch; it leaves the file behind
        archive.unlink(missing_ok=True)
        raise DataError(f"{source.url} sent a file whose SHA-256 is not {source.sha256}, so it was deleted; "
                        "try again later, or set PENDIGITS_PATH to a local pendigits-orig.tra") from error
    except Exception as error:  # noqa: BLE001  (get_file raises a bare Exception for an unreachable address)
        raise DataError(f"the pen-drawn digits could not be downloaded from {source.url} ({error}); set PENDIGITS_PATH "
                        "to a local pendigits-orig.tra, or PENDIGITS_PATH=none to train on MNIST alone") from error
    try:
        with zipfile.ZipFile(archive) as bundle:
            text = unlzw3.unlzw(bundle.read(source.member))
    except (KeyError, zipfile.BadZipFile, ValueError) as error:
        archive.unlink(missing_ok=True)
        raise DataError(f"{source.url}: no readable {source.member} in the archive ({error}); it was deleted") from error
    if _sha256(text) != source.extracted_sha256:
        archive.unlink(missing_ok=True)
        raise DataError(f"{source.member} from {source.url} is not the expected {target.name} (its SHA-256 is not "
                        f"{source.extracted_sha256}), so it was deleted; set PENDIGITS_PATH to a local copy")
    write_bytes_atomically(target, text)  # whole or not at all, for a second process looking at the same cache
    return target


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


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
