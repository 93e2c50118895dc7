from dataclasses import replace

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mnist_app.config import TrainConfig
from mnist_app.training.augment import augment_batch, change_stroke_weight, window_max

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


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float32, st.tuples(st.integers(1, 3), st.integers(1, 9), st.integers(1, 9), st.just(1)),
                  elements=st.floats(-2, 2, width=32)))
def test_window_max_is_max_pool2d_exactly(images):
    """Shifted maxima stand in for TensorFlow's 3x3 max pooling (ten times faster on one channel): the same
    values on any batch, negative values and images of one pixel included, so training is unchanged."""
    expected = tf.nn.max_pool2d(images, ksize=3, strides=1, padding="SAME").numpy()
    np.testing.assert_array_equal(window_max(tf.constant(images)).numpy(), expected)
