from pathlib import Path

import numpy as np
import pytest

from mnist_app.config import TrainConfig
from mnist_app.handwriting.pendigits import draw_like_a_user, draw_strokes, pen_training_set, read_pendigits, write_on_paper

PENDIGITS = Path(__file__).resolve().parents[2] / "shared" / "data" / "pendigits"


def test_reader_finds_every_digit_of_the_thirty_writers(training_writers):
    assert len(training_writers) == 7494
    assert len({digit.writer for digit in training_writers}) == 30
    assert np.bincount([digit.label for digit in training_writers])[0] == 780  # as the UCI description says
    first = training_writers[0]
    assert first.label == 8 and first.writer == 12
    assert first.strokes[0][0].tolist() == [267, 500 - 333]  # screen y = 500 - tablet y


def test_reader_names_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.tra: no such file"):
        read_pendigits(tmp_path / "nothing.tra")


def test_drawing_puts_the_digit_where_and_as_large_as_asked():
    stroke = np.array([[0, 0], [0, 100]], np.float32)  # a vertical bar, 100 tablet units high
    canvas = draw_strokes([stroke], (280, 280), height=150, centre=(100, 140), stroke_width=10)
    rows, columns = np.nonzero(canvas > 127)
    assert abs((rows.max() - rows.min()) - 160) <= 2  # 150 plus the round pen's two half widths
    assert abs(columns.mean() - 100) < 1 and abs(rows.mean() - 140) < 1
    assert abs((columns.max() - columns.min() + 1) - 10) <= 1


def test_user_drawings_fit_the_canvas(training_writers):
    rng = np.random.default_rng(0)
    for digit in training_writers[:50]:
        canvas = draw_like_a_user(digit, rng)
        rows, columns = np.nonzero(canvas)
        assert canvas.shape == (280, 280) and canvas.dtype == np.uint8
        assert rows.min() > 0 and columns.min() > 0 and rows.max() < 279 and columns.max() < 279


def test_paper_photo_has_a_box_per_digit(training_writers):
    photo, boxes = write_on_paper(training_writers[:4], np.random.default_rng(1))
    assert photo.ndim == 3 and photo.dtype == np.uint8 and len(boxes) == 4
    assert [box[0] for box in boxes] == sorted(box[0] for box in boxes)
    assert np.median(photo) > 150  # light paper


def test_pen_training_set_goes_through_the_app_preprocessing(training_writers):
    images, labels = pen_training_set([digit for digit in training_writers if digit.writer == 3], renders=2, seed=0)
    assert images.shape == (2 * 250, 28, 28) and images.dtype == np.uint8 and labels.shape == (500,)
    assert set(labels.tolist()) == set(range(10))
    # MNIST-like: full-strength ink, centred, with a nearly empty margin of 4 pixels
    assert images.max() == 255
    margin = np.ones((28, 28), bool)
    margin[4:24, 4:24] = False
    assert images[:, margin].sum() < 0.05 * images.sum()  # MNIST's test set has 3.2% of its ink there


def test_the_test_writers_are_never_trained_on():
    with pytest.raises(ValueError, match="must not be the .tes file"):
        TrainConfig(pen_path="pendigits-orig.tes")
