"""The training worker: ``python -m mnist_app.jobs.worker RUN_DIR --lock-fd N``, started by trainer.Trainer.

It runs one job, the one its run directory describes (run.json: config, activate, command), and writes
everything about it back there: the stage in run.json, what the preparation of the data is doing in
preparation.json, the latest progress in progress.json (each at most a few times a second, and at every
new step or epoch), and the outcome. It looks for a stop request (the file ``stop``)
several times a second. It holds the training lock it inherited until it exits.

It runs at a lower CPU priority than the server, with TensorFlow's thread pools sized for the cores it
may use, so that visitors' answers come first: the run gets what they leave.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

from mnist_app import files
from mnist_app.jobs import trainer
from mnist_app.models import versions
from mnist_app.config import Paths, TrainConfig
from mnist_app.training.progress import PREPARATION_FILE, PROGRESS_FILE, Preparation, Progress

NICENESS = 15  # added to the server's: under contention the kernel gives the server ~30 times its CPU share
PROGRESS_EVERY_S = 0.5  # progress.json is replaced at most this often (and after every epoch)
STOP_POLL_S = 0.2  # how often the stop file is looked for


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_app.jobs.worker", description="Run one training job (started by the app or the CLI).")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--lock-fd", type=int, help="the inherited training lock, held until this process exits")
    args = parser.parse_args(argv)
    os.nice(NICENESS)
    _size_thread_pools()
    run_dir = args.run_dir.resolve()
    record = files.read_json_or_empty(run_dir / versions.RUN_FILE)  # its pid is there already: the starter wrote it
    paths = dataclasses.replace(Paths.from_env(), runs_dir=run_dir.parent)
    run_job(paths, run_dir, TrainConfig.from_record(record["config"]), record.get("activate", "never"), record.get("command"),
            exit_on_early_stop=True)
    if args.lock_fd is not None:
        os.close(args.lock_fd)  # the outcome is recorded: free the lock now, not after TensorFlow's slow exit
    return 0


def run_job(paths: Paths, run_dir: Path, config: TrainConfig, activate: str, command: str | None,
            exit_on_early_stop: bool = False) -> str:
    """Train as ``config`` says into ``run_dir``, recording every step there; returns the final state.

    Whatever goes wrong ends the run as "failed" with the reason in run.json; the active model is changed
    only after a new model has been saved whole, and only as ``activate`` says. ``exit_on_early_stop``
    (the worker process only) ends the process at once when a stop comes before training has begun.
    """
    prepared = _LatestWriter(run_dir / PREPARATION_FILE, always=lambda old, new: old is None or old.step != new.step or new.done == new.total)
    prepared(Preparation("Starting TensorFlow"))
    from mnist_app.training.data import pen_digits_file
    from mnist_app.training.train import TrainingStopped, train  # TensorFlow loads here, in the worker only

    stop = threading.Event()
    stage = "preparing"
    state_lock = threading.Lock()  # the stage and run.json change together, never under an early stop
    early_stage = (lambda: stage) if exit_on_early_stop else (lambda: None)
    watcher = threading.Thread(target=_watch_for_stop, args=(run_dir, stop, early_stage, state_lock), daemon=True)
    watcher.start()

    def on_stage(name: str) -> None:
        nonlocal stage
        with state_lock:
            stage = name
            versions.write_run_state(run_dir, "running", stage=name)

    report = _LatestWriter(run_dir / PROGRESS_FILE, always=lambda old, new: new.epoch_done)
    try:
        if config.pen_path is not None:
            if not Path(config.pen_path).is_file():
                prepared(Preparation("Downloading the pen-drawn digits from UCI (1.7 MB, once)"))
            pen_digits_file(config.pen_path)  # a local file, or UCI's download (once, then Keras's cache)
        # The model serving when the run starts: the card compares the held-out corrections' readings with it.
        serving = versions.active_version(paths).version
        result = train(config, run_dir, progress=report, stop=stop, command=command, stage=on_stage, prepare=prepared,
                       active=(serving.id, serving.path))
        report.flush()
        activated = activate == "always" or (activate == "if_better" and _beats_active(paths, result.card))
        if activated:
            versions.activate(paths, run_dir.name)
        outcome = "stopped" if result.card["stopped_by_user"] else "finished"
        _record(run_dir, outcome, activated=activated)
    except TrainingStopped as error:
        report.flush()
        outcome = "stopped"
        _record(run_dir, outcome, error=str(error))
    except Exception as error:  # noqa: BLE001  (whatever went wrong, the run ends and says why)
        reason = f"{type(error).__name__}: {error}"
        if stage == "saving":
            reason = f"the model could not be saved ({reason}); the active model is unchanged"
        outcome = "failed"
        _record(run_dir, outcome, error=reason)
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


def _watch_for_stop(run_dir: Path, stop: threading.Event, stage, state_lock: threading.Lock) -> None:
    """Set ``stop`` once the stop file appears. While the data is still being prepared (minutes, the first
    time) there is nothing to save, and training would only notice at its first batch: the run ends at
    once instead. The caches written meanwhile are renamed into place whole, so an exit loses nothing."""
    while not stop.is_set():
        if trainer.stop_requested(run_dir):
            stop.set()
            with state_lock:
                if stage() == "preparing":
                    _record(run_dir, "stopped", error="stopped while the data was being prepared, before training began; nothing was saved")
                    os._exit(0)  # the lock goes with the process
        time.sleep(STOP_POLL_S)


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
