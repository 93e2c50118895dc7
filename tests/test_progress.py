"""Where a run is: the progress and preparation records a run directory keeps, read back as they were written,
and nothing (never an error) from a file that is missing, half-written or from another version."""

import json

import pytest

from mnist_app import files
from mnist_app.training.progress import (
    PREPARATION_FILE,
    PROGRESS_FILE,
    Preparation,
    Progress,
    TrainingHooks,
    read_preparation,
    read_progress,
)

HISTORY = ({"epoch": 1, "loss": 0.31, "val_loss": 0.12, "learning_rate": 0.005, "seconds": 61.5},)


def progress(**changes) -> Progress:
    fields = dict(epoch=2, epochs=3, batch=40, batches=100, elapsed_s=75.25, logs={"loss": 0.2, "accuracy": 0.94},
                  epoch_done=False, history=HISTORY)
    return Progress(**{**fields, **changes})


def test_a_progress_record_reads_back_as_it_was_written(tmp_path):
    sent = progress()
    files.write_json_atomically(tmp_path / PROGRESS_FILE, sent.to_record())
    assert read_progress(tmp_path) == sent and isinstance(read_progress(tmp_path).history, tuple)
    assert Progress.from_record(json.loads(json.dumps(sent.to_record()))) == sent


def test_a_preparation_record_reads_back_as_it_was_written(tmp_path):
    for sent in (Preparation("Reading the MNIST digits"), Preparation("Drawing 12,000 training digits from pen strokes", 4100, 12000)):
        files.write_json_atomically(tmp_path / PREPARATION_FILE, sent.to_record())
        assert read_preparation(tmp_path) == sent


@pytest.mark.parametrize("content", [
    None,  # not written yet
    "",  # empty
    '{"epoch": 2, "epochs": 3, "bat',  # cut short
    "[1, 2, 3]",  # not an object
    "{}",  # an empty object
    '{"epoch": 2, "epochs": 3}',  # fields missing
    '{"step": "Reading the MNIST digits", "colour": "red"}',  # fields unknown
    b"\xff\xfe\x00",  # not text
])
def test_an_unreadable_file_reads_as_nothing(tmp_path, content):
    for name in (PROGRESS_FILE, PREPARATION_FILE):
        if isinstance(content, bytes):
            (tmp_path / name).write_bytes(content)
        elif content is not None:
            (tmp_path / name).write_text(content)
    assert read_progress(tmp_path) is None and read_preparation(tmp_path) is None


def test_a_run_directory_that_is_gone_reads_as_nothing(tmp_path):
    assert read_progress(tmp_path / "gone") is None and read_preparation(tmp_path / "gone") is None


@pytest.mark.parametrize("epoch, batch, fraction", [(1, 0, 0.0), (1, 50, 50 / 300), (2, 40, 140 / 300), (3, 100, 1.0)])
def test_the_fraction_counts_the_batches_of_the_whole_run(epoch, batch, fraction):
    assert progress(epoch=epoch, batch=batch).fraction == pytest.approx(fraction)


@pytest.mark.parametrize("done, total, fraction", [(0, 0, None), (5, 0, None), (0, 250, 0.0), (100, 250, 0.4), (250, 250, 1.0), (260, 250, 1.0)])
def test_a_preparation_step_is_counted_only_when_it_has_a_total(done, total, fraction):
    assert Preparation("Drawing", done, total).fraction == (pytest.approx(fraction) if fraction is not None else None)


def test_hooks_nobody_listens_to_may_be_called():
    hooks = TrainingHooks()
    hooks.progress(progress())
    hooks.preparation(Preparation("Building the model"))
    hooks.stage("training")
    assert hooks.stop is None
