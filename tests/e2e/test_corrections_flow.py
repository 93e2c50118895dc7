"""The loop of a correction in a real browser: draw a digit, say what it really is, find it on the
Corrections page and accept it."""

from __future__ import annotations

import numpy as np
from browser import PAGE_LINKS, box_of, drawn_and_read, metric_value, wait_until_idle


def test_draw_correct_review_and_accept(page, server_url, test_writers, screenshots):
    four = next(d for d in test_writers if d.label == 4 and len(d.strokes) == 1)
    read = drawn_and_read(page, server_url, four.strokes)
    said = "9" if read != "9" else "4"  # a digit other than the one read
    page.get_by_role("radiogroup", name="Wrong? It is:").get_by_role("radio", name=said, exact=True).click()
    page.get_by_text(f"Kept as a {said}").wait_for()
    wait_until_idle(page)
    page.screenshot(path=screenshots / "correction-kept.png")

    page.locator(PAGE_LINKS, has_text="Corrections").click()
    page.get_by_text("Waiting for review").wait_for()
    wait_until_idle(page)
    assert metric_value(page, "Waiting for review") == "1" and metric_value(page, "Accepted") == "0"
    table = page.get_by_test_id("stDataFrame")
    table.wait_for()
    box = box_of(table)
    page.mouse.click(box["x"] + 18, box["y"] + 52)  # the first row's selection box (below the 35-pixel header)
    wait_until_idle(page)
    accept = page.get_by_role("button", name="Accept 1")
    accept.wait_for()
    page.screenshot(path=screenshots / "corrections-selected.png")
    accept.click()
    wait_until_idle(page)
    page.get_by_text("accepted: the next retrain learns from them").wait_for()
    assert metric_value(page, "Accepted") == "1" and metric_value(page, "Waiting for review") == "0"

    # The export is made when its button is pressed, not on every run of the page.
    with page.expect_download() as download:
        page.get_by_role("button", name="Export the 1 accepted").click()
    assert download.value.suggested_filename == "corrections.npz"
    with np.load(download.value.path(), allow_pickle=False) as archive:
        labels = [*archive["y_train"], *archive["y_test"]]
        assert labels == [int(said)] and archive[f"x_{'train' if len(archive['y_train']) else 'test'}"].shape == (1, 28, 28)
