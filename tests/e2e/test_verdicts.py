"""One verdict per drawing, in a real browser: two digits drawn side by side in one-digit mode are named
as a number (with the choice that reads them), never also "not a digit" (issue: "42" got "not a digit" and
no hint, and "10" got both "not a digit" and "this looks like a number")."""

from __future__ import annotations

import pytest
from browser import box_of, metric_value, screen_paths, touch_path, wait_until_idle

VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
NOT_A_DIGIT = "That does not look like a digit"


def draw_pair(page, first, second, touch: bool) -> None:
    """Two pen-drawn digits side by side on the canvas, each in its half, as a person writes a number."""
    canvas = box_of(page.locator("canvas.upper-canvas").first)
    half = canvas["width"] / 2
    for digit, left in ((first, canvas["x"] + 0.04 * half), (second, canvas["x"] + 0.96 * half)):
        box = {"x": left, "y": canvas["y"], "width": half, "height": canvas["height"]}
        for path in screen_paths(digit.strokes, box, height=0.5 * canvas["height"]):
            if touch:
                touch_path(page, path)
                continue
            page.mouse.move(*path[0])
            page.mouse.down()
            for x, y in path[1:]:
                page.mouse.move(x, y, steps=2)
            page.mouse.up()
            wait_until_idle(page)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("number", ["42", "10", "17"])
def test_two_digits_in_one_digit_mode_get_one_verdict_naming_the_number(browser, server_url, test_writers, viewport, number, screenshots):
    writer = next(w for w in sorted({d.writer for d in test_writers})
                  if all(any(d.writer == w and d.label == int(c) for d in test_writers) for c in number))
    first, second = (next(d for d in test_writers if d.writer == writer and d.label == int(c)) for c in number)
    context = browser.new_context(viewport=VIEWPORTS[viewport], has_touch=viewport == "phone")
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server_url)
    page.get_by_text("Draw a digit on the black square").wait_for()
    wait_until_idle(page)
    draw_pair(page, first, second, touch=viewport == "phone")
    page.locator('[data-testid="stMetric"]', has_text="Prediction").wait_for()
    wait_until_idle(page)
    page.screenshot(path=screenshots / f"verdict-{number}-{viewport}.png", full_page=True)
    hint = page.get_by_text("This looks like a number")
    assert hint.count() == 1 and number in hint.inner_text(), page.locator('[data-testid="stMain"]').inner_text()[:600]
    assert page.get_by_text(NOT_A_DIGIT).count() == 0
    assert metric_value(page, "Prediction") in ("?", number[0], number[1])
    context.close()
