"""What a control shows is what it does, in a real browser: the pen width the slider shows is the width
strokes are drawn at, on a fresh page, after the slider is opened and closed, and after a visit to another
page (issue: the slider showed 8, its minimum, while strokes were drawn 18 wide)."""

from __future__ import annotations

import pytest
from browser import PAGE_LINKS, box_of, canvas_ink, wait_until_idle

VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def shown_pen_width(page) -> int:
    """Open the Pen width popover, read the slider's value, and close it again."""
    page.get_by_role("button", name="Pen width").click()
    thumb = page.locator('[data-testid="stSliderThumbValue"]')
    thumb.wait_for()
    value = int(thumb.inner_text())
    page.keyboard.press("Escape")
    thumb.wait_for(state="hidden")
    wait_until_idle(page)
    return value


def line_ink(page) -> int:
    """Clear the canvas, draw one straight horizontal stroke across its middle, and count the lit pixels."""
    clear = page.get_by_role("button", name="Clear")
    if clear.is_enabled():
        clear.click()
        wait_until_idle(page)
    box = box_of(page.locator("canvas.upper-canvas").first)
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 0.2 * box["width"], y)
    page.mouse.down()
    page.mouse.move(box["x"] + 0.8 * box["width"], y, steps=15)
    page.mouse.up()
    wait_until_idle(page)
    return canvas_ink(page)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_strokes_are_as_wide_as_the_pen_width_slider_shows(browser, server_url, viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server_url)
    page.get_by_text("Draw a digit on the black square").wait_for()
    wait_until_idle(page)

    width = box_of(page.locator("canvas.upper-canvas").first)["width"]
    fresh = line_ink(page)
    assert shown_pen_width(page) == 18
    # A straight stroke lights about its length times the pen's width (plus its round ends).
    assert 0.85 * 18 <= fresh / (0.6 * width) <= 1.25 * 18, fresh
    assert abs(line_ink(page) - fresh) <= 0.05 * fresh  # opening and closing the slider changed nothing

    page.get_by_role("button", name="Pen width").click()
    page.get_by_role("slider").focus()
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    wait_until_idle(page)
    page.keyboard.press("Escape")
    wait_until_idle(page)
    wide = line_ink(page)
    assert 0.85 * 30 <= wide / (0.6 * width) <= 1.25 * 30, wide

    if viewport == "laptop":  # another page and back, through the sidebar (a phone keeps it folded away)
        page.locator(PAGE_LINKS, has_text="Dataset").click()
        page.get_by_text("The MNIST data set").wait_for()
        page.locator(PAGE_LINKS, has_text="Draw").click()
        wait_until_idle(page)
        assert shown_pen_width(page) == 30  # kept across pages, and shown
        assert abs(line_ink(page) - wide) <= 0.05 * wide
    context.close()
