"""The ink of an image: gray values, polarity, lighting, ruled lines and specks, and the ink's box and crops."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pasted import paste

from mnist_app.reading.ink import (
    MIN_INK_PIXELS,
    MIN_INK_SHARE,
    Ink,
    _lower_quartile,
    _median_above_half,
    bounding_box,
    find_ink,
    stroke_width,
    to_gray,
)


def ink_with(mask: np.ndarray, strength: np.ndarray | None = None) -> Ink:
    mask = np.asarray(mask, bool)
    return Ink(mask.astype(np.float32) if strength is None else strength.astype(np.float32), mask)


def dilated(mask: np.ndarray) -> np.ndarray:
    """The pixels of ``mask`` and their eight neighbours, by shifting (a reference that is not OpenCV's)."""
    padded = np.pad(mask, 1)
    height, width = mask.shape
    return np.any([padded[dy : dy + height, dx : dx + width] for dy in range(3) for dx in range(3)], axis=0)


# --- to_gray ---


def test_to_gray_reads_ink_from_alpha_of_a_transparent_canvas():
    rgba = np.zeros((50, 50, 4), np.uint8)
    rgba[10:40, 24:27] = (255, 255, 255, 255)  # white ink; the rest is transparent black
    dark_ink = rgba.copy()
    dark_ink[..., :3] = 0  # black ink on a transparent background: only the alpha tells
    for image in (rgba, dark_ink):
        ink = find_ink(to_gray(image))
        assert ink.mask[10:40, 24:27].all() and ink.mask.sum() == 90


@pytest.mark.parametrize("dtype, top", [(np.uint8, 255), (np.uint16, 65535), (np.float32, 1.0), (np.float64, 255.0), (bool, True)])
def test_to_gray_scales_every_dtype_to_unit_range(dtype, top):
    image = np.zeros((20, 20), dtype=dtype)
    image[5:15, 9:11] = top
    gray = to_gray(image)
    assert gray.dtype == np.float32 and gray.max() == pytest.approx(1.0) and gray.min() == 0.0


@pytest.mark.parametrize(
    "pixel, expected",
    [
        (np.array([255, 0, 0], np.uint8), 0.299),  # ITU-R 601 luma of pure red, green and blue
        (np.array([0, 255, 0], np.uint8), 0.587),
        (np.array([0, 0, 255], np.uint8), 0.114),
        (np.array([51], np.uint8), 0.2),  # (H, W, 1): one channel
        (np.array([128, 128, 128, 255], np.uint8), 128 / 255),  # opaque RGBA: its colour alone
        (np.int8(-5), 0.0),  # signed: negatives clipped
        (np.int8(102), 0.4),
        (np.uint16(200), 200 / 255),  # a 16-bit file holding 8-bit values: they are 0..255
        (np.uint16(13107), 0.2),  # over 255: the full 16-bit range
        (np.float32(127.5), 0.5),  # floats over 1 are 0..255
        (np.float64(np.nan), 0.0),
    ],
    ids=["red", "green", "blue", "one-channel", "opaque-rgba", "int8-negative", "int8", "uint16-8bit", "uint16", "float-255", "nan"],
)
def test_to_gray_of_one_pixel(pixel, expected):
    image = np.broadcast_to(pixel, (3, 3, *np.shape(pixel))).copy()
    gray = to_gray(image)
    assert gray.shape == (3, 3) and gray.dtype == np.float32
    np.testing.assert_allclose(gray, expected, atol=1e-3)


@pytest.mark.parametrize("shape", [(10,), (4, 4, 2), (4, 4, 5), (0, 5), (2, 2, 2, 2)])
def test_to_gray_rejects_what_is_not_an_image(shape):
    with pytest.raises(ValueError, match="expected an image of shape|the image is empty"):
        to_gray(np.zeros(shape, np.uint8))


@pytest.mark.parametrize("dtype", [np.complex64, np.str_, object])
def test_to_gray_rejects_values_that_are_not_numbers(dtype):
    with pytest.raises(ValueError, match="unsupported image dtype"):
        to_gray(np.zeros((4, 4), dtype=dtype))


@settings(max_examples=100, deadline=None)
@given(image=hnp.arrays(dtype=st.sampled_from([np.uint8, np.uint16, np.int16, np.float32, np.float64, np.bool_]),
                        shape=st.tuples(st.integers(1, 16), st.integers(1, 16)).flatmap(lambda hw: st.sampled_from([hw, (*hw, 1), (*hw, 3), (*hw, 4)]))))
def test_to_gray_of_any_image_is_a_finite_unit_range_float_image(image):
    gray = to_gray(image)
    assert gray.shape == image.shape[:2] and gray.dtype == np.float32
    assert np.isfinite(gray).all() and gray.min() >= 0 and gray.max() <= 1


# --- find_ink ---


def test_polarity_dark_ink_on_paper_equals_bright_ink_on_black(mnist):
    canvas = paste(mnist.x_test[3], 280, 5, 60, 70)
    on_black = find_ink(to_gray(canvas))
    on_paper = find_ink(to_gray(255 - canvas))
    assert on_black.mask.sum() > 1000
    np.testing.assert_array_equal(on_paper.mask, on_black.mask)
    np.testing.assert_allclose(on_paper.strength, on_black.strength, atol=0.02)


@pytest.mark.parametrize("image", [np.zeros((280, 280)), np.full((100, 300, 3), 255, np.uint8), np.full((60, 60), 0.5)], ids=["black", "white", "grey"])
def test_blank_images_have_no_ink(image):
    ink = find_ink(to_gray(image))
    assert ink.empty and not ink.mask.any() and not ink.strength.any()


def test_uneven_light_is_flattened(mnist):
    digit = paste(mnist.x_test[0], 300, 6, 70, 60).astype(np.float32) / 255
    ramp = np.linspace(0.45, 1.0, 300, dtype=np.float32)[np.newaxis, :]  # paper from dim grey to white
    photo = ramp * (1 - 0.85 * digit)
    ink = find_ink(photo)
    reference = find_ink(1 - 0.85 * digit)
    overlap = (ink.mask & reference.mask).sum() / reference.mask.sum()
    assert overlap > 0.9 and ink.mask.sum() < 1.2 * reference.mask.sum()


def test_ruled_lines_and_specks_are_removed(mnist):
    page = paste(mnist.x_test[1], 300, 6, 80, 60)
    clean = find_ink(to_gray(page)).mask
    page = page.copy()
    page[[40, 130, 220], :] = 200  # ruled lines across the whole width
    page[280, 10] = page[5, 290] = page[150, 5] = 255  # dust
    found = find_ink(to_gray(page)).mask
    assert (found & ~clean).sum() < 0.05 * clean.sum()


@pytest.mark.parametrize("width", [280, 840])
def test_a_stroke_half_cut_by_the_edge_of_a_wide_canvas_is_ink(width):
    # A "1" drawn along the left edge of the number canvas: 15 pixels of an 18-pixel pen are on it. Against
    # the canvas's width (2% of 840 = 17 px) it looked like a ruled line and the stroke was lost.
    canvas = np.zeros((280, width), np.float32)
    canvas[56:224, 0:15] = 1.0
    ink = find_ink(canvas)
    assert ink.mask[56:224, 0:15].mean() > 0.95


def test_uniform_noise_is_no_ink():
    noise = np.random.default_rng(0).random((200, 200)).astype(np.float32)
    assert find_ink(noise).empty


def test_the_strength_keeps_the_anti_aliased_rim_and_nothing_away_from_the_strokes():
    canvas = np.zeros((100, 100), np.float32)
    canvas[20:80, 45:55] = 1.0
    canvas[20:80, 44] = canvas[20:80, 55] = 0.1  # a faint rim: below the threshold, beside the stroke
    canvas[5, 5] = 0.1  # as faint, far from any stroke
    ink = find_ink(canvas)
    assert ink.mask[20:80, 45:55].all() and not ink.mask[:, 44].any()
    assert ink.strength[50, 44] > 0 and ink.strength[5, 5] == 0


# --- Ink: empty, box, crop ---


@pytest.mark.parametrize(
    "shape, pixels, empty",
    [((50, 50), MIN_INK_PIXELS - 1, True), ((50, 50), MIN_INK_PIXELS, False),  # a small image: at least 12 pixels
     ((400, 400), int(MIN_INK_SHARE * 400 * 400) - 1, True), ((400, 400), int(MIN_INK_SHARE * 400 * 400), False)],  # a large one: 2e-4 of it
)
def test_ink_is_empty_below_a_few_pixels_or_a_small_share_of_the_image(shape, pixels, empty):
    mask = np.zeros(shape, bool)
    mask.flat[:pixels] = True
    assert ink_with(mask).empty is empty


def test_nothing_is_empty_ink_of_the_shape_asked():
    ink = Ink.nothing((30, 40))
    assert ink.empty and ink.mask.shape == ink.strength.shape == (30, 40)
    assert ink.strength.dtype == np.float32 and ink.mask.dtype == bool


@pytest.mark.parametrize(
    "pixels, box",
    [
        ([(7, 3)], (3, 7, 1, 1)),  # (row, column) pixels -> (x, y, width, height)
        ([(2, 10), (9, 4), (5, 6)], (4, 2, 7, 8)),
        ([(0, 0), (19, 29)], (0, 0, 30, 20)),  # the image's corners: the whole image
        ([(12, 0), (12, 29)], (0, 12, 30, 1)),  # one row
    ],
)
def test_box_is_the_smallest_holding_every_stroke_pixel(pixels, box):
    mask = np.zeros((20, 30), bool)
    for row, column in pixels:
        mask[row, column] = True
    assert ink_with(mask).box == box


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(bool, hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=40)))
def test_bounding_box_is_numpys_box_of_the_nonzero_pixels(mask):
    """OpenCV's scan stands in for np.nonzero (it is twenty times faster): the same box on any mask."""
    rows, columns = np.nonzero(mask)
    expected = (0, 0, 0, 0) if len(rows) == 0 else (
        int(columns.min()), int(rows.min()), int(np.ptp(columns)) + 1, int(np.ptp(rows)) + 1)
    assert bounding_box(mask) == expected
    assert bounding_box(mask[:, ::2]) == bounding_box(np.ascontiguousarray(mask[:, ::2]))  # strided views too


