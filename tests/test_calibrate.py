import numpy as np
import pytest

from mnist_app.reading.confidence import calibrated
from mnist_app.training.calibrate import calibration, fit_temperature


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


def test_no_held_out_digits_leave_nothing_to_calibrate():
    # MNIST alone, or every writer trained on (pen_sources.held_out_digits gives []): no card entry, no prediction.
    def predict(images):
        raise AssertionError("nothing to predict")

    assert calibration(predict, []) is None
