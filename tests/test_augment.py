from dataclasses import replace

import numpy as np
import pytest
import tensorflow as tf

from mnist_app.config import TrainConfig
from mnist_app.training.augment import augment_batch, change_stroke_weight

NO_DISTORTION = TrainConfig(max_rotation_deg=0, max_scale=0, max_shear=0, max_shift_px=0, stroke_range=(0.0, 0.0))


@pytest.fixture(scope="module")
def digits(mnist):
    return mnist.x_train[:32].astype(np.float32) / 255


def test_no_distortion_returns_the_images(digits):
    out = augment_batch(tf.constant(digits), tf.constant([1, 2], tf.int64), NO_DISTORTION).numpy()
    np.testing.assert_allclose(out, digits, atol=1e-5)


def test_pure_shift_moves_pixels_within_the_range(digits):
    config = replace(NO_DISTORTION, max_shift_px=3)
    out = augment_batch(tf.constant(digits), tf.constant([5, 6], tf.int64), config).numpy()
    ink_centre = lambda images: (images * np.arange(28)).sum(axis=(1, 2)) / images.sum(axis=(1, 2))  # noqa: E731
    moved = np.abs(ink_centre(out) - ink_centre(digits))
    assert moved.max() <= 3.2 and moved.mean() > 0.3  # shifted, by no more than the limit


def test_same_seed_same_result_other_seed_other_result(digits):
    config = TrainConfig()
    first = augment_batch(tf.constant(digits), tf.constant([9, 9], tf.int64), config).numpy()
    again = augment_batch(tf.constant(digits), tf.constant([9, 9], tf.int64), config).numpy()
    other = augment_batch(tf.constant(digits), tf.constant([9, 10], tf.int64), config).numpy()
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).mean() > 0.01
    assert first.min() >= 0 and first.max() <= 1


def test_stroke_weight_thickens_and_thins(digits):
    batch = tf.constant(digits[..., np.newaxis])
    ink = digits.sum(axis=(1, 2))
    thicker = change_stroke_weight(batch, tf.fill([32], 1.0)).numpy()[..., 0].sum(axis=(1, 2))
    thinner = change_stroke_weight(batch, tf.fill([32], -0.5)).numpy()[..., 0].sum(axis=(1, 2))
    assert np.all(thicker > 1.3 * ink) and np.all(thinner < 0.9 * ink)
