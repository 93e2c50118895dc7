"""Training jobs: one at a time across processes, in a worker process, stoppable from anywhere, saved as a
version, and harmless when they fail or are killed."""

import dataclasses
import errno
import json
import os
import signal
import threading
import time

import pytest

from mnist_app import files
from mnist_app.jobs import worker
from mnist_app.models import store, versions
from mnist_app.config import Paths, TrainConfig
from mnist_app.jobs.trainer import LOG_FILE, Trainer, TrainerBusy, default_config, read_status

# Seconds on 1,200 MNIST images (and a few drawings that are no digit), plus the worker's start.
QUICK = TrainConfig(epochs=2, batch_size=32, warmup_epochs=0.2, augment=False, seed=2, train_limit=1200, non_digits=200)
LONG = dataclasses.replace(QUICK, epochs=30, train_limit=6000)  # minutes: long enough to watch and stop


@pytest.fixture
def paths(runs_dir):
    return Paths.from_env()


@pytest.fixture
def trainer(paths, mnist):  # the worker reads MNIST from MNIST_PATH, as the fixture does
    return Trainer(paths)


def wait_for(condition, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.02)


def test_a_short_retrain_becomes_a_version_and_can_be_activated(trainer, paths):
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
    trainer.wait(timeout=120)
    assert [v.id for v in versions.list_versions(paths) if not v.shipped] == [started[0].run_id]


def test_another_process_training_makes_the_trainer_busy(trainer, paths):
    other = versions.TrainingLock(paths)  # what a CLI run or a second server would hold
    assert other.acquire()
    try:
        with pytest.raises(TrainerBusy, match="another process is training"):
            trainer.start(QUICK)
    finally:
        other.release()
    assert trainer.status() is None and not paths.runs_dir.joinpath(versions.LOCK_FILE).read_text()


def test_stop_after_an_epoch_saves_the_best_epoch(trainer, paths):
    trainer.start(dataclasses.replace(LONG, train_limit=1200))
    wait_for(lambda: trainer.status().progress is not None and trainer.status().progress.epoch >= 2, timeout=120)
    trainer.stop()
    status = trainer.wait(timeout=120)
    assert status.stage == "stopped" and status.card["stopped_by_user"] and 1 <= status.card["epochs_run"] < 30
    assert versions.find_version(paths, status.run_id).usable


def test_stop_before_the_first_epoch_leaves_a_run_marked_stopped(trainer, paths):
    trainer.start(LONG)
    wait_for(lambda: trainer.status().progress is not None)
    trainer.stop()
    status = trainer.wait(timeout=60)
    assert status.stage == "stopped" and status.card is None and "before the first epoch" in status.error
    version = versions.find_version(paths, status.run_id)
    assert version.state == "stopped" and not version.usable
    assert trainer.start(QUICK).run_id != status.run_id  # the lock was released: the next run starts
    trainer.wait(timeout=120)


def test_stop_while_the_data_is_prepared_ends_the_run_at_once(trainer, paths):
    status = trainer.start(LONG)
    trainer.stop()  # before the worker has even loaded TensorFlow: the stage is "preparing"
    status = trainer.wait(timeout=60)
    assert status.stage == "stopped" and status.card is None and "while the data was being prepared" in status.error
    assert status.progress is None and not versions.training_elsewhere(paths)


def test_a_failed_save_leaves_the_active_model_and_says_why(paths, small_mnist, monkeypatch):
    # The worker's job, run here in the test's process so that the disk can be made to fail.
    from mnist_app.training import train

    versions.activate(paths, "mnist-cnn")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "write_model_dir", disk_full)
    monkeypatch.setattr(train, "load_mnist", lambda: small_mnist)
    run_dir = versions.new_run_dir(paths, dataclasses.asdict(QUICK))
    assert worker.run_job(paths, run_dir, QUICK, activate="always", command="pytest") == "failed"
    status = read_status(run_dir)
    assert status.stage == "failed" and "could not be saved" in status.error and "No space left on device" in status.error
    assert versions.active_version(paths).version.id == "mnist-cnn"
    assert versions.find_version(paths, status.run_id).state == "failed"


