import numpy as np
import pytest

import dataclasses

from mnist_app.training.calibrate import calibration, fit_temperature
from mnist_app.config import UJI_TRAINING_WRITERS, TrainConfig
from mnist_app.handwriting.pen_sources import held_out_digits, training_digits
from mnist_app.reading.recognize import calibrated


def overconfident(count=2000, seed=0):
    """Probabilities that claim 99% but are right 80% of the time."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count)
    answers = np.where(rng.random(count) < 0.8, labels, (labels + 1) % 10)
    probabilities = np.full((count, 10), 0.01 / 9, np.float32)
    probabilities[np.arange(count), answers] = 0.99
    return probabilities, labels


def test_temperature_softens_an_overconfident_model_without_changing_its_answers():
    probabilities, labels = overconfident()
    temperature, before, after = fit_temperature(probabilities, labels)
    assert temperature > 1.5 and after < before
    softened = calibrated(probabilities, temperature)
    np.testing.assert_array_equal(softened.argmax(axis=1), probabilities.argmax(axis=1))
    assert softened.max(axis=1).mean() == pytest.approx(0.8, abs=0.05)  # as sure as it is right
    np.testing.assert_allclose(softened.sum(axis=1), 1, atol=1e-5)


def test_temperature_one_changes_nothing():
    probabilities, _ = overconfident(10)
    np.testing.assert_array_equal(calibrated(probabilities, 1.0), probabilities)


def test_held_out_writers_are_the_ones_not_trained_on_in_both_collections(training_writers, uji_writers):
    from tests.conftest import PENDIGITS, UJIPEN

    config = TrainConfig(pen_path=str(PENDIGITS / "pendigits-orig.tra"), pen_writers=tuple(range(1, 29)),
                         uji_path=str(UJIPEN), uji_writers=UJI_TRAINING_WRITERS)
    held_out = held_out_digits(config)
    assert {digit.writer for digit in held_out if digit.source == "pendigits"} == {29, 30}
    assert {digit.writer for digit in held_out if digit.source == "ujipen"} == {10, 11, 55, 56, 58, 59}
    trained = training_digits(config)
    assert {(d.source, d.writer) for d in trained}.isdisjoint({(d.source, d.writer) for d in held_out})
    assert {d.writer for d in trained if d.source == "ujipen"} == set(UJI_TRAINING_WRITERS)
    assert len(trained) + len(held_out) == 7494 + 40 * 20  # every training writer of both files, one side or the other
    assert held_out_digits(dataclasses.replace(config, pen_writers=None, uji_writers=None)) == []  # all taken
    assert calibration(lambda images: None, []) is None  # MNIST alone: nothing to fit on