# Gray images where the median is near 0.5: values drawn from a few levels around it, so that ties at the
# middle, an even count of pixels and a count of bright pixels one off half all occur.
near_half = hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
                       elements=st.sampled_from([0.0, 0.49, 0.5, 0.5000001, 0.51, 1.0]))


@settings(max_examples=300, deadline=None)
@given(near_half)
def test_polarity_by_counting_is_the_polarity_by_the_median(gray):
    assert _median_above_half(gray) is bool(np.median(gray) > 0.5)


@settings(max_examples=300, deadline=None)
@given(hnp.arrays(np.float32, st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 150)),
                  elements=st.floats(0, 1, width=32)))
def test_lower_quartile_is_numpys_25th_percentile_exactly(blocks):
    expected = np.percentile(blocks, 25, axis=2).astype(np.float32)
    np.testing.assert_array_equal(_lower_quartile(blocks), expected)


def test_box_of_a_found_stroke_is_the_stroke():
    canvas = np.zeros((120, 160), np.float32)
    canvas[30:90, 100:112] = 1.0  # x 100-111, y 30-89
    assert find_ink(canvas).box == (100, 30, 12, 60)


def crop_scene():
    """A digit (a bar), the pixels around it, and a neighbour's stroke reaching into its box."""
    strength = np.random.default_rng(0).uniform(0.2, 1.0, (40, 60)).astype(np.float32)  # every pixel has some ink
    digit = np.zeros((40, 60), bool)
    digit[10:30, 20:24] = True  # x 20-23, y 10-29
    digit[10:13, 20:32] = True  # a flag along the top: the box is x 20-31, y 10-29
    return strength, digit, (20, 10, 12, 20)


