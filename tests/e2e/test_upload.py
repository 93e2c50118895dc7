"""The Upload page says one thing about the photo it was last given, in a real browser: a number
photographed in one-digit mode is named as a number, with no word about marks left out and no empty "what
the model saw" section (issue: a photo of "2024" got the hint, "1 mark in grey does not look like a digit"
and an empty heading); a file the browser refuses replaces the reading of the photo before it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from browser import metric_value, wait_until_idle

from mnist_app.handwriting.pendigits import write_on_paper

VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_number_photographed_in_one_digit_mode_gets_one_verdict(browser, server_url, test_writers, viewport, tmp_path, screenshots):
    writer = 3
    digits = [next(d for d in test_writers if d.writer == writer and d.label == int(c)) for c in "2024"]
    photo, _ = write_on_paper(digits, np.random.default_rng(4))
    path = tmp_path / "2024.jpg"
    cv2.imwrite(str(path), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{server_url}/upload")
    page.get_by_text("Upload a PNG").wait_for()
    page.get_by_text("One digit", exact=True).click()
    wait_until_idle(page)
    page.locator('input[type="file"]').set_input_files(str(path))
    hint = page.get_by_text("This looks like a number")
    hint.wait_for()
    wait_until_idle(page)
    page.screenshot(path=screenshots / f"upload-number-one-digit-{viewport}.png", full_page=True)
    assert "2024" in hint.inner_text()
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "does not look like a digit" not in main and "What the model saw" not in main, main[:800]
    assert page.locator('[data-testid="stImage"]').count() == 1  # the photo itself
    context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_refused_file_after_a_good_photo_leaves_no_reading_of_the_old_one(browser, server_url, number_photo, viewport, tmp_path):
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{server_url}/upload")
    page.get_by_text("Upload a PNG").wait_for()
    page.locator('input[type="file"]').set_input_files(number_photo[0])
    page.locator('[data-testid="stMetric"]', has_text="Read").wait_for()
    wait_until_idle(page)
    assert metric_value(page, "Read") == number_photo[1]
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    page.locator('input[type="file"]').set_input_files(str(notes))
    page.locator('[data-testid="stAlertContentError"]', has_text="notes.txt").wait_for()
    wait_until_idle(page)
    assert page.locator('[data-testid="stMetric"]', has_text="Read").count() == 0  # the old reading is gone
    assert page.locator('[data-testid="stImage"]').count() == 0 and page.get_by_role("button", name="Remove this photo").count() == 0
    context.close()
