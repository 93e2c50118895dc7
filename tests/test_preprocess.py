import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pasted import paste

from mnist_app.reading.ink import to_gray
from mnist_app.reading.preprocess import as_mnist_image, ink_of, mnist_like, model_input


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    ys, xs = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
    return np.array([(ys * image).sum(), (xs * image).sum()]) / image.sum()


@pytest.mark.parametrize("index", range(0, 40, 4))
@pytest.mark.parametrize("scale, x, y", [(1, 0, 0), (3, 5, 170), (6, 100, 20), (9, 10, 10), (2.5, 200, 200)])
def test_mnist_digit_pasted_anywhere_comes_back(mnist, index, scale, x, y):
    original = mnist.x_test[index].astype(np.float32) / 255
    canvas = paste(mnist.x_test[index], 400, scale, x, y)
    result = model_input(canvas)
    assert result.shape == (28, 28) and result.dtype == np.float32
    assert np.abs(centre_of_mass(result) - centre_of_mass(original)).max() < 0.6
    assert np.corrcoef(result.ravel(), original.ravel())[0, 1] > 0.85
    assert np.abs(result - original).mean() < 0.07


@pytest.mark.parametrize("index", [0, 1, 2, 7, 11])
@pytest.mark.parametrize("polarity", ["bright on black", "dark on paper"])
def test_an_mnist_digit_given_as_it_is_is_used_as_it_is(mnist, index, polarity):
    original = mnist.x_test[index]
    image = original if polarity == "bright on black" else 255 - original
    expected = original.astype(np.float32) / original.max()
    ink, mnist_image = ink_of(image)
    np.testing.assert_allclose(mnist_image, expected, atol=1e-6)  # not cropped and refitted: not resampled
    np.testing.assert_array_equal(ink.mask, expected > 0.2)
    np.testing.assert_allclose(model_input(image), expected, atol=1e-6)


@pytest.mark.parametrize("change", ["moved to a corner", "shrunk", "not 28x28", "blank"])
def test_an_image_not_made_as_mnist_makes_digits_is_rebuilt(mnist, change):
    digit = mnist.x_test[0]
    if change == "moved to a corner":
        image = np.roll(digit, (-4, -4), axis=(0, 1))  # centre of mass 4 pixels off (14, 14)
    elif change == "shrunk":
        image = np.pad(cv2.resize(digit, (14, 14), interpolation=cv2.INTER_AREA), 7)  # ink 10 pixels tall
    elif change == "not 28x28":
        image = np.pad(digit, ((0, 1), (0, 0)))
    else:
        image = np.zeros((28, 28), np.uint8)
    assert as_mnist_image(to_gray(image)) is None
    assert ink_of(image)[1] is None


def test_blank_images_have_no_digit():
    for image in (np.zeros((280, 280)), np.full((100, 300, 3), 255, np.uint8), np.full((60, 60), 0.5)):
        assert model_input(image) is None


def test_mnist_like_refuses_an_empty_crop():
    with pytest.raises(ValueError, match="there is no ink"):
        mnist_like(np.zeros((10, 10), np.float32))


image_arrays = st.one_of(
    hnp.arrays(
        dtype=st.sampled_from([np.uint8, np.uint16, np.int16, np.float32, np.float64, np.bool_]),
        shape=st.tuples(st.integers(1, 64), st.integers(1, 64)).flatmap(
            lambda hw: st.sampled_from([hw, (*hw, 1), (*hw, 3), (*hw, 4)])
        ),
        elements={"allow_nan": True, "allow_infinity": True} ,
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(image=image_arrays)
def test_any_image_array_gives_valid_inputs(image):
    digit = model_input(image)
    if digit is not None:
        assert digit.shape == (28, 28) and digit.dtype == np.float32
        assert np.isfinite(digit).all() and digit.min() >= 0 and digit.max() <= 1


@settings(max_examples=60, deadline=None)
@given(shape=st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 6)))
def test_odd_shapes_give_a_clear_error(shape):
    image = np.zeros(shape, np.uint8)
    valid = len(shape) == 3 and shape[0] > 0 and shape[1] > 0 and shape[2] in (1, 3, 4)
    if valid:
        model_input(image)
    else:
        with pytest.raises(ValueError, match="expected an image of shape|the image is empty"):
            model_input(image)
