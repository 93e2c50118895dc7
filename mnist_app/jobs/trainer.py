"""Training jobs: one run at a time, in a process of its own, with a live status and a stop switch.

The app's retrain button and ``python -m mnist_app train`` both start runs through ``Trainer``. A run
trains in a separate process (``python -m mnist_app.jobs.worker RUN_DIR``, see worker.py) at a low CPU
priority, so that a retrain slows visitors' answers little and a crash in training cannot take the server
with it. The run directory is the single source of truth: the worker writes its stage, progress and
outcome there, each file replaced atomically, and a stop request is a file there too. So any server
process sharing the runs folder, or one restarted in the middle of a run, shows the live run and can stop
it. The training lock (mnist_app.models.locks: a file lock, or an advisory lock in the database that servers
on several machines share) is taken by whoever starts the run and handed to the worker, which holds it until
it exits, however it exits: one run at a time across every process.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnist_app import database, files
from mnist_app.config import PEN_TRAINING_WRITERS, PROJECT_ROOT, UJI_TRAINING_WRITERS, Paths, TrainConfig
from mnist_app.models import locks, store, versions
from mnist_app.training.from_corrections import has_accepted
from mnist_app.training.progress import Preparation, Progress, read_preparation, read_progress

# The retrain button's schedule: the shipped model's data and augmentation in 2 epochs instead of 24, with
# small batches and a high peak learning rate after a short warm-up, so that few epochs go far. Measured on
# 2 cores (docs/figures.md#retraining): 99.32% and 99.37% (seeds 1 and 2) in 308-312 s from the start to a
# saved model when the drawings are cached; 3 epochs of 64 reached 99.36% but took 392-426 s.
RETRAIN_EPOCHS = 2
RETRAIN_BATCH_SIZE = 32
RETRAIN_LEARNING_RATE = 3.5e-3
RETRAIN_WARMUP_EPOCHS = 0.3
ACTIVATE_CHOICES = ("never", "if_better", "always")
ENDED = ("finished", "stopped", "failed")
STOP_FILE = "stop"
LOG_FILE = "worker.log"
WORKER_MODULE = "mnist_app.jobs.worker"  # the training worker process, started with python -m


class TrainerBusy(RuntimeError):
    """Another process (a second server, the CLI) is training with the same runs folder."""


@dataclass(frozen=True)
class JobStatus:
    """A snapshot of one run, as its run directory tells it."""

    run_id: str
    config: TrainConfig
    stage: str  # "preparing", "training", "evaluating", "saving", then "finished", "stopped" or "failed"
    started: float  # time.time() when the job started
    ended: float | None = None
    progress: Progress | None = None  # the latest report, once training has begun
    error: str | None = None  # why the job failed or stopped without a model
    card: dict[str, Any] | None = None  # the new model's card, once it is saved
    activated: bool = False  # whether the new model was made active when the job ended
    preparation: Preparation | None = None  # what the run does while its stage is "preparing", and how far it is

    @property
    def running(self) -> bool:
        return self.stage not in ENDED

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
    augmentation, on the short schedule above. ``paths.pen_path`` None (PENDIGITS_PATH=none) trains on
    MNIST alone; a pen_path not yet downloaded is fetched by the run (data.pen_digits_file). The corrections
    database is learned from once it holds accepted corrections."""
    pen = paths.pen_path
    corrections = paths.corrections_location
    config = TrainConfig(
        epochs=RETRAIN_EPOCHS,
        batch_size=RETRAIN_BATCH_SIZE,
        learning_rate=RETRAIN_LEARNING_RATE,
        warmup_epochs=RETRAIN_WARMUP_EPOCHS,
        pen_path=str(pen) if pen else None,
        pen_writers=PEN_TRAINING_WRITERS if pen else None,
        uji_path=str(paths.uji_path) if paths.uji_path else None,
        uji_writers=UJI_TRAINING_WRITERS if paths.uji_path else None,
        corrections_path=database.described(str(corrections)) if has_accepted(corrections) else None,
    )
    return dataclasses.replace(config, **changes)


