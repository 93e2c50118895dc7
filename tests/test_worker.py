"""The worker's job (worker.run_job), run here in the test's process with a fake training (tests/fake_worker.py),
so that every file it writes can be watched: run.json's stages and outcome, preparation.json, progress.json,
the stop switch, activation, and what a failure leaves behind. tests/test_jobs.py starts it as a process."""

import dataclasses

import pytest

from mnist_app import files
from mnist_app.config import Paths, TrainConfig
from mnist_app.jobs import trainer, worker
from mnist_app.jobs.trainer import read_status
from mnist_app.models import versions
from mnist_app.training.progress import PREPARATION_FILE, PROGRESS_FILE, Preparation, Progress, read_preparation, read_progress
from tests.fake_worker import FakeTraining

QUICK = TrainConfig(epochs=2, batch_size=32, augment=False, train_limit=1200, non_digits=250)  # the fake: 2 x 35 batches
FAST = FakeTraining(batch_s=0.001, reading_s=0.0)


@pytest.fixture
def paths(runs_dir):
    return Paths.from_env()


@pytest.fixture
def run_dir(paths):
    return versions.new_run_dir(paths, dataclasses.asdict(QUICK), stage="preparing")


@pytest.fixture
def written(monkeypatch):
    """Every record the worker writes, as (file name, record), in order."""
    records = []
    write = files.write_json_atomically

    def spy(path, record):
        records.append((path.name, record))
        write(path, record)

    monkeypatch.setattr(files, "write_json_atomically", spy)
    return records


@pytest.fixture
def stages(monkeypatch):
    """The stages run.json goes through while the run is running, in order."""
    seen = []
    write = versions.write_run_state

    def spy(run_dir, state, **fields):
        if state == "running":
            seen.append(fields["stage"])
        write(run_dir, state, **fields)

    monkeypatch.setattr(versions, "write_run_state", spy)
    return seen


@dataclasses.dataclass(frozen=True)
class StopAt(FakeTraining):
    """The fake training, which sets the stop switch itself after the batch ``at`` (epoch, batch), as the
    worker's watcher would, and keeps every progress report it sends."""

    at: tuple[int, int] = (1, 1)
    sent: list = dataclasses.field(default_factory=list)

    def __call__(self, config, out_dir, *, hooks, **kwargs):
        def progress(report: Progress) -> None:
            self.sent.append(report)
            hooks.progress(report)
            if (report.epoch, report.batch) == self.at:
                hooks.stop.set()

        return super().__call__(config, out_dir, hooks=dataclasses.replace(hooks, progress=progress), **kwargs)


def run(paths, run_dir, training=FAST, activate="never", command="pytest", config=QUICK) -> str:
    return worker.run_job(paths, run_dir, config, activate=activate, command=command, train=training)


def test_a_finished_run_records_its_stages_its_outcome_and_its_model(paths, run_dir, stages):
    assert run(paths, run_dir) == "finished"
    assert stages == ["preparing", "training", "evaluating", "saving"]
    status = read_status(run_dir)
    assert status.stage == "finished" and status.error is None and not status.activated and status.ended is not None
    assert status.card["command"] == "pytest" and versions.find_version(paths, run_dir.name).usable
    assert versions.active_version(paths).version.id == "mnist-cnn"  # "never": not activated


def test_the_worker_passes_the_serving_model_to_the_training(paths, run_dir):
    # The card compares the held-out corrections' readings of the new model with those of the model serving now.
    serving = versions.active_version(paths).version
    run(paths, run_dir)
    assert read_status(run_dir).card["fake"]["active"] == [serving.id, str(serving.path)]


def test_the_worker_writes_what_the_preparation_does_for_the_page(paths, run_dir, written, monkeypatch):
    monkeypatch.setattr(worker, "PROGRESS_EVERY_S", 60.0)  # only the reports written at once are written
    assert run(paths, run_dir) == "finished"
    steps = [Preparation(**record) for name, record in written if name == PREPARATION_FILE]
    drawing = "Drawing 250 things that are no digit (taps, scribbles, letters)"
    # Each new step at once, and the last count of a counted one; the count in between (200 of 250) waits.
    assert steps == [Preparation("Starting TensorFlow"), Preparation("Reading the MNIST digits"),
                     Preparation("Reading the drawings that are no digit"), Preparation(drawing, 100, 250),
                     Preparation(drawing, 250, 250), Preparation("Building the model")]
    assert read_preparation(run_dir) == steps[-1]


def test_progress_is_written_at_every_epoch_and_at_most_twice_a_second_between(paths, run_dir, written):
    assert run(paths, run_dir, training=FakeTraining(batch_s=0.01, reading_s=0.0)) == "finished"  # 0.7 s of batches
    reports = [Progress.from_record(record) for name, record in written if name == PROGRESS_FILE]
    assert [report.epoch for report in reports if report.epoch_done][:2] == [1, 2]  # and the last again, flushed at the end
    assert 1 <= len([report for report in reports if not report.epoch_done]) <= 3  # of 70 batches
    latest = read_progress(run_dir)
    assert latest == reports[-1] and latest.epoch_done and latest.fraction == 1.0 and len(latest.history) == 2


