"""What a visitor sees before anything else: the seven pages in the sidebar from the first paint of a fresh
server, and canvases that fit the screen, so that a stroke anywhere on them counts."""

from __future__ import annotations

import time

import pytest
from browser import PAGE_LINKS, box_of, metric_value, running_app, wait_until_idle

PAGE_TITLES = ["Draw", "Upload a photo", "Dataset", "Training", "Evaluation", "Inside the model", "Corrections"]
VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
EDGE_PX = 6  # how far inside the canvas's edge each stroke is drawn


def sidebar_titles(page) -> list[str]:
    """The page names the sidebar lists now, without their icons."""
    return [text.split("\n")[-1].strip() for text in page.locator(PAGE_LINKS).all_inner_texts()]


@pytest.mark.parametrize("path", ["", "upload", "no-such-page"])
def test_a_fresh_server_lists_every_page_from_the_first_paint(playwright_chromium, path, screenshots):
    browser = playwright_chromium()
    with running_app() as url:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{url}/{path}", wait_until="commit")
        seen, loading, deadline = [], False, time.monotonic() + 60
        while time.monotonic() < deadline:  # every list the sidebar shows until the page has drawn
            titles = sidebar_titles(page)
            loading |= page.locator('[data-testid="stMain"]').get_by_text("Loading the model").count() > 0
            if titles:
                seen.append(titles)
                if page.get_by_text("Active model").count():
                    break
            page.wait_for_timeout(50)
        wait_until_idle(page)
        seen.append(sidebar_titles(page))
        page.screenshot(path=screenshots / f"fresh-server-{path or 'home'}.png")
        assert seen and all(titles == PAGE_TITLES for titles in seen), seen
        assert loading  # while TensorFlow loads on a fresh server, the page says so rather than stay blank
        assert page.locator('[data-testid="stException"]').count() == 0
        if path == "upload":
            page.get_by_text("Upload a PNG").first.wait_for()
        page.close()


def draw_line(page, canvas, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A straight stroke between two points given as fractions of the canvas's width and height."""
    box = box_of(canvas)
    (x0, y0), (x1, y1) = ((box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in (start, end))
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=12)
    page.mouse.up()
    wait_until_idle(page)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("mode", ["One digit", "A number"])
def test_a_stroke_at_each_edge_of_the_canvas_is_read(browser, server_url, viewport, mode, screenshots):
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    page.goto(server_url)
    page.get_by_text("Draw a digit on the black square").wait_for()
    if mode == "A number":
        page.get_by_text("A number", exact=True).click()
        wait_until_idle(page)
    canvas = page.locator("canvas.upper-canvas").first
    canvas.scroll_into_view_if_needed()
    wait_until_idle(page)  # the canvas is sized to its column once the browser has measured it
    box = box_of(canvas)
    assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORTS[viewport]["width"], box
    inset_x, inset_y = EDGE_PX / box["width"], EDGE_PX / box["height"]
    # A "1" drawn along each edge, in turn: a stroke past the visible part of the canvas would not be read.
    edges = {
        "left": ((inset_x, 0.2), (inset_x, 0.8)),
        "right": ((1 - inset_x, 0.2), (1 - inset_x, 0.8)),
        "top": ((0.5, inset_y), (0.5, 0.6)),
        "bottom": ((0.5, 0.4), (0.5, 1 - inset_y)),
    }
    for edge, (start, end) in edges.items():
        draw_line(page, canvas, start, end)
        page.locator('[data-testid="stMetric"]', has_text="Prediction").wait_for()
        assert metric_value(page, "Prediction") == "1", f"{mode}, {viewport}: the stroke at the {edge} edge was not read as 1"
        if mode == "A number":
            assert page.locator('[data-testid="stMetric"]', has_text="Prediction").get_by_text("1 digit", exact=True).count() == 1
        if edge == "right":
            page.screenshot(path=screenshots / f"canvas-{viewport}-{mode.replace(' ', '-').lower()}.png", full_page=True)
        page.get_by_role("button", name="Clear").click()
        page.get_by_text("the prediction appears as soon as you lift the pen").wait_for()
        wait_until_idle(page)
        page.wait_for_timeout(500)  # the emptied canvas reloads its drawing: a stroke drawn meanwhile is lost
    context.close()