class Trainer:
    """Starts training runs in a worker process, one at a time, and reports on the latest one.

    Every method reads the run directory, so two Trainers (two servers, or a server and the CLI) on the
    same runs folder see the same run.
    """

    def __init__(self, paths: Paths, worker_module: str = WORKER_MODULE):
        """``worker_module``: what runs each job, as ``python -m worker_module RUN_DIR LOCK-ARGUMENTS`` (worker.py)."""
        self.paths, self.worker_module = paths, worker_module
        self._lock = threading.Lock()
        self._run_id: str | None = None  # the run this Trainer last started or saw running
        self._process: subprocess.Popen | None = None

    def start(self, config: TrainConfig, activate: str = "never", command: str | None = None) -> JobStatus:
        """Start a run in a new worker process and return its first status.

        ``activate`` says whether the new model becomes active when it is saved: "never", "always" or
        "if_better" (a higher test accuracy than the active model's). TrainerBusy while any run on the same
        runs folder is training, whoever started it (this server, another one, the CLI).
        """
        if activate not in ACTIVATE_CHOICES:
            raise ValueError(f"activate must be one of {', '.join(ACTIVATE_CHOICES)}, got {activate!r}")
        with self._lock:
            current = self.status()
            if current is not None and current.running:
                raise TrainerBusy(f"run {current.run_id} is training already; it can be watched or stopped, "
                                  "and a new run started when it ends")
            lock = locks.training_lock(self.paths)
            if not lock.acquire():
                raise TrainerBusy("another process is training a model with the same runs folder; try again when it ends")
            try:  # the worker takes the lock over; this process lets go of it whatever happens
                run_dir = versions.new_run_dir(self.paths, dataclasses.asdict(config), stage="preparing",
                                               activate=activate, command=command)
                self._process = self._spawn(run_dir, lock)
                versions.write_run_state(run_dir, "running", pid=self._process.pid)  # the worker's, from now on
                lock.hand_over(self._process)
            finally:
                lock.release()
            self._run_id = run_dir.name
            return self.status()

    def status(self) -> JobStatus | None:
        """The running run (whoever started it), else the last one this Trainer started or saw; None if none."""
        if self._process is not None:
            self._process.poll()  # reap the worker once it has exited
        running = _running_run(self.paths)
        if running is not None:
            self._run_id = running.name
        if self._run_id is None:
            return None
        return read_status(self.paths.runs_dir / self._run_id, self.paths)

    def stop(self) -> None:
        """Ask the running run to end after its current batch; the best epoch so far is saved."""
        status = self.status()
        if status is not None and status.running:
            request_stop(self.paths.runs_dir / status.run_id)

    def wait(self, timeout: float | None = None, poll_s: float = 0.25) -> JobStatus | None:
        """Block until the current run ends and its worker lets go of the lock (or ``timeout`` seconds
        pass), then return its status."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (status := self.status()) is not None and (status.running or locks.training_elsewhere(self.paths)):
            if deadline is not None and time.monotonic() >= deadline:
                break
            time.sleep(poll_s)
        return status

    def _spawn(self, run_dir: Path, lock: locks.FileLock | locks.DatabaseLock) -> subprocess.Popen:
        log = open(run_dir / LOG_FILE, "ab")  # noqa: SIM115  (the worker writes it; closed here once passed on)
        try:
            return subprocess.Popen(
                [sys.executable, "-m", self.worker_module, str(run_dir), *lock.worker_arguments()],
                cwd=PROJECT_ROOT, pass_fds=lock.inherited(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                # Its own session: Ctrl-C in a terminal, or the server being stopped, does not reach the run,
                # which anyone can still stop through its directory.
                start_new_session=True,
                env={**os.environ, "RUNS_DIR": str(self.paths.runs_dir), "PYTHONUNBUFFERED": "1"},
            )
        except OSError as error:
            versions.write_run_state(run_dir, "failed", error=f"the training process could not start ({error})", ended_at=time.time())
            raise
        finally:
            log.close()


def read_status(run_dir: Path, paths: Paths | None = None) -> JobStatus:
    """A run's status from its directory: run.json, progress.json and, once saved, card.json. ``paths`` says
    where the training lock is (None: as the environment says, for the runs folder of ``run_dir``)."""
    # The lock is probed before run.json is read: the worker records its outcome, then frees the lock, so a
    # free lock and a record that still says running, read in this order, mean the worker died unheard.
    # (Read the other way round, a run ending between the two reads would pass for a dead one.)
    worker_alive = locks.training_elsewhere(paths or dataclasses.replace(Paths.from_env(), runs_dir=run_dir.parent))
    record = files.read_json_or_empty(run_dir / versions.RUN_FILE)
    state = record.get("state", "failed")
    stage = record.get("stage", "preparing") if state == "running" else state
    error = record.get("error")
    if state == "running" and not worker_alive:
        stage, error = "failed", f"the training process ended without a word (killed, or out of memory){_log_tail(run_dir)}"
    try:
        config = TrainConfig.from_record(record.get("config", {}))
    except (TypeError, ValueError) as problem:  # a hand-edited or damaged run.json must not break the pages that list runs
        config = TrainConfig()
        if stage not in ENDED or not error:
            stage, error = "failed", f"its settings in {versions.RUN_FILE} cannot be read ({problem})"
    card = None
    if (run_dir / store.CARD_FILE).is_file():
        try:
            card = store.read_card(run_dir)
        except (OSError, ValueError):
            card = None
    return JobStatus(
        run_id=run_dir.name,
        config=config,
        stage=stage,
        started=_timestamp(record.get("started")) or time.time(),
        ended=record.get("ended_at") if stage in ENDED else None,
        progress=read_progress(run_dir),
        error=error,
        card=card if stage in ENDED else None,
        activated=bool(record.get("activated", False)),
        preparation=read_preparation(run_dir) if stage == "preparing" else None,
    )


def request_stop(run_dir: Path) -> None:
    """Ask the run in ``run_dir`` to stop after its current batch (the worker looks for the file)."""
    (run_dir / STOP_FILE).touch()


def stop_requested(run_dir: Path) -> bool:
    return (run_dir / STOP_FILE).exists()


def _running_run(paths: Paths) -> Path | None:
    """The run whose worker holds the training lock now: the newest run that says it is running."""
    if not locks.training_elsewhere(paths):
        return None
    for run_dir in sorted(versions.run_dirs(paths), reverse=True):
        if files.read_json_or_empty(run_dir / versions.RUN_FILE).get("state") == "running":
            return run_dir
    return None


def _log_tail(run_dir: Path, lines: int = 3) -> str:
    try:
        tail = (run_dir / LOG_FILE).read_text(errors="replace").strip().splitlines()[-lines:]
    except OSError:
        return ""
    return f"; the end of its log: {' / '.join(tail)}" if tail else ""


def _timestamp(iso: str | None) -> float | None:
    try:
        return dt.datetime.fromisoformat(iso).timestamp() if iso else None
    except ValueError:
        return None
