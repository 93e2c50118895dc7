"""Take the screenshots of README.md and docs/pages.md: every page of the real app in Chromium, on a 1366x768
laptop and a 390x844 phone (touch), after drawing a 7 (and saying it is a 1, then looking inside the model at it) and uploading a photo
of a number, as a visitor would.

    .venv/bin/python docs/take_screenshots.py            # writes docs/screenshots/{laptop,phone}-*.png

Needs what the browser tests need (Debian's Chromium, MNIST_PATH, ../shared's pen-drawn test digits).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(PROJECT), str(PROJECT / "tests" / "e2e")]

from browser import CHROMIUM, CHROMIUM_ARGS, draw_digit, running_app, touch_digit, wait_until_idle  # noqa: E402

from mnist_app.handwriting.pendigits import read_pendigits, write_on_paper  # noqa: E402

OUT = PROJECT / "docs" / "screenshots"
TEST_DIGITS = PROJECT.parent / "shared" / "data" / "pendigits" / "pendigits-orig.tes"
SCREENS = {
    "laptop": dict(viewport={"width": 1366, "height": 768}),
    "phone": dict(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, device_scale_factor=2),
}
INSIDE_LAPTOP_HEIGHT = 1080  # the Inside page's shot on the laptop: the saliency row and the first block's maps


def settle(page) -> None:
    wait_until_idle(page)
    page.wait_for_function("() => [...document.images].every(image => image.complete)")
    page.wait_for_timeout(1200)  # the charts' transitions


def inside(page, screen: str) -> None:
    """From the Draw page, its link to the Inside page (the same session: the drawing goes with it), shot there.
    On the laptop the window is made taller for this shot, to show the first block's feature maps too."""
    page.get_by_role("link", name="Why? Look inside the model").click()
    page.get_by_role("heading", name="Every model on this input").wait_for()
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for()
    # The pointer where the link was would show a picture's toolbar, or the sidebar's button.
    page.mouse.move(page.viewport_size["width"] - 2, page.viewport_size["height"] // 2)
    settle(page)
    viewport = page.viewport_size
    if screen == "laptop":
        page.set_viewport_size({**viewport, "height": INSIDE_LAPTOP_HEIGHT})
        settle(page)
    page.screenshot(path=OUT / f"{screen}-inside.png")
    page.set_viewport_size(viewport)


def main() -> None:
    from playwright.sync_api import sync_playwright

    digits = read_pendigits(TEST_DIGITS)
    seven = next(d for d in digits if d.label == 7 and len(d.strokes) == 1)
    photo, _ = write_on_paper([d for d in digits if d.writer == 3][:5], np.random.default_rng(21))
    photo_path = Path(tempfile.mkdtemp()) / "number.jpg"
    OUT.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(photo_path), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    try:
        with running_app() as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for screen, options in SCREENS.items():
                context = browser.new_context(**options)
                page = context.new_page()
                page.set_default_timeout(90_000)
                page.goto(url)
                page.get_by_text("the prediction appears").wait_for()
                settle(page)
                (touch_digit if screen == "phone" else draw_digit)(page, seven.strokes)
                page.locator('[data-testid="stMetric"]', has_text="Prediction").wait_for()
                settle(page)
                page.screenshot(path=OUT / f"{screen}-draw.png")
                # A correction, so that the Corrections page has one to show.
                page.get_by_role("radiogroup", name="Wrong? It is:").get_by_role("radio", name="1", exact=True).click()
                page.get_by_text("Kept as a 1").wait_for()
                inside(page, screen)
                page.goto(f"{url}/upload")
                page.locator('input[type="file"]').set_input_files(str(photo_path))
                page.locator('[data-testid="stMetric"]', has_text="Read").wait_for()
                settle(page)
                page.screenshot(path=OUT / f"{screen}-upload.png", full_page=screen == "laptop")
                for name in ("dataset", "training", "evaluation", "corrections"):
                    page.goto(f"{url}/{name}")
                    page.get_by_text("Active model", exact=True).wait_for()
                    settle(page)
                    page.screenshot(path=OUT / f"{screen}-{name}.png", full_page=name == "corrections")
                context.close()
            browser.close()
    finally:
        photo_path.unlink(missing_ok=True)
    for path in sorted(OUT.glob("*.png")):
        print(path.relative_to(PROJECT))


if __name__ == "__main__":
    main()
