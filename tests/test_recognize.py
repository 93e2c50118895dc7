import numpy as np
import pytest

from mnist_app.pendigits import draw_like_a_user, write_on_paper
from mnist_app.recognize import UNCERTAIN_BELOW, load_predictor, recognize, recognize_many



@pytest.fixture(scope="module")
def predictor(shipped_model_dir):
    return load_predictor(shipped_model_dir)


@pytest.fixture(scope="module")
def pen_digits(training_writers):
    return [training_writers[i] for i in np.random.default_rng(5).choice(len(training_writers), 300, replace=False)]


def test_empty_canvas_reads_no_digit(predictor):
    reading = recognize(np.zeros((280, 280, 4), np.uint8), predictor)
    assert reading.empty and reading.text == "" and reading.digits == ()


def test_a_reading_carries_what_the_pages_show(predictor, pen_digits):
    canvas = draw_like_a_user(pen_digits[0], np.random.default_rng(0))
    reading = recognize(canvas, predictor)
    (digit,) = reading.digits
    assert digit.probabilities.shape == (10,) and digit.probabilities.sum() == pytest.approx(1, abs=1e-4)
    assert digit.confidence == pytest.approx(digit.probabilities.max())
    assert digit.model_input.shape == (28, 28) and reading.ink.shape == (280, 280)
    x, y, width, height = digit.box
    assert digit.crop.shape == (height, width)
    assert digit.uncertain == (digit.confidence < UNCERTAIN_BELOW)
    assert digit.as_dict() == {"digit": digit.digit, "confidence": round(digit.confidence, 4), "box": [x, y, width, height]}


def test_canvas_drawings_of_training_writers_are_read(predictor, pen_digits):
    rng = np.random.default_rng(1)
    readings = recognize_many([draw_like_a_user(d, rng) for d in pen_digits], predictor)
    accuracy = np.mean([r.text == str(d.label) for r, d in zip(readings, pen_digits)])
    assert accuracy > 0.95


def test_rgba_canvas_with_ink_only_in_alpha_reads_the_same(predictor, pen_digits):
    canvas = draw_like_a_user(pen_digits[1], np.random.default_rng(2))
    rgba = np.zeros((*canvas.shape, 4), np.uint8)
    rgba[..., 3] = canvas  # white ink whose coverage is only in alpha, over a transparent background
    rgba[..., :3] = 255
    expected = recognize(canvas, predictor).digits[0]
    got = recognize(rgba, predictor).digits[0]
    assert got.digit == expected.digit
    np.testing.assert_allclose(got.model_input, expected.model_input, atol=0.02)


def test_number_mode_reads_a_photo_of_a_number(predictor, pen_digits):
    rng = np.random.default_rng(4)
    photo, boxes = write_on_paper(pen_digits[10:14], rng)
    reading = recognize(photo, predictor, single=False)
    assert len(reading.digits) == 4
    assert [d.box[0] for d in reading.digits] == sorted(d.box[0] for d in reading.digits)
