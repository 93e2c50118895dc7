"""The training worker without TensorFlow: ``python -m tests.fake_worker RUN_DIR --lock-fd N`` (or ``--lock-in-database``).

It is the real worker (mnist_app.jobs.worker.main: the lock, run.json's states, progress.json,
preparation.json, the stop file, activation) with only the training replaced by ``FakeTraining``, which
takes a hundredth of a second per batch instead of TensorFlow's fit. Tests start it with
``Trainer(paths, worker_module=FAKE_WORKER)``, or pass a ``FakeTraining`` to ``worker.run_job`` directly.

The process reads how its training should go from the environment it inherits from the test:
FAKE_ACCURACY (the test accuracy on the card) and FAKE_FAIL_IN (a stage to fail in).
"""

from __future__ import annotations

import errno
import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from mnist_app.config import TrainConfig
from mnist_app.jobs import worker
from mnist_app.models import store
from mnist_app.training.progress import Preparation, Progress, TrainingHooks, TrainingStopped

FAKE_WORKER = "tests.fake_worker"  # Trainer(paths, worker_module=FAKE_WORKER)
MNIST_TRAINING_IMAGES = 60_000
NOT_A_MODEL = b"fake weights: a stand-in for model.keras, never loaded\n"


@dataclass(frozen=True)
class FakeResult:
    card: dict


@dataclass(frozen=True)
class FakeTraining:
    """Stands in for mnist_app.training.train.train: the same hooks, called in the same order, and a model
    directory (whose model.keras is no real model) written into ``out_dir`` whole, the card last."""

    accuracy: float = 0.5  # the new model's test accuracy (the shipped model's is above 0.99)
    fail_in: str | None = None  # "preparing", "training" or "saving": raise there, as a broken disk or bug would
    batch_s: float = 0.01  # seconds per batch
    reading_s: float = 0.5  # seconds reading MNIST: a stop in the meantime comes while the data is prepared

    @classmethod
    def from_env(cls) -> FakeTraining:
        return cls(accuracy=float(os.environ.get("FAKE_ACCURACY", cls.accuracy)), fail_in=os.environ.get("FAKE_FAIL_IN") or None)

    def __call__(self, config: TrainConfig, out_dir: Path, *, hooks: TrainingHooks, command: str | None = None,
                 active: tuple[str, Path] | None = None) -> FakeResult:
        hooks.stage("preparing")
        hooks.preparation(Preparation("Reading the MNIST digits"))
        time.sleep(self.reading_s)
        self._maybe_fail("preparing")
        if config.non_digits:  # a counted step, reported every 100 items, as the drawing of the non-digits is
            hooks.preparation(Preparation("Reading the drawings that are no digit"))
            total = config.non_digits
            for done in (*range(100, total, 100), total):
                hooks.preparation(Preparation(f"Drawing {total:,} things that are no digit (taps, scribbles, letters)", done, total))
        hooks.preparation(Preparation("Building the model"))
        hooks.stage("training")
        self._maybe_fail("training")
        history, stopped_in = self._fit(config, hooks)
        if not history:
            raise TrainingStopped("training was stopped before the first epoch finished; nothing was saved")
        hooks.stage("evaluating")
        card = self._card(config, history, stopped_in, command, active)
        hooks.stage("saving")
        self._maybe_fail("saving")
        _write_model_dir(Path(out_dir), card)
        return FakeResult(card)

    def _fit(self, config: TrainConfig, hooks: TrainingHooks) -> tuple[list[dict], int | None]:
        """Epochs of batches, each a short sleep, reported as the real training reports them; a stop ends the
        epoch after the current batch, and that epoch is not counted."""
        images = (config.train_limit or MNIST_TRAINING_IMAGES) * (1 - config.validation_split)
        batches = math.ceil(images / config.batch_size)
        history: list[dict] = []
        started = time.perf_counter()
        for epoch in range(1, config.epochs + 1):
            for batch in range(1, batches + 1):
                time.sleep(self.batch_s)
                stopped = hooks.stop is not None and hooks.stop.is_set()
                hooks.progress(Progress(epoch, config.epochs, batch, batches, time.perf_counter() - started,
                                        {"loss": 1.0 / epoch}, epoch_done=False, history=tuple(history)))
                if stopped:
                    return history, epoch
            history.append({"epoch": epoch, "loss": 1.0 / epoch, "val_loss": 1.0 / epoch, "val_accuracy": self.accuracy})
            hooks.progress(Progress(epoch, config.epochs, batches, batches, time.perf_counter() - started,
                                    {"loss": 1.0 / epoch, "val_loss": 1.0 / epoch}, epoch_done=True, history=tuple(history)))
        return history, None

    def _card(self, config, history, stopped_in, command, active) -> dict:
        return {
            "name": config.model, "command": command or "fake training", "config": asdict(config), "parameters": 1,
            "epochs_run": len(history), "best_epoch": len(history), "history": history,
            "stopped_by_user": stopped_in is not None, "stopped_in_epoch": stopped_in,
            "test": {"accuracy": self.accuracy, "loss": 1.0 - self.accuracy, "errors": 0},
            "fake": {"active": [active[0], str(active[1])] if active else None},  # what the worker passed on
        }

    def _maybe_fail(self, stage: str) -> None:
        if self.fail_in != stage:
            return
        if stage == "saving":
            raise OSError(errno.ENOSPC, "No space left on device")
        raise RuntimeError(f"fake training failed while {stage}")


def _write_model_dir(out_dir: Path, card: dict) -> None:
    """The three files of a model directory; the card, which makes the run a version, goes in last."""
    (out_dir / store.MODEL_FILE).write_bytes(NOT_A_MODEL)
    (out_dir / store.EVALUATION_FILE).write_text(json.dumps({"accuracy": card["test"]["accuracy"], "misclassified": []}))
    temporary = out_dir / f".{store.CARD_FILE}.partial"
    temporary.write_text(json.dumps(card, indent=2))
    os.replace(temporary, out_dir / store.CARD_FILE)


def main(argv: list[str] | None = None) -> int:
    return worker.main(argv, train=FakeTraining.from_env())


if __name__ == "__main__":
    raise SystemExit(main())
