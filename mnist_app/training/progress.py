"""Where a training run is, as the training sends it and as the run directory keeps it: progress.json while it
trains, preparation.json while it prepares its data; and the hooks through which the training sends it and is
stopped.

Apart from train.py, so that reading a run's progress (the pages, the CLI following a run) and running a job
around the training (the worker) need no TensorFlow.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mnist_app.files import read_json_or_empty

PROGRESS_FILE = "progress.json"
PREPARATION_FILE = "preparation.json"


@dataclass(frozen=True)
class Progress:
    """Where a run is: sent after every batch (``epoch_done`` False) and after every epoch (True)."""

    epoch: int  # the current epoch, counting from 1
    epochs: int  # the planned number of epochs
    batch: int  # batches finished in the current epoch
    batches: int  # batches in one epoch
    elapsed_s: float  # seconds since training started
    logs: dict[str, float]  # the latest metrics: loss and accuracy, plus val_ ones at the end of an epoch
    epoch_done: bool
    history: tuple[dict[str, float], ...] = ()  # one row per finished epoch

    @property
    def fraction(self) -> float:
        """How much of the planned run is done, from 0 to 1."""
        return ((self.epoch - 1) * self.batches + self.batch) / (self.epochs * self.batches)

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> "Progress":
        return cls(**{**record, "history": tuple(record.get("history", ()))})


@dataclass(frozen=True)
class Preparation:
    """What a run does before training begins, in plain words, and how far it is (preparation.json)."""

    step: str  # "Drawing 12,000 training digits from pen strokes"
    done: int = 0  # items finished in this step
    total: int = 0  # items in this step; 0 for a step that is not counted

    @property
    def fraction(self) -> float | None:
        """How much of this step is done, from 0 to 1; None for a step that is not counted."""
        return min(1.0, self.done / self.total) if self.total > 0 else None

    def to_record(self) -> dict[str, Any]:
        return asdict(self)


class TrainingStopped(RuntimeError):
    """Training was stopped before a single epoch finished, so there is no model to save."""


def _ignore(report: Any) -> None:
    """A hook nobody listens to."""


@dataclass(frozen=True)
class TrainingHooks:
    """How a training run talks to whoever runs it: what it tells as it goes, and the switch that stops it.

    Every hook is optional. The callbacks are called from the training's own thread; ``stop`` may be set
    from any thread.
    """

    progress: Callable[[Progress], None] = _ignore  # after every batch and every epoch
    preparation: Callable[[Preparation], None] = _ignore  # what the preparation of the data does, and how far it is
    stage: Callable[[str], None] = _ignore  # each part as it begins: "preparing", "training", "evaluating", "saving"
    stop: threading.Event | None = None  # once set, training ends after the current batch


def read_preparation(run_dir: Path) -> Preparation | None:
    """The latest preparation step a run wrote, or None before the first (or if the file is unreadable)."""
    record = read_json_or_empty(run_dir / PREPARATION_FILE)
    try:
        return Preparation(**record) if record else None
    except TypeError:
        return None


def read_progress(run_dir: Path) -> Progress | None:
    """The latest progress a run wrote, or None before its first batch (or if the file is unreadable)."""
    record = read_json_or_empty(run_dir / PROGRESS_FILE)
    try:
        return Progress.from_record(record) if record else None
    except TypeError:
        return None
