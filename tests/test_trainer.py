"""The trainer's side of a run, read from its directory alone: its status (a live, ended or dead worker), the
retrain button's settings, and what a start refuses. tests/test_jobs.py starts and stops real runs."""

import dataclasses
import time

import pytest

from mnist_app import files
from mnist_app.config import Paths, TrainConfig
from mnist_app.corrections import CorrectionStore
from mnist_app.jobs.trainer import LOG_FILE, JobStatus, Trainer, default_config, read_status
from mnist_app.models import locks, store, versions
from mnist_app.training.progress import Progress
from tests.fake_worker import FAKE_WORKER
from tests.test_from_corrections import store_correction

QUICK = TrainConfig(epochs=2, batch_size=32, augment=False, train_limit=1200)


@pytest.fixture
def paths(runs_dir):
    return Paths.from_env()


def held(paths):
    """The training lock, held as a live worker holds it."""
    lock = locks.training_lock(paths)
    assert lock.acquire()
    return lock


def test_a_preparing_run_shows_its_preparation(paths):
    run_dir = versions.new_run_dir(paths, dataclasses.asdict(QUICK), stage="preparing")
    files.write_json_atomically(run_dir / "preparation.json", {"step": "Drawing 12,000 training digits from pen strokes", "done": 4100, "total": 12000})
    lock = held(paths)
    try:
        status = read_status(run_dir)
    finally:
        lock.release()
    assert status.stage == "preparing" and status.preparation.fraction == pytest.approx(4100 / 12000)
    versions.write_run_state(run_dir, "running", stage="training")
    assert read_status(run_dir).preparation is None  # the stage is over (and this run is dead: failed)


def test_a_run_that_ends_while_its_status_is_read_is_not_taken_for_dead(paths, monkeypatch):
    # The worker records its outcome, then frees the lock. A reader that finds the lock free must find the
    # outcome too, however the two reads interleave with the worker's last steps (CI once read "failed").
    run_dir = versions.new_run_dir(paths, dataclasses.asdict(QUICK), stage="saving")

    def probe_as_the_worker_ends(probed_paths):
        versions.write_run_state(run_dir, "finished", ended_at=time.time())
        return False  # by the time of the probe the worker has gone

    monkeypatch.setattr(locks, "training_elsewhere", probe_as_the_worker_ends)
    status = read_status(run_dir)
    assert status.stage == "finished" and status.error is None


def test_activate_choice_is_checked(paths):
    with pytest.raises(ValueError, match="activate must be one of never, if_better, always"):
        Trainer(paths, worker_module=FAKE_WORKER).start(QUICK, activate="sometimes")
    assert versions.run_dirs(paths) == [] and not locks.training_elsewhere(paths)


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


def test_the_default_config_learns_from_the_corrections_once_some_are_accepted(paths, training_writers):
    assert default_config(paths).corrections_path is None and not paths.corrections_file.exists()
    corrections = CorrectionStore(paths.corrections_file)
    first = store_correction(corrections, training_writers[0], "canvas")
    assert default_config(paths).corrections_path is None  # sent, not yet accepted
    corrections.accept([first])
    assert default_config(paths).corrections_path == str(paths.corrections_file)
    assert default_config(paths, corrections_path=None).corrections_path is None  # the page may still leave them out


def test_a_run_that_says_running_without_a_worker_failed_and_shows_the_end_of_its_log(paths):
    run_dir = versions.new_run_dir(paths, dataclasses.asdict(QUICK), stage="training")
    (run_dir / LOG_FILE).write_text("Epoch 1\nKilled\n")
    status = read_status(run_dir)  # nobody holds the lock: the worker died without recording an outcome
    assert status.stage == "failed" and not status.running
    assert status.error == "the training process ended without a word (killed, or out of memory); the end of its log: Epoch 1 / Killed"


@pytest.mark.parametrize("config, stage", [({"epochs": 0}, "failed"), ("not a dict", "failed"), ({"epochs": 2, "colour": "blue"}, "finished")])
def test_a_run_whose_settings_cannot_be_read_is_listed_not_raised(paths, config, stage):
    # A run.json edited by hand, damaged, or written by another version: the pages that list runs must go on.
    run_dir = versions.new_run_dir(paths, {})
    files.write_json_atomically(run_dir / versions.RUN_FILE, {"state": "finished", "config": config, "started": "2026-12-06T10:00:00+00:00"})
    status = read_status(run_dir)
    assert status.stage == stage and not status.running
    assert stage == "finished" or status.error.startswith(f"its settings in {versions.RUN_FILE} cannot be read")


def test_a_live_run_is_running_and_reports_its_stage(paths):
    run_dir = versions.new_run_dir(paths, dataclasses.asdict(QUICK), stage="training")
    lock = held(paths)
    try:
        status = read_status(run_dir)
        seen = Trainer(paths).status()  # any Trainer on the same runs folder sees the live run
    finally:
        lock.release()
    assert status.running and status.stage == "training" and status.error is None and status.ended is None
    assert seen.run_id == run_dir.name and seen.config == QUICK


def test_the_time_left_is_projected_from_the_pace_so_far():
    def status(epoch, batch, elapsed_s, stage="training"):
        progress = Progress(epoch=epoch, epochs=3, batch=batch, batches=100, elapsed_s=elapsed_s, logs={}, epoch_done=False)
        return JobStatus(run_id="r", config=QUICK, stage=stage, started=0.0, progress=progress)

    assert status(2, 50, 60.0).remaining_s() == pytest.approx(60.0)  # half done in a minute: a minute left
    assert status(1, 5, 3.0).remaining_s() is None  # too early for a pace
    assert status(2, 50, 60.0, stage="stopped").remaining_s() is None  # over


def test_no_run_yet_is_no_status(paths):
    assert Trainer(paths).status() is None