@pytest.mark.parametrize("activate, accuracy, activated", [
    ("never", 1.0, False), ("always", 0.5, True), ("if_better", 0.5, False), ("if_better", 1.0, True)])
def test_the_new_model_is_activated_as_asked(paths, run_dir, activate, accuracy, activated):
    assert run(paths, run_dir, training=dataclasses.replace(FAST, accuracy=accuracy), activate=activate) == "finished"
    assert read_status(run_dir).activated == activated
    assert versions.active_version(paths).version.id == (run_dir.name if activated else "mnist-cnn")


def test_a_failed_save_leaves_the_active_model_and_says_why(paths, run_dir):
    versions.activate(paths, "mnist-cnn")
    assert run(paths, run_dir, training=dataclasses.replace(FAST, fail_in="saving"), activate="always") == "failed"
    status = read_status(run_dir)
    assert status.stage == "failed" and "could not be saved" in status.error and "No space left on device" in status.error
    assert versions.active_version(paths).version.id == "mnist-cnn"
    assert versions.find_version(paths, status.run_id).state == "failed"


@pytest.mark.parametrize("stage", ["preparing", "training"])
def test_a_failure_before_the_save_says_what_went_wrong(paths, run_dir, stage):
    assert run(paths, run_dir, training=dataclasses.replace(FAST, fail_in=stage), activate="always") == "failed"
    status = read_status(run_dir)
    assert status.stage == "failed" and status.error == f"RuntimeError: fake training failed while {stage}"
    assert versions.active_version(paths).version.id == "mnist-cnn" and status.card is None


def test_a_stop_requested_while_preparing_ends_the_run_stopped_without_a_model(paths, run_dir):
    # In the test's process (exit_on_early_stop off) the stop file, there before the run starts, is seen
    # while the data is read, and training ends at its first batch.
    trainer.request_stop(run_dir)
    assert run(paths, run_dir, training=FakeTraining(batch_s=0.01, reading_s=0.5)) == "stopped"
    status = read_status(run_dir)
    assert status.stage == "stopped" and "before the first epoch" in status.error and status.card is None
    assert (status.progress.epoch, status.progress.batch) == (1, 1)
    assert not versions.find_version(paths, run_dir.name).usable


@pytest.mark.parametrize("at", [(1, 5), (2, 3)])
def test_a_stop_keeps_the_last_report_and_what_was_finished(paths, run_dir, monkeypatch, at):
    monkeypatch.setattr(worker, "PROGRESS_EVERY_S", 60.0)  # the last report is written only because it is the last
    training = StopAt(batch_s=0.001, reading_s=0.0, at=at)
    assert run(paths, run_dir, training=training, activate="always") == "stopped"
    status = read_status(run_dir)
    assert status.stage == "stopped" and status.progress == training.sent[-1] and not status.progress.epoch_done
    if at[0] == 1:  # before the first epoch ended: nothing to save
        assert "before the first epoch" in status.error and status.card is None and not status.activated
    else:  # the first epoch is saved, and activated as asked: a stopped run's model is a model
        assert status.card["stopped_by_user"] and status.card["epochs_run"] == 1 and status.activated
        assert versions.find_version(paths, run_dir.name).usable


@dataclasses.dataclass(frozen=True)
class DatabaseGoesAway(FakeTraining):
    """The fake training, during which the database restarts after the first epoch: every session holding an
    advisory lock is cut, as a restart cuts them."""

    url: str = ""

    def __call__(self, config, out_dir, *, hooks, **kwargs):
        from mnist_app import database

        def progress(report: Progress) -> None:
            hooks.progress(report)
            if report.epoch_done and report.epoch == 1:
                with database.connect(self.url) as admin:
                    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted")

        return super().__call__(config, out_dir, hooks=dataclasses.replace(hooks, progress=progress), **kwargs)


def test_a_run_that_loses_its_database_lock_stops_and_says_why(paths, run_dir, database_url, monkeypatch):
    # The run must not go on as if it still kept others from starting: it stops (its best epoch saved) and says why.
    from mnist_app.models import locks

    monkeypatch.setattr(worker, "LOCK_CHECK_S", 0.2)
    lock = locks.DatabaseLock(database_url)
    assert lock.acquire()
    training = DatabaseGoesAway(batch_s=0.02, reading_s=0.0, url=database_url)
    outcome = worker.run_job(paths, run_dir, dataclasses.replace(QUICK, epochs=30), activate="never", command="pytest", train=training, lock=lock)
    status = read_status(run_dir, paths)
    assert outcome == "stopped" and status.card["stopped_by_user"] and 1 <= status.card["epochs_run"] < 30
    assert "the connection to the database that held the training lock was lost" in status.error