def test_the_worker_writes_what_the_preparation_does_for_the_page(paths, small_mnist, monkeypatch):
    # The worker's job, run here in the test's process so that every write of preparation.json is seen.
    from mnist_app.training import progress, train

    written = []
    write = files.write_json_atomically

    def spy(path, record):
        if path.name == progress.PREPARATION_FILE:
            written.append(progress.Preparation(**record))
        write(path, record)

    monkeypatch.setattr(files, "write_json_atomically", spy)
    monkeypatch.setattr(train, "load_mnist", lambda: small_mnist)
    run_dir = versions.new_run_dir(paths, dataclasses.asdict(QUICK))
    assert worker.run_job(paths, run_dir, QUICK, activate="never", command="pytest") == "finished"
    steps = [step.step for step in written]
    assert steps[:2] == ["Starting TensorFlow", "Reading the MNIST digits"] and steps[-1] == "Building the model"
    drawn = [step for step in written if step.total]
    assert drawn[-1] == progress.Preparation("Drawing 200 things that are no digit (taps, scribbles, letters)", 200, 200)
    assert progress.read_preparation(run_dir) == written[-1]


def test_a_preparing_run_shows_its_preparation(paths):
    run_dir = versions.new_run_dir(paths, dataclasses.asdict(QUICK), stage="preparing")
    files.write_json_atomically(run_dir / "preparation.json", {"step": "Drawing 12,000 training digits from pen strokes", "done": 4100, "total": 12000})
    lock = versions.TrainingLock(paths)  # as the worker holds it
    assert lock.acquire()
    try:
        status = read_status(run_dir)
    finally:
        lock.release()
    assert status.stage == "preparing" and status.preparation.fraction == pytest.approx(4100 / 12000)
    versions.write_run_state(run_dir, "running", stage="training")
    assert read_status(run_dir).preparation is None  # the stage is over (and this run is dead: failed)


def test_a_second_trainer_sees_the_live_run_stops_it_and_cannot_start_another(trainer, paths):
    # What a second server (or the CLI) on the same runs folder sees: the run the first one started.
    started = trainer.start(LONG)
    other = Trainer(paths)
    wait_for(lambda: (status := other.status()) is not None and status.progress is not None, timeout=120)
    assert other.status().run_id == started.run_id and other.status().stage == "training"
    with pytest.raises(TrainerBusy, match=f"run {started.run_id} is training already"):
        other.start(QUICK)
    other.stop()
    status = trainer.wait(timeout=120)
    assert status.stage == "stopped" and status.run_id == started.run_id
    assert other.status().stage == "stopped"


def test_the_worker_runs_in_its_own_process_at_a_lower_priority(trainer, paths):
    status = trainer.start(LONG)
    wait_for(lambda: trainer.status().stage == "training", timeout=120)
    pid = json.loads((paths.runs_dir / status.run_id / versions.RUN_FILE).read_text())["pid"]
    assert pid != os.getpid() and os.getpriority(os.PRIO_PROCESS, pid) >= os.getpriority(os.PRIO_PROCESS, 0) + worker.NICENESS
    trainer.stop()
    trainer.wait(timeout=120)


def test_a_killed_worker_ends_the_run_as_failed_and_frees_the_lock(trainer, paths):
    status = trainer.start(LONG)
    wait_for(lambda: trainer.status().progress is not None, timeout=120)
    pid = json.loads((paths.runs_dir / status.run_id / versions.RUN_FILE).read_text())["pid"]
    os.kill(pid, signal.SIGKILL)  # the kernel's out-of-memory killer, or an operator
    wait_for(lambda: not trainer.status().running, timeout=30)
    ended = trainer.status()
    assert ended.stage == "failed" and "ended without a word" in ended.error
    assert versions.find_version(paths, status.run_id).state == "interrupted" and not versions.training_elsewhere(paths)
    assert trainer.start(QUICK).run_id != status.run_id
    trainer.wait(timeout=120)


def test_a_run_that_ends_while_its_status_is_read_is_not_taken_for_dead(paths, monkeypatch):
    # The worker records its outcome, then frees the lock. A reader that finds the lock free must find the
    # outcome too, however the two reads interleave with the worker's last steps (CI once read "failed").
    run_dir = versions.new_run_dir(paths, dataclasses.asdict(QUICK), stage="saving")

    def probe_as_the_worker_ends(probed_paths):
        versions.write_run_state(run_dir, "finished", ended_at=time.time())
        return False  # by the time of the probe the worker has gone

    monkeypatch.setattr(versions, "training_elsewhere", probe_as_the_worker_ends)
    status = read_status(run_dir)
    assert status.stage == "finished" and status.error is None


