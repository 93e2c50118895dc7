import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from mnist_app import resolution
from mnist_app.resolution import ANALYSIS_MAX_PIXELS, Picture, analysis_size, map_box, on_a_worker, reduction, shrink


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


def test_large_images_are_worked_on_by_so_many_workers_at_once_and_small_ones_here(monkeypatch):
    monkeypatch.setattr(resolution, "_workers", ThreadPoolExecutor(max_workers=2, thread_name_prefix="large-image"))
    inside, most, lock = 0, {"large": 0, "small": 0}, threading.Lock()
    threads_used = {"large": set(), "small": set()}

    def work(kind: str) -> str:
        nonlocal inside
        with lock:
            inside += 1
            most[kind] = max(most[kind], inside)
            threads_used[kind].add(threading.current_thread().name)
        time.sleep(0.1)
        with lock:
            inside -= 1
        return kind

    for kind, pixels in (("large", resolution.LARGE_PIXELS + 1), ("small", resolution.LARGE_PIXELS)):
        results = []
        threads = [threading.Thread(target=lambda: results.append(on_a_worker(pixels, work, kind))) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [kind] * 6
    assert most == {"large": 2, "small": 6}  # two at once, not one: they do overlap; small ones never wait
    assert len(threads_used["large"]) == 2 and all(name.startswith("large-image") for name in threads_used["large"])
    assert len(threads_used["small"]) == 6 and not any(name.startswith("large-image") for name in threads_used["small"])


def test_a_workers_exception_is_raised_to_the_caller_and_the_workers_go_on():
    def damaged() -> None:
        raise ValueError("the image is damaged")

    for _ in range(3):
        with pytest.raises(ValueError, match="the image is damaged"):
            on_a_worker(10**7, damaged)
    assert on_a_worker(10**7, lambda: threading.current_thread().name).startswith("large-image")
