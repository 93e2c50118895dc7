
import numpy as np
import pytest

from mnist_app.reading.pictures import ANALYSIS_MAX_PIXELS, Picture, analysis_size, map_box, reduction, shrink


@pytest.mark.parametrize("size, factor, analysed", [
    ((280, 280), 1, (280, 280)),  # a canvas drawing
    ((2000, 2000), 1, (2000, 2000)),  # exactly the budget
    ((2001, 2000), 2, (1001, 1000)),
    ((4000, 3000), 2, (2000, 1500)),  # a 12-megapixel phone photo
    ((4032, 3024), 2, (2016, 1512)),
    ((6000, 6000), 3, (2000, 2000)),  # a 36-megapixel scan
    ((12000, 3), 1, (12000, 3)),  # a strip: few pixels, so never shrunk to nothing
])
def test_large_images_are_shrunk_by_a_whole_factor_within_the_budget(size, factor, analysed):
    assert reduction(*size) == factor and analysis_size(*size) == analysed
    assert analysed[0] * analysed[1] <= max(ANALYSIS_MAX_PIXELS, size[0] * size[1] if factor == 1 else 0)


def test_an_image_within_the_budget_is_not_touched():
    image = np.zeros((2000, 2000, 3), np.uint8)
    assert shrink(image) is image
    for odd in (np.zeros((3000, 3000, 2), np.uint8), np.zeros((3000, 3000), bool), np.zeros(5_000_000, np.uint8)):
        assert shrink(odd) is odd  # to_gray refuses or converts these, with its own message


def test_shrinking_averages_blocks_so_thin_strokes_stay_as_fainter_ink():
    image = np.full((3000, 4000, 3), 255, np.uint8)
    image[1000:1002, 500:3500] = 0  # a line 2 pixels thick, on the grid of 2x2 blocks
    image[2001, 500:3500] = 0  # and one pixel thick: half of each 2x2 block it crosses
    small = shrink(image)
    assert small.shape == (1500, 2000, 3)
    assert small[500, 250:1750].max() == 0  # 2 pixels -> 1 full pixel of ink
    assert small[1000, 250:1750].tolist() == [[128, 128, 128]] * 1500  # 1 pixel -> half ink, not lost


def test_boxes_are_mapped_to_the_pixels_they_cover_and_kept_inside():
    assert map_box((10, 20, 5, 6), (3.0, 3.0), (100, 100)) == (30, 60, 15, 18)
    assert map_box((30, 30, 5, 5), (3.0, 3.0), (100, 100)) == (90, 90, 10, 10)  # cut at the original's edge
    assert map_box((1, 1, 1, 1), (2.5, 2.5), (100, 100)) == (2, 2, 3, 3)  # pixel 1 covers 2.5 to 5.0
    picture = Picture(np.zeros((1500, 2000, 3), np.uint8), (4000, 3000))
    assert picture.scale == (2.0, 2.0)
    assert picture.shown_box((1000, 600, 400, 300)) == (500, 300, 200, 150)
