"""Training jobs: one at a time, stoppable, saved as a version, and harmless when they fail."""

import errno
import threading
import time

import pytest

from mnist_app import store, versions
from mnist_app.config import Paths, TrainConfig
from mnist_app.jobs import Trainer, TrainerBusy, default_config

QUICK = TrainConfig(epochs=2, batch_size=32, warmup_epochs=0.2, augment=False, seed=2)  # seconds on 1,200 images


@pytest.fixture
def paths(runs_dir):
    return Paths.from_env()


@pytest.fixture
def trainer(paths, small_mnist):
    return Trainer(paths, load_data=lambda: small_mnist)


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

    clicks = [threading.Thread(target=click) for _ in range(4)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    assert len({status.run_id for status in results}) == 1
    trainer.wait(timeout=120)
    assert [v.id for v in versions.list_versions(paths) if not v.shipped] == [results[0].run_id]


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
    trainer.start(TrainConfig(epochs=30, batch_size=32, seed=2))
    wait_for(lambda: trainer.status().progress is not None and trainer.status().progress.epoch >= 2)
    trainer.stop()
    status = trainer.wait(timeout=120)
    assert status.stage == "stopped" and status.card["stopped_by_user"] and 1 <= status.card["epochs_run"] < 30
    assert versions.find_version(paths, status.run_id).usable


def test_stop_before_the_first_epoch_leaves_a_run_marked_stopped(trainer, paths):
    trainer.start(TrainConfig(epochs=5, batch_size=16, seed=2))
    wait_for(lambda: trainer.status().progress is not None)
    trainer.stop()
    status = trainer.wait(timeout=60)
    assert status.stage == "stopped" and status.card is None and "before the first epoch" in status.error
    version = versions.find_version(paths, status.run_id)
    assert version.state == "stopped" and not version.usable
    assert trainer.start(QUICK).run_id != status.run_id  # the lock was released: the next run starts
    trainer.wait(timeout=120)


def test_a_failed_save_leaves_the_active_model_and_says_why(trainer, paths, monkeypatch):
    versions.activate(paths, "mnist-cnn")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "write_model_dir", disk_full)
    status = trainer.start(QUICK, activate="always")
    status = trainer.wait(timeout=120)
    assert status.stage == "failed" and "could not be saved" in status.error and "No space left on device" in status.error
    assert versions.active_version(paths).version.id == "mnist-cnn"
    assert versions.find_version(paths, status.run_id).state == "failed"


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
