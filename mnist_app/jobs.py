"""Training jobs: one run at a time, in a background thread, with a live status and a stop switch.

The app's retrain button and ``python -m mnist_app train`` both start runs through ``Trainer``, so they
write the same run layout (see versions.py). A ``Trainer`` runs one job at a time; the training lock file
extends that to every process sharing the runs folder (a second server, the CLI). Status reports are
frozen snapshots, safe to read from any thread; the job itself never calls Streamlit.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from mnist_app import versions
from mnist_app.config import PEN_TRAINING_WRITERS, Paths, TrainConfig
from mnist_app.data import Mnist, load_mnist

# The retrain button's schedule: the shipped model's data and augmentation in 3 epochs instead of 40, with
# smaller batches and a higher peak learning rate after a short warm-up, so that few epochs go far. Before the
# writing conventions and the drawings that are no digit it took 278 s on 2 cores (99.36%); with them, the same
# schedule through the CLI reached 99.35% in 348 s of training plus 2.5 minutes drawing the extra images once.
RETRAIN_EPOCHS = 3
RETRAIN_BATCH_SIZE = 64
RETRAIN_LEARNING_RATE = 5e-3
RETRAIN_WARMUP_EPOCHS = 0.3
ACTIVATE_CHOICES = ("never", "if_better", "always")


class TrainerBusy(RuntimeError):
    """Another process (a second server, the CLI) is training with the same runs folder."""


@dataclass(frozen=True)
class JobStatus:
    """A snapshot of one job."""

    run_id: str
    config: TrainConfig
    stage: str  # "preparing", "training", "evaluating", "saving", then "finished", "stopped" or "failed"
    started: float  # time.time() when the job started
    ended: float | None = None
    progress: Any = None  # the latest train.Progress, once training has begun
    error: str | None = None  # why the job failed or stopped without a model
    card: dict[str, Any] | None = None  # the new model's card, once it is saved
    activated: bool = False  # whether the new model was made active when the job ended

    @property
    def running(self) -> bool:
        return self.stage not in ("finished", "stopped", "failed")

    def elapsed_s(self) -> float:
        return (self.ended or time.time()) - self.started

    def remaining_s(self) -> float | None:
        """Seconds of training left, projected from the pace so far; None before there is a pace."""
        progress = self.progress
        if not self.running or progress is None or progress.fraction < 0.02:
            return None
        return progress.elapsed_s * (1 - progress.fraction) / progress.fraction


def default_config(paths: Paths, **changes: Any) -> TrainConfig:
    """The retrain button's settings: the shipped model's data (MNIST plus the same pen-drawn digits) and
    augmentation, on the short schedule above. Without the pen-drawn digits file it trains on MNIST alone."""
    pen = paths.pen_path if paths.pen_path is not None and paths.pen_path.is_file() else None
    config = TrainConfig(
        epochs=RETRAIN_EPOCHS,
        batch_size=RETRAIN_BATCH_SIZE,
        learning_rate=RETRAIN_LEARNING_RATE,
        warmup_epochs=RETRAIN_WARMUP_EPOCHS,
        pen_path=str(pen) if pen else None,
        pen_writers=PEN_TRAINING_WRITERS if pen else None,
    )
    return dataclasses.replace(config, **changes)


class Trainer:
    """Starts training runs in a background thread, one at a time, and reports on the latest one."""

    def __init__(self, paths: Paths, load_data: Callable[[], Mnist] = load_mnist):
        self.paths = paths
        self._load_data = load_data
        self._lock = threading.Lock()
        self._job: _Job | None = None

    def start(self, config: TrainConfig, activate: str = "never", command: str | None = None) -> JobStatus:
        """Start a run; if one is already running here, return its status instead of starting another.

        ``activate`` says whether the new model becomes active when it is saved: "never", "always" or
        "if_better" (a higher test accuracy than the active model's).
        """
        if activate not in ACTIVATE_CHOICES:
            raise ValueError(f"activate must be one of {', '.join(ACTIVATE_CHOICES)}, got {activate!r}")
        with self._lock:
            if self._job is not None and self._job.status.running:
                return self._job.status
            lock = versions.TrainingLock(self.paths)
            if not lock.acquire():
                raise TrainerBusy("another process is training a model with the same runs folder; try again when it ends")
            try:
                run_dir = versions.new_run_dir(self.paths, dataclasses.asdict(config))
            except BaseException:
                lock.release()
                raise
            self._job = _Job(self.paths, run_dir, config, activate, command, lock, self._load_data)
            self._job.thread.start()
            return self._job.status

    def status(self) -> JobStatus | None:
        """The running job, or the last one that ran in this process; None if none has."""
        job = self._job
        return job.status if job is not None else None

    def stop(self) -> None:
        """Ask the running job to end after its current batch; the best epoch so far is saved."""
        job = self._job
        if job is not None:
            job.stop.set()

    def wait(self, timeout: float | None = None) -> JobStatus | None:
        """Block until the current job ends (or ``timeout`` seconds pass), then return its status."""
        job = self._job
        if job is not None:
            job.thread.join(timeout)
        return self.status()


class _Job:
    """One run: its thread, its stop switch and its latest status."""

    def __init__(self, paths, run_dir, config, activate, command, lock, load_data):
        self.paths, self.run_dir, self.config = paths, run_dir, config
        self.activate, self.command, self.lock, self.load_data = activate, command, lock, load_data
        self.stop = threading.Event()
        self.status = JobStatus(run_id=run_dir.name, config=config, stage="preparing", started=time.time())
        self.thread = threading.Thread(target=self.run, name=f"training-{run_dir.name}", daemon=True)

    def update(self, **changes: Any) -> None:
        # One reference assignment: readers in other threads see the old snapshot or the new one.
        self.status = dataclasses.replace(self.status, **changes)

    def run(self) -> None:
        from mnist_app.train import TrainingStopped, train  # TensorFlow loads in the job's thread, not at import

        try:
            result = train(
                self.config, self.run_dir, data=self.load_data(), progress=lambda progress: self.update(progress=progress),
                stop=self.stop, command=self.command, stage=lambda stage: self.update(stage=stage),
            )
            activated = self.activate == "always" or (self.activate == "if_better" and self._beats_active(result.card))
            if activated:
                versions.activate(self.paths, self.run_dir.name)
            outcome = "stopped" if result.card["stopped_by_user"] else "finished"
            self._record(outcome)
            self.update(stage=outcome, card=result.card, activated=activated, ended=time.time())
        except TrainingStopped as error:
            self._record("stopped", error=str(error))
            self.update(stage="stopped", error=str(error), ended=time.time())
        except Exception as error:  # noqa: BLE001  (whatever went wrong, the job ends and says why)
            reason = f"{type(error).__name__}: {error}"
            if self.status.stage == "saving":
                reason = f"the model could not be saved ({reason}); the active model is unchanged"
            self._record("failed", error=reason)
            self.update(stage="failed", error=reason, ended=time.time())
        finally:
            self.lock.release()

    def _beats_active(self, card: dict[str, Any]) -> bool:
        active = versions.active_version(self.paths).version.card or {}
        return card["test"]["accuracy"] > active.get("test", {}).get("accuracy", 0.0)

    def _record(self, state: str, **fields: Any) -> None:
        try:
            versions.write_run_state(self.run_dir, state, **fields)
        except OSError:
            pass  # the disk that failed the save may fail this too; the listing then says "interrupted"