def test_crop_keeps_the_digit_and_its_neighbours_within_the_box_and_drops_the_rest():
    strength, digit, box = crop_scene()
    x, y, width, height = box
    ink = Ink(strength, digit)
    assert ink.box == box
    crop = ink.crop(box, digit[y : y + height, x : x + width])
    assert crop.shape == (height, width) and crop.dtype == np.float32
    keep = dilated(digit)[y : y + height, x : x + width]
    np.testing.assert_array_equal(crop, np.where(keep, strength[y : y + height, x : x + width], 0))
    assert crop[15, 4] == strength[y + 15, x + 4] > 0  # the rim just right of the bar
    assert crop[15, 5] == 0 and crop[19, 11] == 0  # two pixels away; the far corner of the box


def test_crop_drops_a_neighbours_ink_reaching_into_the_box():
    strength, digit, box = crop_scene()
    x, y, width, height = box
    neighbour = np.zeros_like(digit)
    neighbour[20:30, 27:40] = True  # the next digit's stroke, from x 27 into the box up to x 31
    ink = Ink(strength, digit | neighbour)
    crop = ink.crop(box, digit[y : y + height, x : x + width])
    inside = neighbour[y : y + height, x : x + width]
    assert inside.sum() == 50 and not crop[inside].any()
    np.testing.assert_array_equal(crop, Ink(strength, digit).crop(box, digit[y : y + height, x : x + width]))


# --- stroke_width ---


@pytest.mark.parametrize("width", [3, 6, 12])
def test_stroke_width_of_a_bar(width):
    bar = np.zeros((100, 100), bool)
    bar[10:90, 40 : 40 + width] = True
    assert stroke_width(bar) == pytest.approx(width, rel=0.12)


def test_stroke_width_of_a_ring_is_its_thickness_not_its_size():
    ys, xs = np.mgrid[0:200, 0:200]
    radius = np.hypot(ys - 100, xs - 100)
    ring = (radius >= 60) & (radius < 68)
    assert stroke_width(ring) == pytest.approx(8, rel=0.1)


def test_stroke_width_of_no_ink_is_zero():
    assert stroke_width(np.zeros((20, 20), bool)) == 0.0
