"""Training jobs: one at a time across processes, in a worker process, stoppable from anywhere, saved as a
version, and harmless when they fail or are killed. Every test runs twice: with the training lock and the
active choice in the runs folder, and in a real PostgreSQL database (DATABASE_URL), as servers on several
machines keep them.

Most tests start the real worker with a fake training (tests/fake_worker.py: no TensorFlow, a hundredth of a
second per batch); the ones marked slow start the real one, which trains on real MNIST, for what only it shows.
"""

import dataclasses
import json
import os
import signal
import threading
import time

import pytest

from mnist_app.config import Paths, TrainConfig
from mnist_app.jobs import worker
from mnist_app.jobs.trainer import LOG_FILE, Trainer, TrainerBusy
from mnist_app.models import locks, store, versions
from tests.fake_worker import FAKE_WORKER

# Seconds on 1,200 MNIST images (and a few drawings that are no digit), plus the worker's start; the fake
# training takes 2 epochs of 35 batches, about a second.
QUICK = TrainConfig(epochs=2, batch_size=32, warmup_epochs=0.2, augment=False, seed=2, train_limit=1200, non_digits=200)
# Minutes: long enough to watch and stop. The fake training takes 2 s an epoch, a minute in all.
LONG = dataclasses.replace(QUICK, epochs=30, train_limit=6000)


@pytest.fixture(params=["files", "database"])
def paths(request, runs_dir, monkeypatch):
    if request.param == "database":
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("database_url"))  # the workers inherit it
    return Paths.from_env()


@pytest.fixture
def trainer(paths):
    """A Trainer whose worker is the real one with a fake training (tests/fake_worker.py)."""
    return Trainer(paths, worker_module=FAKE_WORKER)


@pytest.fixture
def real_trainer(runs_dir, mnist):  # the worker reads MNIST from MNIST_PATH, as the fixture does
    """The real worker, with the lock in the runs folder only: what it adds to the fake one is TensorFlow's, and
    the lock in the database is the fake's to prove."""
    return Trainer(Paths.from_env())


def wait_for(condition, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.02)


@pytest.mark.slow  # a real worker process trains a real model on real MNIST
def test_a_short_retrain_becomes_a_version_and_can_be_activated(real_trainer):
    trainer, paths = real_trainer, real_trainer.paths
    started = trainer.start(QUICK, command="pytest")
    assert started.running and started.stage == "preparing"
    status = trainer.wait(timeout=120)
    assert status.stage == "finished" and status.card["test"]["accuracy"] > 0.8 and not status.activated
    assert status.progress.history and status.progress.fraction == 1.0
    # Saving the model put the run's record in place with it: its settings, its start, the worker's log.
    run_dir = paths.runs_dir / status.run_id
    record = json.loads((run_dir / versions.RUN_FILE).read_text())
    assert record["config"] == dataclasses.asdict(QUICK) | {"stroke_range": list(QUICK.stroke_range)} and record["command"] == "pytest"
    assert 0 < status.elapsed_s() < 300 and (run_dir / LOG_FILE).stat().st_size > 0
    version = versions.find_version(paths, status.run_id)
    assert version.usable and not version.shipped and version.card["command"] == "pytest"
    assert versions.active_version(paths).version.id == "mnist-cnn"  # not active until asked
    versions.activate(paths, status.run_id)
    loaded, model, problem = versions.load_active(paths, store.load_model_dir)
    assert loaded.id == status.run_id and problem is None and model.count_params() == version.card["parameters"]


