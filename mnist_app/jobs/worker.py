"""The training worker: ``python -m mnist_app.jobs.worker RUN_DIR --lock-fd N`` (or ``--lock-in-database``),
started by trainer.Trainer.

It runs one job, the one its run directory describes (run.json: config, activate, command), and writes
everything about it back there: the stage in run.json, what the preparation of the data is doing in
preparation.json, the latest progress in progress.json (each at most a few times a second, and at every
new step or epoch), and the outcome. It looks for a stop request (the file ``stop``)
several times a second. It holds the training lock it took over (locks.py) until it exits; a lock in the
database is checked every few seconds, and a run that lost it (the database restarted) stops and says why.

It runs at a lower CPU priority than the server, with TensorFlow's thread pools sized for the cores it
may use, so that visitors' answers come first: the run gets what they leave.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from mnist_app import database, files
from mnist_app.config import Paths, TrainConfig
from mnist_app.jobs import trainer
from mnist_app.models import locks, versions
from mnist_app.training.data import pen_digits_file
from mnist_app.training.progress import PREPARATION_FILE, PROGRESS_FILE, Preparation, Progress, TrainingHooks, TrainingStopped

NICENESS = 15  # added to the server's: under contention the kernel gives the server ~30 times its CPU share
PROGRESS_EVERY_S = 0.5  # progress.json is replaced at most this often (and after every epoch)
STOP_POLL_S = 0.2  # how often the stop file is looked for
LOCK_CHECK_S = 5.0  # how often a training lock in the database is checked


def main(argv: list[str] | None = None, train: Train | None = None) -> int:
    """Run the job of the run directory named in ``argv``. ``train`` is the training function (by default
    mnist_app.training.train.train, whose TensorFlow thread pools are sized here first)."""
    parser = argparse.ArgumentParser(prog="python -m mnist_app.jobs.worker", description="Run one training job (started by the app or the CLI).")
    parser.add_argument("run_dir", type=Path)
    lock_argument = parser.add_mutually_exclusive_group()
    lock_argument.add_argument("--lock-fd", type=int, help="the inherited training lock, held until this process exits")
    lock_argument.add_argument("--lock-in-database", action="store_true", help="take over the training lock in DATABASE_URL's database")
    args = parser.parse_args(argv)
    os.nice(NICENESS)
    run_dir = args.run_dir.resolve()
    paths = dataclasses.replace(Paths.from_env(), runs_dir=run_dir.parent)
    lock = _take_over(paths, run_dir) if args.lock_in_database else None
    if args.lock_in_database and lock is None:
        return 1
    if train is None:
        _size_thread_pools()
    record = files.read_json_or_empty(run_dir / versions.RUN_FILE)  # its pid is there already: the starter wrote it
    run_job(paths, run_dir, TrainConfig.from_record(record["config"]), record.get("activate", "never"), record.get("command"),
            exit_on_early_stop=True, train=train, lock=lock)
    # The outcome is recorded: free the lock now, not after TensorFlow's slow exit.
    if args.lock_fd is not None:
        os.close(args.lock_fd)
    if lock is not None:
        lock.release()
    return 0


def _take_over(paths: Paths, run_dir: Path) -> locks.DatabaseLock | None:
    """Queue for the training lock in the database, which the starter lets go once it sees this process
    waiting (locks.py); None, with the run recorded as failed, when it is not had in time."""
    lock = locks.DatabaseLock(paths.database_url or "")
    try:
        if lock.acquire(wait_s=locks.HANDOVER_S):
            return lock
        reason = f"another run took the training lock first (waited {locks.HANDOVER_S:.0f} s)"
    except database.DatabaseError as error:
        reason = str(error)
    _record(run_dir, "failed", error=f"the training process could not take over the training lock: {reason}")
    return None


def run_job(paths: Paths, run_dir: Path, config: TrainConfig, activate: str, command: str | None,
            exit_on_early_stop: bool = False, train: Train | None = None, lock: locks.DatabaseLock | None = None) -> str:
    """Train as ``config`` says into ``run_dir``, recording every step there; returns the final state.

    Whatever goes wrong ends the run as "failed" with the reason in run.json; the active model is changed
    only after a new model has been saved whole, and only as ``activate`` says. ``exit_on_early_stop``
    (the worker process only) ends the process at once when a stop comes before training has begun.
    ``train`` is the training function, called as mnist_app.training.train.train (None: that one). ``lock``:
    the training lock in the database that this process holds, watched while the run lasts.
    """
    job = _Job(run_dir, exit_on_early_stop, lock)
    job.preparation(Preparation("Starting TensorFlow"))
    train = train or _tensorflow_train()
    job.watch_for_stop()
    try:
        _fetch_pen_digits(config, job.preparation)
        # The model serving when the run starts: the card compares the held-out corrections' readings with it.
        serving = versions.active_version(paths).version
        result = train(config, run_dir, hooks=job.hooks(), command=command, active=(serving.id, serving.path))
        job.progress.flush()
        return _conclude(paths, run_dir, result.card, activate)
    except TrainingStopped as error:
        job.progress.flush()
        return _end(run_dir, "stopped", error=str(error))
    except Exception as error:  # noqa: BLE001  (whatever went wrong, the run ends and says why)
        return _end(run_dir, "failed", error=_failure(error, job.stage))


class Train(Protocol):
    """The training function a job calls: mnist_app.training.train.train, or a stand-in with its signature."""

    def __call__(self, config: TrainConfig, out_dir: Path, *, hooks: TrainingHooks, command: str | None,
                 active: tuple[str, Path] | None) -> Any: ...  # a result whose .card is the new model's card


def _tensorflow_train() -> Train:
    from mnist_app.training.train import train  # TensorFlow loads here, in the worker only

    return train


class _Job:
    """One run as the worker sees it: its stage, its stop switch, and the writers of what it reports."""

    def __init__(self, run_dir: Path, exit_on_early_stop: bool, lock: locks.DatabaseLock | None = None):
        self.run_dir, self.exit_on_early_stop, self.lock = run_dir, exit_on_early_stop, lock
        self.stage = "preparing"
        self.state_lock = threading.Lock()  # the stage and run.json change together, never under an early stop
        self.stop = threading.Event()
        self.preparation = _LatestWriter(run_dir / PREPARATION_FILE, always=_new_step)
        self.progress = _LatestWriter(run_dir / PROGRESS_FILE, always=lambda old, new: new.epoch_done)

    def hooks(self) -> TrainingHooks:
        return TrainingHooks(progress=self.progress, preparation=self.preparation, stage=self.on_stage, stop=self.stop)

    def on_stage(self, name: str) -> None:
        with self.state_lock:
            self.stage = name
            versions.write_run_state(self.run_dir, "running", stage=name)

    def watch_for_stop(self) -> None:
        threading.Thread(target=self._watch_for_stop, daemon=True).start()

    def _watch_for_stop(self) -> None:
        """Set ``stop`` once the stop file appears, or the training lock in the database is lost (the run could
        no longer keep others from starting: it stops and says why). While the data is still being prepared
        (minutes, the first time) there is nothing to save, and training would only notice at its first batch:
        the worker process ends at once instead. The caches written meanwhile are renamed into place whole, so
        an exit loses nothing."""
        lock_checked = time.monotonic()
        while not self.stop.is_set():
            if self.lock is not None and time.monotonic() - lock_checked >= LOCK_CHECK_S:
                lock_checked = time.monotonic()
                if not self.lock.alive():
                    with self.state_lock:
                        versions.write_run_state(self.run_dir, "running", error="the connection to the database that held the training lock "
                                                 "was lost (the database restarted or went away), so the run stopped")
                    trainer.request_stop(self.run_dir)
            if trainer.stop_requested(self.run_dir):
                self.stop.set()
                with self.state_lock:
                    if self.exit_on_early_stop and self.stage == "preparing":
                        _record(self.run_dir, "stopped", error="stopped while the data was being prepared, before training began; nothing was saved")
                        os._exit(0)  # the lock goes with the process
            time.sleep(STOP_POLL_S)


def _new_step(old: Preparation | None, new: Preparation) -> bool:
    """Whether a preparation report is written at once: a new step, or the last item of a counted one."""
    return old is None or old.step != new.step or new.done == new.total


def _fetch_pen_digits(config: TrainConfig, prepared: Callable[[Preparation], None]) -> None:
    """The pen-drawn digits the run trains on: a local file, or UCI's download (once, then Keras's cache)."""
    if config.pen_path is None:
        return
    if not Path(config.pen_path).is_file():
        prepared(Preparation("Downloading the pen-drawn digits from UCI (1.7 MB, once)"))
    pen_digits_file(config.pen_path)


def _conclude(paths: Paths, run_dir: Path, card: dict[str, Any], activate: str) -> str:
    """Activate the saved model as ``activate`` says, and record how the run ended."""
    activated = activate == "always" or (activate == "if_better" and _beats_active(paths, card))
    if activated:
        versions.activate(paths, run_dir.name)
    return _end(run_dir, "stopped" if card["stopped_by_user"] else "finished", activated=activated)


def _failure(error: Exception, stage: str) -> str:
    reason = f"{type(error).__name__}: {error}"
    if stage == "saving":
        return f"the model could not be saved ({reason}); the active model is unchanged"
    return reason


def _end(run_dir: Path, outcome: str, **fields: Any) -> str:
    _record(run_dir, outcome, **fields)
    return outcome


class _LatestWriter:
    """Receives every report (a Progress, a Preparation) and writes the latest to ``path``, at most every
    half second (a batch or a drawing takes milliseconds), and at once when ``always(previous, new)`` says
    so (the end of an epoch, a new step of the preparation)."""

    def __init__(self, path: Path, always: Callable[[Any, Any], bool]):
        self.path, self.always = path, always
        self.latest: Progress | Preparation | None = None
        self.written_at = 0.0

    def __call__(self, report: Progress | Preparation) -> None:
        previous, self.latest = self.latest, report
        if self.always(previous, report) or time.monotonic() - self.written_at >= PROGRESS_EVERY_S:
            self.flush()

    def flush(self) -> None:
        if self.latest is not None:
            files.write_json_atomically(self.path, self.latest.to_record())
            self.written_at = time.monotonic()


def _beats_active(paths: Paths, card: dict[str, Any]) -> bool:
    active = versions.active_version(paths).version.card or {}
    return card["test"]["accuracy"] > active.get("test", {}).get("accuracy", 0.0)


def _record(run_dir: Path, state: str, **fields: Any) -> None:
    try:
        versions.write_run_state(run_dir, state, ended_at=time.time(), **fields)
    except OSError:
        pass  # the disk that failed the save may fail this too; the run then reads as ended without a word


def _size_thread_pools() -> None:
    """TensorFlow's pools: one thread per core this process may run on for the maths, two for scheduling
    (TensorFlow's default of one pool thread per core for each, on top of the server's own, oversubscribes)."""
    import tensorflow as tf

    cores = len(os.sched_getaffinity(0))
    tf.config.threading.set_intra_op_parallelism_threads(cores)
    tf.config.threading.set_inter_op_parallelism_threads(min(2, cores))


if __name__ == "__main__":
    raise SystemExit(main())
