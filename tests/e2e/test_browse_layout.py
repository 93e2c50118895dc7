"""The Dataset and Evaluation pages as a visitor sees them: short enough on a phone (grids that wrap, four
images to a row, captions on one line), and a confusion matrix whose highlight follows the filters below it."""

from __future__ import annotations

import time

import pytest
from browser import PAGE_HEIGHT, box_of, wait_until_idle, whole_page_screenshot

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
# Page heights measured at 390x844: Dataset 8,810 and Evaluation 6,654 pixels with st.columns (one image per
# row on a phone), 2,955 and 3,355 with wrapping grids of 48 and 24; Evaluation 4,000 with pages of 44 mistakes
# (eleven full rows) and the matrix as a table. The bounds leave room for small changes of layout.
PAGES = {
    "dataset": ("How many of each digit", 3_500),
    "evaluation": ("The mistakes, most confident first", 4_600),
}

# For each grid of images (one st.image of many pictures): how many sit in its first row, and the captions
# that take more than one line or overflow their image.
GRIDS = """() => [...document.querySelectorAll('[data-testid="stImage"]')]
  .filter(grid => grid.querySelectorAll('[data-testid="stImageContainer"]').length > 1)
  .map(grid => {
    const tops = [...grid.querySelectorAll('[data-testid="stImageContainer"]')].map(e => Math.round(e.getBoundingClientRect().top));
    const captions = [...grid.querySelectorAll('[data-testid="stImageCaption"] p')];
    const line = Math.min(...captions.map(c => c.getBoundingClientRect().height));
    const broken = captions.filter(c => c.getBoundingClientRect().height > 1.5 * line || c.scrollWidth > c.clientWidth + 1);
    return {first_row: tops.filter(top => top === tops[0]).length, broken: broken.map(c => c.innerText)};
  })"""


def open_page(browser, server_url, path: str, viewport: dict, touch: bool = False):
    context = browser.new_context(viewport=viewport, has_touch=touch, is_mobile=touch)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{server_url}/{path}")
    page.get_by_text(PAGES[path][0]).first.wait_for()
    wait_until_idle(page)
    page.wait_for_timeout(500)  # images and charts settle after the run
    return page


@pytest.mark.parametrize("path", list(PAGES))
def test_on_a_phone_the_grids_wrap_and_the_page_stays_short(browser, server_url, path, screenshots):
    page = open_page(browser, server_url, path, PHONE)
    height = page.evaluate(PAGE_HEIGHT)
    whole_page_screenshot(page, screenshots / f"{path}-phone.png")
    grids = page.evaluate(GRIDS)
    assert grids, "no grid of images on the page"
    for grid in grids:
        assert grid["first_row"] >= 4, grids  # st.columns would stack them, one to a row
        assert grid["broken"] == [], grids
    assert height < PAGES[path][1], f"the {path} page is {height} pixels tall on a 390x844 phone"
    page.context.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_on_a_laptop_captions_stay_on_one_line(browser, server_url, path, screenshots):
    page = open_page(browser, server_url, path, LAPTOP)
    whole_page_screenshot(page, screenshots / f"{path}-laptop.png")
    grids = page.evaluate(GRIDS)
    assert grids and all(grid["broken"] == [] and grid["first_row"] >= 8 for grid in grids), grids
    page.context.close()


# Each cell of the matrix: its opacity, its outline's width, and its count's opacity (plotly dims the
# points a click leaves unselected, and their texts).
CELLS = """() => {
  const points = [...document.querySelectorAll('.stPlotlyChart .scatterlayer .trace .points path.point')];
  const texts = [...document.querySelectorAll('.stPlotlyChart .scatterlayer .trace .text text')];
  return {
    opacity: points.map(p => parseFloat(getComputedStyle(p).opacity)),
    outline: points.map(p => parseFloat(p.style.strokeWidth || getComputedStyle(p).strokeWidth)),
    text: texts.map(t => parseFloat(t.style.fillOpacity || getComputedStyle(t).fillOpacity)),
  };
}"""