def test_two_concurrent_starts_make_one_job(trainer, paths):
    results, barrier = [], threading.Barrier(4)

    def click():
        barrier.wait()
        results.append(trainer.start(QUICK))

    def click_or_busy():
        try:
            click()
        except TrainerBusy as error:
            results.append(error)

    clicks = [threading.Thread(target=click_or_busy) for _ in range(4)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    started = [status for status in results if not isinstance(status, TrainerBusy)]
    assert len(started) == 1 and all("is training already" in str(error) for error in results if error not in started)
    trainer.wait(timeout=60)
    assert [v.id for v in versions.list_versions(paths) if not v.shipped] == [started[0].run_id]


def test_another_process_training_makes_the_trainer_busy(trainer, paths):
    other = locks.training_lock(paths)  # what a CLI run or a second server would hold
    assert other.acquire()
    try:
        with pytest.raises(TrainerBusy, match="another process is training"):
            trainer.start(QUICK)
    finally:
        other.release()
    assert trainer.status() is None and versions.run_dirs(paths) == []


def test_stop_after_an_epoch_saves_the_best_epoch(trainer, paths):
    trainer.start(LONG)
    wait_for(lambda: trainer.status().progress is not None and trainer.status().progress.epoch >= 2)
    trainer.stop()
    status = trainer.wait(timeout=60)
    assert status.stage == "stopped" and status.card["stopped_by_user"] and 1 <= status.card["epochs_run"] < 30
    assert status.card["stopped_in_epoch"] == status.card["epochs_run"] + 1 and status.error is None
    assert versions.find_version(paths, status.run_id).usable


def test_stop_before_the_first_epoch_leaves_a_run_marked_stopped(trainer, paths):
    trainer.start(dataclasses.replace(LONG, train_limit=None))  # the fake's first epoch on all of MNIST: 17 s
    wait_for(lambda: trainer.status().progress is not None)
    trainer.stop()
    status = trainer.wait(timeout=60)
    assert status.stage == "stopped" and status.card is None and "before the first epoch" in status.error
    assert status.progress.epoch == 1 and not status.progress.history
    version = versions.find_version(paths, status.run_id)
    assert version.state == "stopped" and not version.usable
    assert trainer.start(QUICK).run_id != status.run_id  # the lock was released: the next run starts
    assert trainer.wait(timeout=60).stage == "finished"


def test_stop_while_the_data_is_prepared_ends_the_run_at_once(trainer, paths):
    status = trainer.start(LONG)
    trainer.stop()  # before the worker has even started training: the stage is "preparing"
    status = trainer.wait(timeout=60)
    assert status.stage == "stopped" and status.card is None and "while the data was being prepared" in status.error
    assert status.progress is None and not locks.training_elsewhere(paths)


def test_a_failed_save_leaves_the_active_model_and_says_why(trainer, paths, monkeypatch):
    # The worker process's disk fills up as it saves (the fake training fails there): the run says why, the
    # active model stays, and the lock goes with the process. tests/test_worker.py has the details.
    monkeypatch.setenv("FAKE_FAIL_IN", "saving")
    started = trainer.start(QUICK, activate="always")
    status = trainer.wait(timeout=60)
    assert status.stage == "failed" and "could not be saved" in status.error and "No space left on device" in status.error
    assert versions.active_version(paths).version.id == "mnist-cnn" and versions.find_version(paths, started.run_id).state == "failed"
    monkeypatch.delenv("FAKE_FAIL_IN")
    assert trainer.start(QUICK).run_id != started.run_id and trainer.wait(timeout=60).stage == "finished"


def test_a_second_trainer_sees_the_live_run_stops_it_and_cannot_start_another(trainer, paths):
    # What a second server (or the CLI) on the same runs folder sees: the run the first one started.
    started = trainer.start(LONG)
    other = Trainer(paths, worker_module=FAKE_WORKER)
    wait_for(lambda: (status := other.status()) is not None and status.progress is not None)
    assert other.status().run_id == started.run_id and other.status().stage == "training"
    with pytest.raises(TrainerBusy, match=f"run {started.run_id} is training already"):
        other.start(QUICK)
    other.stop()
    status = trainer.wait(timeout=60)
    assert status.stage == "stopped" and status.run_id == started.run_id
    assert other.status().stage == "stopped"


def test_the_worker_runs_in_its_own_process_at_a_lower_priority(trainer, paths):
    status = trainer.start(LONG)
    wait_for(lambda: trainer.status().stage == "training")
    pid = json.loads((paths.runs_dir / status.run_id / versions.RUN_FILE).read_text())["pid"]
    assert pid != os.getpid() and os.getpriority(os.PRIO_PROCESS, pid) >= os.getpriority(os.PRIO_PROCESS, 0) + worker.NICENESS
    trainer.stop()
    trainer.wait(timeout=60)


@pytest.mark.slow  # a real worker, killed while TensorFlow trains on real MNIST
def test_a_killed_worker_ends_the_run_as_failed_and_frees_the_lock(real_trainer):
    trainer, paths = real_trainer, real_trainer.paths
    status = trainer.start(LONG)
    wait_for(lambda: trainer.status().progress is not None, timeout=120)
    pid = json.loads((paths.runs_dir / status.run_id / versions.RUN_FILE).read_text())["pid"]
    os.kill(pid, signal.SIGKILL)  # the kernel's out-of-memory killer, or an operator
    wait_for(lambda: not trainer.status().running, timeout=30)
    ended = trainer.status()
    assert ended.stage == "failed" and "ended without a word" in ended.error
    assert versions.find_version(paths, status.run_id).state == "interrupted" and not locks.training_elsewhere(paths)
    assert trainer.start(QUICK).run_id != status.run_id  # the lock is free: the next run starts (and stops at once)
    trainer.stop()
    assert trainer.wait(timeout=60).stage == "stopped"


def test_activate_if_better_compares_test_accuracy_with_the_active_model(trainer, paths, monkeypatch):
    shipped = versions.active_version(paths).version.card["test"]["accuracy"]

    def run(accuracy: float, activate: str):
        monkeypatch.setenv("FAKE_ACCURACY", str(accuracy))  # the fake training's test accuracy
        started = trainer.start(QUICK, activate=activate)
        status = trainer.wait(timeout=60)
        assert status.stage == "finished" and status.run_id == started.run_id and status.card["test"]["accuracy"] == accuracy
        return status

    assert not run(shipped - 0.01, "if_better").activated  # as 2 epochs on 1,200 images: below the shipped model
    assert versions.active_version(paths).version.id == "mnist-cnn"
    worse = run(shipped - 0.02, "always")
    assert worse.activated and versions.active_version(paths).version.id == worse.run_id
    better = run(shipped - 0.01, "if_better")  # below the shipped model, above the active one
    assert better.activated and versions.active_version(paths).version.id == better.run_id


def test_a_killed_worker_frees_the_lock_for_every_server(trainer, paths):
    # The fake worker, killed while it trains: the lock goes with its process (its file, or its database session).
    status = trainer.start(LONG)
    wait_for(lambda: trainer.status().stage == "training")
    os.kill(json.loads((paths.runs_dir / status.run_id / versions.RUN_FILE).read_text())["pid"], signal.SIGKILL)
    other = Trainer(paths, worker_module=FAKE_WORKER)  # another server
    wait_for(lambda: not other.status().running, timeout=30)
    assert other.status().stage == "failed" and "ended without a word" in other.status().error
    assert other.start(QUICK).run_id != status.run_id and other.wait(timeout=60).stage == "finished"


def test_servers_that_share_only_the_database_train_one_at_a_time(runs_dir, database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    paths = Paths.from_env()
    trainer = Trainer(paths, worker_module=FAKE_WORKER)
    # A second machine: another runs folder (as if its mount lagged, or were another disk), the same database.
    elsewhere = Trainer(dataclasses.replace(paths, runs_dir=tmp_path / "elsewhere"), worker_module=FAKE_WORKER)
    started = trainer.start(LONG)
    with pytest.raises(TrainerBusy, match="another process is training"):
        elsewhere.start(QUICK)
    assert not (paths.runs_dir / locks.LOCK_FILE).exists()  # the lock is the database's, not a file's
    trainer.stop()
    assert trainer.wait(timeout=60).run_id == started.run_id
    assert elsewhere.start(QUICK).stage == "preparing" and elsewhere.wait(timeout=60).stage == "finished"
