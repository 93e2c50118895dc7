"""The real app in a real browser: draw with the mouse, clear, upload a photo, open every page."""

from __future__ import annotations

import numpy as np
import pytest

from browser import draw_digit, metric_value, wait_until_idle
from mnist_app.pendigits import PenDigit, write_on_paper

# Each page's URL path, and a text near its end: once it shows, the page has drawn.
PAGES = {
    "draw": ("", "Draw a digit on the black square"),
    "upload": ("upload", "Upload a PNG"),
    "dataset": ("dataset", "The average test image of each digit"),
    "training": ("training", "Model card"),
    "evaluation": ("evaluation", "Look closer at"),
}


@pytest.fixture(scope="module")
def writers(test_writers):
    return test_writers


def first_of(writers, label: int) -> PenDigit:
    return next(digit for digit in writers if digit.label == label and len(digit.strokes) == 1)


def test_draw_a_seven_then_a_three_then_clear(page, server_url, writers, screenshots):
    page.goto(server_url)
    page.get_by_text("Draw a digit on the black square").wait_for()
    assert metric_value(page, "Prediction") is None
    draw_digit(page, first_of(writers, 7).strokes)
    page.locator('[data-testid="stMetric"]', has_text="Prediction").wait_for()
    assert metric_value(page, "Prediction") == "7"
    page.screenshot(path=screenshots / "draw-seven.png", full_page=True)

    page.get_by_role("button", name="Clear").click()
    page.get_by_text("Draw a digit on the black square").wait_for()
    wait_until_idle(page)  # the cleared canvas is a new one: let it mount before drawing on it
    assert metric_value(page, "Prediction") is None

    draw_digit(page, first_of(writers, 3).strokes)
    page.locator('[data-testid="stMetric"]', has_text="Prediction").wait_for()
    assert metric_value(page, "Prediction") == "3"


def test_upload_a_photo_of_a_number(page, server_url, writers, tmp_path, screenshots):
    import cv2

    digits = [d for d in writers if d.writer == 3][:5]
    photo, _ = write_on_paper(digits, np.random.default_rng(21))
    path = tmp_path / "number.jpg"
    cv2.imwrite(str(path), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    page.goto(f"{server_url}/upload")
    page.locator('input[type="file"]').set_input_files(str(path))
    page.locator('[data-testid="stMetric"]', has_text="Read").wait_for()
    wait_until_idle(page)
    assert metric_value(page, "Read") == "".join(str(d.label) for d in digits)
    page.locator('[data-testid="stImage"]').first.wait_for()
    page.wait_for_function("() => [...document.images].every(image => image.complete)")
    page.screenshot(path=screenshots / "upload.png", full_page=True)


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_opens_without_exception(page, server_url, name, screenshots):
    path, last_text = PAGES[name]
    page.goto(f"{server_url}/{path}")
    page.get_by_text(last_text).first.wait_for()
    wait_until_idle(page)
    page.wait_for_function("() => [...document.images].every(image => image.complete)")
    page.wait_for_timeout(1000)  # let the charts finish their transitions before the screenshot
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=screenshots / f"page-{name}.png", full_page=True)