def choose(page, label: str, option: str) -> None:
    """Pick an option of a select box (a combo box: it opens its list on the arrow key)."""
    chooser = page.get_by_test_id("stSelectbox").filter(has_text=label).get_by_role("combobox")
    chooser.click()
    chooser.press("ArrowDown")
    page.get_by_role("option", name=option, exact=True).click()
    wait_until_idle(page)


def cells_once(page, condition, timeout_s: float = 30) -> dict:
    """The matrix's cells (CELLS) once ``condition`` holds of them; the last ones seen if it never does in
    ``timeout_s`` (the chart is redrawn after the run, later on a busy machine)."""
    deadline = time.monotonic() + timeout_s
    while not condition(cells := page.evaluate(CELLS)) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    return cells


def filter_values(page) -> tuple[str, str]:
    return tuple(page.get_by_test_id("stSelectbox").filter(has_text=label).get_by_role("combobox").input_value()
                 for label in ("True digit", "Predicted as"))


def test_the_matrix_highlight_follows_the_filters(browser, server_url, screenshots):
    page = open_page(browser, server_url, "evaluation", LAPTOP)
    cells = cells_once(page, lambda cells: len(cells["opacity"]) == 100)  # plotly draws after the page
    assert len(cells["opacity"]) == 100 and set(cells["outline"]) == {1}
    # A click on the cell "4 read as 9" (the 50th point: rows true digits, columns predictions).
    # Plotly's drag layer lies over the points and takes the click, as it does a visitor's.
    box = box_of(page.locator(".stPlotlyChart .scatterlayer .trace .points path.point").nth(10 * 4 + 9))
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_until_idle(page)
    deadline = time.monotonic() + 30  # the two select boxes are redrawn one after the other
    while filter_values(page) != ("4", "9") and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert filter_values(page) == ("4", "9")
    cells = cells_once(page, lambda cells: max(cells["outline"], default=1) > 1)
    assert [index for index, width in enumerate(cells["outline"]) if width > 1] == [49]
    assert min(cells["opacity"]) >= 0.75 and min(cells["text"]) == 1, cells  # every count readable
    page.screenshot(path=screenshots / "evaluation-cell-selected.png")
    choose(page, "True digit", "any")
    choose(page, "Predicted as", "any")
    cells = cells_once(page, lambda cells: set(cells["outline"]) == {1} and set(cells["opacity"]) == {1})
    # Nothing dimmed or outlined any more: the old selection went with the filters that matched it.
    assert set(cells["opacity"]) == {1} and set(cells["text"]) == {1} and set(cells["outline"]) == {1}, cells
    page.screenshot(path=screenshots / "evaluation-filters-reset.png")
    page.context.close()


def test_on_a_phone_one_tap_on_a_cell_filters_the_mistakes(browser, server_url, screenshots):
    # On a touch screen plotly.js selects a point on the second tap (the first shows its tooltip), so a phone
    # gets the matrix as a table, whose cells one tap selects.
    page = open_page(browser, server_url, "evaluation", PHONE, touch=True)
    table = page.locator('[data-testid="stDataFrame"]').last  # the Per digit table comes first
    table.wait_for()
    wait_until_idle(page)
    for true, predicted in ((4, 9), (7, 2)):  # a first tap, then a tap on another cell
        table.scroll_into_view_if_needed()
        box = box_of(table)
        page.touchscreen.tap(box["x"] + 44 + 31 * predicted + 15, box["y"] + 35 + 35 * true + 17)  # the header row, then rows of 35
        wait_until_idle(page)
        deadline = time.monotonic() + 30
        while filter_values(page) != (str(true), str(predicted)) and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert filter_values(page) == (str(true), str(predicted))
    page.screenshot(path=screenshots / "evaluation-cell-tapped-phone.png")
    page.context.close()
