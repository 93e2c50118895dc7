"""Training on the corrections users sent: the images made of them, the held-out share kept out, the figures."""

import numpy as np
import pytest

from mnist_app.config import TrainConfig
from mnist_app.corrections import CorrectionStore, is_held_out
from mnist_app.handwriting.pendigits import PenDigit, draw_strokes
from mnist_app.reading.preprocess import model_input
from mnist_app.training.from_corrections import correction_images, has_accepted, held_out_figures, read_corrections

CORRECTIONS = 12  # ids 1-12: 4 and 12 are held out (fixed by id), the other 10 are trained on
PHOTO_IDS = {3, 4}  # stored as photos: no strokes


def canvas_strokes(digit: PenDigit, height: float = 180.0) -> list[np.ndarray]:
    """A pen digit's strokes as the canvas reports them: canvas pixels, the digit ``height`` tall in the middle."""
    points = np.concatenate(digit.strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = height / max(high[1] - low[1], 1.0)
    return [((stroke - (low + high) / 2) * scale + 140).astype(np.float32) for stroke in digit.strokes]


def store_correction(store: CorrectionStore, digit: PenDigit, source: str) -> int:
    strokes = canvas_strokes(digit)
    drawn = draw_strokes(strokes, height=180, stroke_width=18)  # (280, 280) uint8, as the canvas shows it
    seen = np.round(model_input(drawn) * 255).astype(np.uint8)
    return store.add(session="test", label=digit.label, predicted=(digit.label + 1) % 10, confidence=0.9,
                     model_version="mnist-cnn", source=source, model_input=seen, crop=drawn[40:240, 40:240],
                     strokes=strokes if source == "canvas" else None)


@pytest.fixture
def corrections_db(tmp_path, training_writers):
    """A database of 12 accepted corrections, pen digits of writer 27 (not trained on by the shipped model)."""
    store = CorrectionStore(tmp_path / "corrections.sqlite")
    digits = [d for d in training_writers if d.writer == 27][:CORRECTIONS]
    ids = [store_correction(store, digit, "photo" if index + 1 in PHOTO_IDS else "canvas") for index, digit in enumerate(digits)]
    assert ids == list(range(1, CORRECTIONS + 1)) and [i for i in ids if is_held_out(i)] == [4, 12]
    store.accept(ids)
    return store


def test_the_held_out_share_is_never_trained_on(corrections_db):
    trained, held_out = read_corrections(corrections_db.location)
    assert [c.id for c in trained] == [1, 2, 3, 5, 6, 7, 8, 9, 10, 11] and [c.id for c in held_out] == [4, 12]
    images, labels = correction_images(trained, renders=4, seed=1)
    assert images.shape == (40, 28, 28) and images.dtype == np.uint8
    for correction in held_out:
        assert not any(np.array_equal(image, correction.model_input) for image in images)


def test_a_new_correction_is_not_trained_on_until_accepted(corrections_db, training_writers):
    store_correction(corrections_db, training_writers[0], "canvas")  # id 13, stays "new"
    trained, held_out = read_corrections(corrections_db.location)
    assert 13 not in {c.id for c in trained + held_out}


def test_a_drawing_is_redrawn_from_its_strokes_and_keeps_its_label(corrections_db):
    trained, _ = read_corrections(corrections_db.location)
    drawing = next(c for c in trained if c.source == "canvas")
    images, labels = correction_images([drawing], renders=6, seed=1)
    assert len(images) == 6 and set(labels) == {drawing.label}
    np.testing.assert_array_equal(images[0], drawing.model_input)  # first: what the model read wrong
    assert len({image.tobytes() for image in images}) == 6  # then each drawn anew, every one different
    for image in images[1:]:  # ... and still the same digit in MNIST's form: ink, centred
        rows, columns = np.nonzero(image > 64)
        assert 10 < rows.mean() < 18 and 10 < columns.mean() < 18 and image.max() > 200
        assert np.corrcoef(image.ravel().astype(float), drawing.model_input.ravel().astype(float))[0, 1] > 0.3


def test_a_photo_is_augmented_from_its_pixels(corrections_db):
    trained, _ = read_corrections(corrections_db.location)
    photo = next(c for c in trained if c.source == "photo")
    images, labels = correction_images([photo], renders=5, seed=1)
    assert len(images) == 5 and set(labels) == {photo.label}
    np.testing.assert_array_equal(images[0], photo.model_input)
    ink = photo.model_input.astype(float).sum()
    for image in images[1:]:  # distorted copies (turned, resized, shifted, bolder or thinner): not the original,
        assert not np.array_equal(image, photo.model_input)  # but as much ink, in the same place, much the same shape
        assert 0.4 < image.astype(float).sum() / ink < 2.5  # a 3x3 dilation and 12% larger double it at most
        assert np.corrcoef(image.ravel().astype(float), photo.model_input.ravel().astype(float))[0, 1] > 0.25
    again, _ = correction_images([photo], renders=5, seed=1)
    np.testing.assert_array_equal(images, again)  # seeded


def test_the_training_images_add_the_corrections_and_say_so(corrections_db, mnist):
    from mnist_app.training.train import training_images

    config = TrainConfig(train_limit=300, non_digits=0, corrections_path=str(corrections_db.location), correction_renders=3)
    steps = []
    images, labels = training_images(mnist, config, prepare=steps.append)
    trained, _ = read_corrections(corrections_db.location)
    assert len(images) == 300 + 3 * 10
    np.testing.assert_array_equal(labels[300:], np.repeat([c.label for c in trained], 3))
    assert steps[-1].step == "Drawing 30 training digits from 10 corrections users sent" and steps[-1].fraction == 1.0


def test_the_held_out_figures_count_what_each_model_reads_right(corrections_db, shipped_model_dir):
    _, held_out = read_corrections(corrections_db.location)
    labels = np.array([c.label for c in held_out])

    def reads_all_right(inputs):
        return np.eye(10, dtype=np.float32)[labels]

    figures = held_out_figures(held_out, 10, reads_all_right, ("mnist-cnn", shipped_model_dir))
    from mnist_app.models.model import Predictor
    from mnist_app.models.store import load_model_dir

    shipped = Predictor(load_model_dir(shipped_model_dir))
    reference = sum(int(shipped(c.model_input / 255).argmax()) == c.label for c in held_out)
    assert figures == {"trained_on": 10, "held_out": 2, "new_right": 2, "active_right": reference, "active_version": "mnist-cnn"}
    assert held_out_figures([], 10, reads_all_right, None) == {
        "trained_on": 10, "held_out": 0, "new_right": None, "active_right": None, "active_version": None}


def test_only_a_database_with_accepted_corrections_counts(tmp_path, training_writers):
    path = tmp_path / "corrections.sqlite"
    assert not has_accepted(path) and not path.exists()  # looking does not create the file
    store = CorrectionStore(path)
    correction_id = store_correction(store, training_writers[0], "canvas")
    assert not has_accepted(path)  # new, not yet accepted
    store.accept([correction_id])
    assert has_accepted(path)
    path.write_bytes(b"not a database at all" * 100)
    assert not has_accepted(path)


def test_the_config_checks_the_renders():
    with pytest.raises(ValueError, match="correction_renders must be at least 1"):
        TrainConfig(correction_renders=0)
    with pytest.raises(ValueError, match="corrections_path must name a file"):
        TrainConfig(corrections_path=" ")


def test_the_versions_list_shows_the_held_out_figures():
    from ui.versions_list import held_out_read

    figures = {"trained_on": 32, "held_out": 8, "new_right": 6, "active_right": 0, "active_version": "mnist-cnn"}
    assert held_out_read({"corrections": figures}) == "6 / 8 (mnist-cnn 0)"
    assert held_out_read({"corrections": {**figures, "active_right": None}}) == "6 / 8"
    assert held_out_read({"corrections": {**figures, "held_out": 0, "new_right": None}}) == ""  # none held out yet
    assert held_out_read({}) == ""  # a run without corrections, or a shipped model


def test_the_training_page_shows_the_held_out_corrections_beside_the_test_figures(mnist):
    import json

    from mnist_app.config import Paths
    from mnist_app.models import locks, store
    from tests.apptest import app
    from tests.test_training_page import fake_run, finish_run

    figures = {"trained_on": 32, "held_out": 8, "new_right": 6, "active_right": 0, "active_version": "mnist-cnn"}
    lock = locks.training_lock(Paths.from_env())
    assert lock.acquire()
    try:
        run_dir = fake_run(stage="training")
        watcher = app("training")  # watches the run, so it is shown how the run ended
        finish_run(run_dir)
        card = store.read_card(run_dir) | {"corrections": figures}
        (run_dir / store.CARD_FILE).write_text(json.dumps(card))
    finally:
        lock.release()
    watcher.run()
    shown = next(m for m in watcher.metric if m.label == "Held-out corrections read right")
    assert shown.value == "new 6 of 8, active mnist-cnn 0 of 8" and "learned from 32 others" in shown.help
    table = next(frame.value for frame in app("training").dataframe if "version" in frame.value.columns)
    assert table[table["version"] == run_dir.name].iloc[0]["held-out corrections"] == "6 / 8 (mnist-cnn 0)"