def test_activate_if_better_compares_test_accuracy(trainer, paths):
    status = trainer.start(QUICK, activate="if_better")
    status = trainer.wait(timeout=120)
    assert not status.activated  # 2 epochs on 1,200 images do not beat the shipped model
    assert versions.active_version(paths).version.id == "mnist-cnn"
    status = trainer.start(QUICK, activate="always")
    assert trainer.wait(timeout=120).activated
    assert versions.active_version(paths).version.id == status.run_id


def test_activate_choice_is_checked(trainer):
    with pytest.raises(ValueError, match="activate must be one of never, if_better, always"):
        trainer.start(QUICK, activate="sometimes")


def test_default_config_repeats_the_shipped_data_and_augmentation_in_fewer_epochs(tmp_path):
    pen = tmp_path / "pendigits-orig.tra"
    pen.write_text("")
    shipped = store.read_card(Paths().default_model_dir)["config"]
    config = default_config(Paths(pen_path=pen))
    assert config.epochs < shipped["epochs"] and config.pen_path == str(pen)
    for field in ("model", "augment", "max_rotation_deg", "max_scale", "max_shear", "max_shift_px", "stroke_range",
                  "validation_split", "seed", "pen_renders"):
        assert getattr(config, field) == (tuple(shipped[field]) if isinstance(shipped[field], list) else shipped[field]), field
    assert list(config.pen_writers) == shipped["pen_writers"]
    assert default_config(Paths(pen_path=None)).pen_path is None  # without the file: MNIST alone


@pytest.fixture
def accepted_corrections(paths, training_writers):
    """The database the app keeps (in the test's runs folder), with 12 accepted corrections: 10 to train on,
    2 held out."""
    from mnist_app.corrections import CorrectionStore
    from tests.test_taught import store_correction

    store = CorrectionStore(paths.corrections_file)
    digits = [digit for digit in training_writers if digit.writer == 27][:12]
    store.accept([store_correction(store, digit, "canvas") for digit in digits])
    return store


def test_a_retrain_with_corrections_measures_the_held_out_ones(paths, small_mnist, monkeypatch, accepted_corrections):
    # The worker's job, run here in the test's process, with the shipped model active as it starts.
    from mnist_app.training import progress, train
    from mnist_app.training.from_corrections import read_corrections
    from mnist_app.reading.recognize import load_predictor

    monkeypatch.setattr(train, "load_mnist", lambda: small_mnist)
    config = dataclasses.replace(QUICK, corrections_path=str(paths.corrections_file), correction_renders=5)
    run_dir = versions.new_run_dir(paths, dataclasses.asdict(config))
    assert worker.run_job(paths, run_dir, config, activate="never", command="pytest") == "finished"
    card = store.read_card(run_dir)
    _, held_out = read_corrections(paths.corrections_file)
    shipped = load_predictor(paths.default_model_dir)
    active_right = sum(int(shipped(c.model_input / 255).argmax()) == c.label for c in held_out)
    figures = card["corrections"]
    assert {key: figures[key] for key in ("trained_on", "held_out", "active_right", "active_version")} == {
        "trained_on": 10, "held_out": 2, "active_right": active_right, "active_version": "mnist-cnn"}
    new = load_predictor(run_dir)
    assert figures["new_right"] == sum(int(new(c.model_input / 255).argmax()) == c.label for c in held_out)
    assert card["train_images"] + card["validation_images"] == 1200 + 200 + 10 * 5  # MNIST, no digit, corrections
    assert card["config"]["corrections_path"] == str(paths.corrections_file)
    assert progress.read_preparation(run_dir).step == "Building the model"


def test_a_retrain_without_corrections_has_no_corrections_figures(paths, small_mnist, monkeypatch):
    from mnist_app.training import train

    monkeypatch.setattr(train, "load_mnist", lambda: small_mnist)
    run_dir = versions.new_run_dir(paths, dataclasses.asdict(QUICK))
    assert worker.run_job(paths, run_dir, QUICK, activate="never", command="pytest") == "finished"
    assert "corrections" not in store.read_card(run_dir)


def test_the_default_config_learns_from_the_corrections_once_some_are_accepted(paths, training_writers):
    from mnist_app.corrections import CorrectionStore
    from tests.test_taught import store_correction

    assert default_config(paths).corrections_path is None and not paths.corrections_file.exists()
    store = CorrectionStore(paths.corrections_file)
    first = store_correction(store, training_writers[0], "canvas")
    assert default_config(paths).corrections_path is None  # sent, not yet accepted
    store.accept([first])
    assert default_config(paths).corrections_path == str(paths.corrections_file)
    assert default_config(paths, corrections_path=None).corrections_path is None  # the page may still leave them out
