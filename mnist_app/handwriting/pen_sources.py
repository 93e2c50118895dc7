"""Which pen-drawn digits a training run learns from, and which writers it keeps out to calibrate on.

Two collections of real pen trajectories, each writer a different person:
- pendigits (UCI, Turkey): ``pendigits-orig.tra``'s 30 writers (``TrainConfig.pen_path``); its ``.tes``
  file's 14 writers are never trained or tuned on.
- UJI Pen Characters (Spain, ujipen.py): the data set's 40 ``trn`` writers (``TrainConfig.uji_path``);
  its 20 ``tst`` writers are never read for training, a second set of people the project has never seen.

A run learns from ``pen_writers`` and ``uji_writers`` of those files (None: all their training writers);
the training writers it leaves out are where its temperature and thresholds are fitted (calibrate.py),
so that how sure it says it is was measured on people of both collections it did not learn from.
"""

from __future__ import annotations

from mnist_app.config import TrainConfig
from mnist_app.handwriting.pendigits import PenDigit, read_pendigits
from mnist_app.handwriting.ujipen import read_ujipen


def training_digits(config: TrainConfig) -> list[PenDigit]:
    """The pen-drawn digits ``config`` trains on: pendigits' first, then UJI's, in file order."""
    return [digit for digits, writers in _sources(config) for digit in digits if writers is None or digit.writer in writers]


def held_out_digits(config: TrainConfig) -> list[PenDigit]:
    """The digits of the training files' writers that ``config`` leaves out (none where it takes them all)."""
    return [digit for digits, writers in _sources(config) if writers is not None for digit in digits if digit.writer not in writers]


def _sources(config: TrainConfig) -> list[tuple[list[PenDigit], set[int] | None]]:
    sources = []
    if config.pen_path is not None:
        sources.append((read_pendigits(config.pen_path), _as_set(config.pen_writers)))
    if config.uji_path is not None:
        sources.append((read_ujipen(config.uji_path, split="trn"), _as_set(config.uji_writers)))
    return sources


def _as_set(writers: tuple[int, ...] | None) -> set[int] | None:
    return set(writers) if writers is not None else None
