"""How sure the model is: probabilities calibrated, steady over turned views, each distinct input read once."""

import numpy as np

from mnist_app.reading.confidence import read_once, steady
from mnist_app.reading.recognize import UNCERTAIN_BELOW


class OneHot:
    """A predictor that reads the digit written as ten times the value at an input's centre (which turning it
    keeps), and records every batch it is given."""

    temperature = 1.0

    def __init__(self):
        self.batches = []

    def __call__(self, views):
        self.batches.append(views.copy())
        return np.eye(10, dtype=np.float32)[(views[:, 14, 14] * 10).round().astype(int) % 10] * 0.99 + 0.001


def inputs_reading(*digits):
    inputs = [np.zeros((28, 28), np.float32) for _ in digits]
    for image, digit in zip(inputs, digits):
        image[8:20, 8:20] = digit / 10  # a square of ink: its middle stays the same however it is turned
    return inputs


def test_each_distinct_input_is_read_once_and_every_input_gets_its_own_row():
    predictor = OneHot()
    inputs = inputs_reading(3, 7, 3, 1, 7)
    inputs[2] = inputs[0]  # the same array twice, as a drawing's whole ink and its widest candidate
    probabilities = read_once(predictor, inputs)
    assert [len(batch) for batch in predictor.batches] == [9]  # 3 distinct inputs, three views each
    assert probabilities.shape == (5, 10)
    assert list(probabilities.argmax(axis=1)) == [3, 7, 3, 1, 7]


def test_no_inputs_no_model_call():
    predictor = OneHot()
    assert read_once(predictor, []).shape == (0, 10) and predictor.batches == []


def test_an_answer_that_moves_when_the_digit_is_turned_is_not_sure():
    inputs = np.zeros((2, 28, 28), np.float32)
    inputs[0, 10, 10] = 1.0  # the first input reads 3 however it is turned; the second reads 3 only upright
    calls = []

    def predict(views):
        calls.append(len(views))
        upright = np.arange(len(views)) < len(inputs)
        answers = np.where(upright | (views.sum(axis=(1, 2)) > 0), 3, 5)
        return np.eye(10, dtype=np.float32)[answers] * 0.99 + 0.001

    probabilities = steady(predict, inputs, temperature=1.0)
    assert calls == [6]  # one batch: each input as it is and turned either way
    assert probabilities.shape == (2, 10) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert probabilities[0].argmax() == 3 and probabilities[0, 3] > UNCERTAIN_BELOW
    assert probabilities[1].argmax() == 5 and probabilities[1].max() < UNCERTAIN_BELOW  # 3 once, 5 twice
