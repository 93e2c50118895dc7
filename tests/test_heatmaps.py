"""The pictures of saliency, feature maps and weights (mnist_app.explaining.heatmaps)."""

import numpy as np
import pytest

from mnist_app.explaining import heatmaps
from mnist_app.reading.images import ACCENT_RGB


def test_the_scale_ignores_zeros_and_one_extreme_pixel():
    values = np.zeros((28, 28), np.float32)
    values[5, :] = np.linspace(0.01, 1.0, 28)
    values[6, 6] = -500.0  # one extreme pixel
    assert heatmaps.robust_scale(values) == pytest.approx(np.percentile(np.abs(values[values != 0]), 99))
    assert heatmaps.robust_scale(values) < 500 and heatmaps.robust_scale(np.zeros((3, 3))) == 1.0


def test_signed_colours_are_red_for_positive_blue_for_negative_black_for_zero():
    colours = heatmaps.signed_rgb(np.array([[2.0, 1.0, 0.0, -1.0, -0.5]]), scale=1.0)[0]
    assert tuple(colours[0]) == tuple(colours[1]) == ACCENT_RGB
    assert tuple(colours[2]) == (0, 0, 0) and tuple(colours[3]) == heatmaps.NEGATIVE_RGB
    assert tuple(colours[4]) == tuple(round(c / 2) for c in heatmaps.NEGATIVE_RGB)


def test_a_saliency_picture_shows_the_input_where_nothing_counts_and_colour_where_it_does():
    image = np.zeros((28, 28), np.float32)
    image[10:18, 13:15] = 1.0
    attribution = np.zeros((28, 28), np.float32)
    attribution[10, 13], attribution[17, 14] = 1.0, -1.0
    picture = heatmaps.saliency_picture(image, attribution, scale=1.0, size=112)  # 4 screen pixels per pixel
    assert picture.shape == (112, 112, 3) and picture.dtype == np.uint8
    assert tuple(picture[40, 52]) == ACCENT_RGB and tuple(picture[68, 56]) == heatmaps.NEGATIVE_RGB
    grey = round(255 * heatmaps.INK_UNDER_SALIENCY)
    assert tuple(picture[48, 52]) == (grey, grey, grey) and not picture[0, 0].any()


def test_a_grid_places_tiles_in_rows_with_gaps():
    tiles = [np.full((2, 3, 3), value, np.uint8) for value in (10, 20, 30)]
    picture = heatmaps.grid(tiles, columns=2, cell=2, gap=1)
    assert picture.shape == (2 * (4 + 1) + 1, 2 * (6 + 1) + 1, 3)
    assert (picture[1:5, 1:7] == 10).all() and (picture[1:5, 8:14] == 20).all() and (picture[6:10, 1:7] == 30).all()
    assert tuple(picture[0, 0]) == heatmaps.GAP_RGB and tuple(picture[7, 10]) == (0, 0, 0)  # the empty place


@pytest.mark.parametrize("tiles, columns, cell, message", [([], 2, 2, "at least one tile"),
                                                          ([np.zeros((2, 2, 3), np.uint8)], 0, 2, "at least 1")])
def test_a_grid_refuses_what_it_cannot_lay_out(tiles, columns, cell, message):
    with pytest.raises(ValueError, match=message):
        heatmaps.grid(tiles, columns, cell)


def test_feature_maps_are_laid_out_in_the_order_given_on_one_scale():
    maps = np.stack([np.full((4, 4), value, np.float32) for value in (0.1, 1.0, 0.5)])
    picture = heatmaps.feature_grid(maps, order=np.array([1, 2, 0]), columns=3, width=3 * 4 * 10 + 8)
    cell = 10
    first, second, third = (picture[2 + cell, 2 + index * (4 * cell + 2) + cell] for index in range(3))
    # Viridis grows brighter with the value: the strongest first, and the weak map dim, not stretched to full.
    assert first.sum() > second.sum() > third.sum()
    assert tuple(first) == tuple(heatmaps.magnitude_rgb(np.array([[1.0]]), 1.0)[0, 0])


def test_weights_are_each_on_their_own_scale():
    weights = np.stack([np.array([[1.0, -1.0]]), np.array([[0.01, 0.0]])])
    picture = heatmaps.signed_grid(weights, columns=2, width=100)
    cell = (100 - 2 * 3) // (2 * 2)
    assert tuple(picture[2, 2]) == ACCENT_RGB and tuple(picture[2, 2 + cell]) == heatmaps.NEGATIVE_RGB
    assert tuple(picture[2, 2 + 2 * cell + 2]) == ACCENT_RGB  # 0.01 is the largest of its own tile


def test_large_maps_go_fewer_to_a_row_rather_than_one_screen_pixel_each():
    maps = np.random.default_rng(0).random((32, 26, 26)).astype(np.float32)
    order = np.arange(32)
    phone = heatmaps.feature_grid(maps, order, columns=8, width=340)
    assert phone.shape[1] == 6 * (2 * 26 + 2) + 2 <= 340  # six to a row at two pixels each, not eight at one
    laptop = heatmaps.feature_grid(maps, order, columns=8, width=460)
    assert laptop.shape[1] == 8 * (2 * 26 + 2) + 2  # eight fit at two pixels each
